/**
 * The OpenTelemetry Collector of the business monitoring and log shipping drills (the collectors beside
 * the applications), built from its Go modules (business/otelcol: the filelog receiver, the file_storage
 * extension, the OTLP/HTTP exporter and the environment provider at 0.165.0, the contrib image's version) into `.cache/tools` under a name that carries a hash of the module's files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, go } from '../conformance/go-tool';

const MODULE_DIR = join(__dirname, 'otelcol');
const MODULE_FILES = ['go.mod', 'go.sum', 'main.go'];

export function otelCollectorTool(toolsDir: string): string {
  const hash = createHash('sha256');
  for (const file of MODULE_FILES) hash.update(file).update(readFileSync(join(MODULE_DIR, file)));
  return builtOnce(join(toolsDir, `hsa-otelcol-${hash.digest('hex').slice(0, 12)}`), (part) => {
    go(['build', '-trimpath', '-o', part, '.'], MODULE_DIR);
  });
}
