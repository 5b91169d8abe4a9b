/**
 * `npm run images -- --env <name>`
 *
 * Everything an air-gapped datacenter's mirrors must hold before the first deploy of a province: every
 * image (registry/repository:tag), then every chart (repository/name:version), one per line, for both
 * datacenters whichever is active. Synthesizes into a scratch directory; `cdktf.out/` is not touched.
 */
import { join } from 'node:path';
import { ENVIRONMENT_NAME, EnvironmentError } from '../model/load-environment';
import { projectRoot, readFlags, UsageError } from '../pipeline/options';
import { provinceInventory } from '../pipeline/province-inventory';

const ROOT = projectRoot();

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
