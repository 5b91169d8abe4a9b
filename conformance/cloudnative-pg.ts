/**
 * CloudNativePG's own code as a judge (conformance/cloudnative-pg/main.go): its admission webhooks (the
 * defaulting and validating webhooks the operator's chart registers for Clusters) and its promotion
 * token (how the operator builds a demotion token from the demoted primary's pg_controldata, and how an
 * instance manager decides that its replica may be promoted with it).
 *
 * The tool is built from the CloudNativePG module at the operator version the toolkit deploys: the
 * module comes from the Go module proxy (`go mod download`), is copied to scratch space, our main.go is
 * placed at cmd/hsa-cnpg-admission (the webhook package is internal to that module) beside the module's
 * own default monitoring queries, and the binary is kept in `.cache/tools` under the version and a hash
 * of main.go (conformance/go-tool.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES } from '../model/images';
import { buildInModuleCopy, builtOnce, GoToolError } from './go-tool';

const MODULE = 'github.com/cloudnative-pg/cloudnative-pg';
/** The operator version the toolkit deploys, as a module version. */
export const CLOUDNATIVE_PG_MODULE_VERSION = `v${IMAGES.cloudNativePg.tag}`;
const SOURCE = join(__dirname, 'cloudnative-pg', 'main.go');

/** Builds the tool once per operator version and main.go; returns its path. */
export function cloudNativePgTool(toolsDir: string): string {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  return builtOnce(join(toolsDir, `hsa-cnpg-admission-${CLOUDNATIVE_PG_MODULE_VERSION}-${hash}`), (part) =>
    buildInModuleCopy(
      toolsDir,
      MODULE,
      CLOUDNATIVE_PG_MODULE_VERSION,
      (tree) => {
        mkdirSync(join(tree, 'cmd', 'hsa-cnpg-admission'), { recursive: true });
        writeFileSync(join(tree, 'cmd', 'hsa-cnpg-admission', 'main.go'), source);
        // The operator's default monitoring queries of this version, embedded by main.go for `metrics`.
        cpSync(join(tree, 'config', 'manager', 'default-monitoring.yaml'), join(tree, 'cmd', 'hsa-cnpg-admission', 'default-monitoring.yaml'));
      },
      './cmd/hsa-cnpg-admission',
      part,
    ),
  );
}

export interface AdmissionOperation {
  readonly name: string;
  /** The Cluster as the API server holds it: an update when present, a create otherwise. */
  readonly old?: unknown;
  readonly object: unknown;
}

export interface AdmissionResult {
  readonly name: string;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** CloudNativePG's defaulting and validating webhooks on each operation. */
export function admitClusters(tool: string, operations: readonly AdmissionOperation[]): AdmissionResult[] {
  const run = spawnSync(tool, ['admit'], { input: JSON.stringify({ operations }), encoding: 'utf8', maxBuffer: 1 << 26, timeout: 60_000 });
  if (run.status !== 0) throw new GoToolError(`CloudNativePG admission failed to run: ${run.stderr.trim()}`);
  return (JSON.parse(run.stdout) as { results: AdmissionResult[] }).results;
}

/** The demotion token CloudNativePG publishes for a primary shut down with this pg_controldata output. */
export function demotionToken(tool: string, pgControldata: string): string {
  const run = spawnSync(tool, ['token'], { input: pgControldata, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new GoToolError(`CloudNativePG refused to make a demotion token: ${run.stderr.trim()}`);
  return run.stdout.trim();
}

/** Whether CloudNativePG's instance manager would promote a replica with this pg_controldata output: undefined when it would, else its reason. */
export function promotionRefusal(tool: string, token: string, replicaPgControldata: string): string | undefined {
  const run = spawnSync(tool, ['verify', token], { input: replicaPgControldata, encoding: 'utf8', timeout: 30_000 });
  if (run.status === 0) return undefined;
  if (run.status === 3) return run.stdout.trim();
  throw new GoToolError(`CloudNativePG's token check failed to run: ${run.stderr.trim()}`);
}
