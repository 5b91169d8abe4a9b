/**
 * `npm run images -- --env <name>`
 *
 * Everything an air-gapped datacenter's mirrors must hold before the first deploy of a province: every
 * image (registry/repository:tag), then every chart (repository/name:version), one per line, for both
 * datacenters whichever is active. Synthesizes into a scratch directory; `cdktf.out/` is not touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENT_NAME, EnvironmentError } from '../model/load-environment';
import { SITES } from '../model/topology';
import { imagesOfOutput } from '../review/image-inventory';
import { projectRoot, readFlags, UsageError } from '../pipeline/options';
import { synthesizeWithReport } from './synth';

const ROOT = projectRoot();

export function provinceInventory(envName: string, environmentsDir: string): { images: string[]; charts: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'hsa-images-'));
  try {
    const images = new Set<string>();
    const charts = new Set<string>();
    for (const activeSite of SITES) {
      const outdir = join(work, activeSite);
      synthesizeWithReport({ envs: [envName], activeSite, outdir, environmentsDir }, undefined, 'report-only');
      const inventory = imagesOfOutput(outdir);
      inventory.images.forEach((i) => images.add(i));
      inventory.charts.forEach((c) => charts.add(c));
    }
    return { images: [...images].sort(), charts: [...charts].sort() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    const flags = readFlags(process.argv.slice(2), ['env']);
    const envName = flags.get('env');
    if (!envName || !ENVIRONMENT_NAME.test(envName)) throw new UsageError('--env <name> is required: the name of one environment file in environments/ (2-16 lowercase letters or digits, starting with a letter)');
    const inventory = provinceInventory(envName, join(ROOT, 'environments'));
    process.stdout.write([...inventory.images, ...inventory.charts].map((line) => `${line}\n`).join(''));
  } catch (error) {
    if (error instanceof UsageError || error instanceof EnvironmentError) {
      process.stderr.write(`images: ${error.message}\n`);
      process.exitCode = 2;
    } else throw error;
  }
}
