/**
 * The programs through which real components judge the log shipping (model/log-shipping.ts), built from
 * their Go modules into `.cache/tools` under names that carry a hash of their sources or their version:
 * the log gateway's OpenTelemetry Collector (logs/gateway: the OTLP receiver and the Elasticsearch
 * exporter at 0.150.0, the image the gateway deploys), and VictoriaLogs (Apache-2.0), which answers
 * Elasticsearch's bulk API and searches what it takes: the log drill's stand-in for the log service
 * (no Elasticsearch server can be had here).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, go, GoToolError } from '../conformance/go-tool';

const GATEWAY_DIR = join(__dirname, 'gateway');
const GATEWAY_FILES = ['go.mod', 'go.sum', 'main.go'];
export const VICTORIA_LOGS_MODULE = 'github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs';
export const VICTORIA_LOGS_VERSION = 'v1.52.2';

export function logGatewayTool(toolsDir: string): string {
  const hash = createHash('sha256');
  for (const file of GATEWAY_FILES) hash.update(file).update(readFileSync(join(GATEWAY_DIR, file)));
  return builtOnce(join(toolsDir, `hsa-log-gateway-${hash.digest('hex').slice(0, 12)}`), (part) => {
    go(['build', '-trimpath', '-o', part, '.'], GATEWAY_DIR);
  });
}

export function victoriaLogsTool(toolsDir: string): string {
  return builtOnce(join(toolsDir, `victoria-logs-${VICTORIA_LOGS_VERSION}`), (part) => {
    const bin = mkdtempSync(join(toolsDir, '.victoria-logs-'));
    try {
      const run = spawnSync('go', ['install', '-trimpath', `${VICTORIA_LOGS_MODULE}@${VICTORIA_LOGS_VERSION}`], { cwd: toolsDir, encoding: 'utf8', env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' }, timeout: 20 * 60_000 });
      if (run.error || run.status !== 0) throw new GoToolError(`go install ${VICTORIA_LOGS_MODULE}@${VICTORIA_LOGS_VERSION} failed: ${(run.stderr ?? run.error?.message ?? '').trim().split('\n').slice(-5).join(' | ')}`);
      renameSync(join(bin, 'victoria-logs'), part);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
}
