/**
 * `node --require tsx/cjs bin/go-tools.ts`
 *
 * Builds the Go programs through which real components judge, into `.cache/tools/`, and prints their
 * paths: CloudNativePG's checks (its admission webhooks and promotion token, conformance/cloudnative-pg.ts,
 * from its Go module at the operator version the toolkit deploys) and the Kubernetes API server's
 * validation of custom resources (conformance/kube-api-server.ts), and Terraform's template parser with
 * the API server's quantity code on the synthesized stacks (conformance/terraform-engine.ts), and the OpenTelemetry
 * Collector of the business monitoring drill (business/otelcol-tool.ts), and the log gateway and
 * VictoriaLogs of the log shipping drill (logs/log-tools.ts), and Alertmanager at the deployed version for
 * the alerting drills (conformance/alertmanager.ts). The drills and the conformance
 * procedure build what is missing themselves; CI builds them first so a drill's time is the drill's.
 * Needs Go and the Go module proxy.
 */
import { join } from 'node:path';
import { alertmanagerTool } from '../conformance/alertmanager';
import { cloudNativePgTool } from '../conformance/cloudnative-pg';
import { kubeApiServerTool } from '../conformance/kube-api-server';
import { terraformEngineTool } from '../conformance/terraform-engine';
import { otelCollectorTool } from '../business/otelcol-tool';
import { logGatewayTool, victoriaLogsTool } from '../logs/log-tools';
import { projectRoot } from '../pipeline/options';

const toolsDir = join(projectRoot(), '.cache', 'tools');
for (const build of [alertmanagerTool, cloudNativePgTool, kubeApiServerTool, terraformEngineTool, otelCollectorTool, logGatewayTool, victoriaLogsTool]) {
  const started = Date.now();
  process.stdout.write(`${build(toolsDir)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
