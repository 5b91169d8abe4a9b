/**
 * `npm run runbook -- --env <name> --to A|B`: prints the switchover procedure for one province, tied to
 * the stacks to deploy and the checks to run between steps.
 */
import { join } from 'node:path';
import { EnvironmentError, loadEnvironments } from '../model/load-environment';
import { resolveProvince } from '../model/platform-model';
import { planSwitchover, renderRunbook } from '../model/switchover';
import { parseActiveSite, projectRoot, readFlags, UsageError } from './options';

function main(): void {
  try {
    const flags = readFlags(process.argv.slice(2), ['env', 'to']);
    const to = parseActiveSite(flags.get('to'), '--to');
    if (!to) throw new UsageError('--to: expected A or B, the site that becomes active');
    const envName = flags.get('env') ?? 'demo';
    const [loaded] = loadEnvironments(join(projectRoot(), 'environments'), [envName]);
    process.stdout.write(renderRunbook(planSwitchover(resolveProvince(envName, loaded!.environment), to)));
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof UsageError) {
      console.error(error.message);
      process.exit(1);
    }
    if (error instanceof Error && /already active/.test(error.message)) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

main();
