/**
 * `node --require tsx/cjs bin/cloudnative-pg-tool.ts`
 *
 * Builds CloudNativePG's checks (its admission webhooks and promotion token, conformance/cloudnative-pg.ts)
 * from its Go module at the operator version the toolkit deploys, into `.cache/tools/`, and prints the
 * path. The CloudNativePG drill builds it itself when it is missing; CI builds it first so the drill's
 * time is the drill's. Needs Go and the Go module proxy.
 */
import { join } from 'node:path';
import { cloudNativePgTool } from '../conformance/cloudnative-pg';
import { projectRoot } from '../pipeline/options';

const started = Date.now();
process.stdout.write(`${cloudNativePgTool(join(projectRoot(), '.cache', 'tools'))} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
