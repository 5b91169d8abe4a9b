/**
 * `npm run runbook -- --env <name> --to A|B`: prints the switchover procedure for one province, tied to
 * the stacks to deploy and the checks to run between steps.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstDeployStep, renderFirstDeploy, type StackJsonLike } from '../review/first-deploy';
import { EnvironmentError, loadEnvironments } from '../model/load-environment';
import { resolveProvince } from '../model/platform-model';
import { AlreadyActiveError, planSwitchover, renderRunbook } from '../model/switchover';
import { parseActiveSite, projectRoot, readFlags, UsageError } from '../pipeline/options';

function main(): void {
  try {
    const flags = readFlags(process.argv.slice(2), ['env', 'to', 'first-deploy']);
    if (flags.has('first-deploy')) return printFirstDeploy(flags.get('env') ?? 'demo', flags.get('first-deploy')!);
    const to = parseActiveSite(flags.get('to'), '--to');
    if (!to) throw new UsageError('--to: expected A or B, the site that becomes active');
    const envName = flags.get('env') ?? 'demo';
    const [loaded] = loadEnvironments(join(projectRoot(), 'environments'), [envName]);
    process.stdout.write(renderRunbook(planSwitchover(resolveProvince(envName, loaded!.environment), to)));
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof UsageError || error instanceof AlreadyActiveError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** `--first-deploy <outdir>`: the order for empty clusters, read from a synthesized output directory. */
function printFirstDeploy(envName: string, outdir: string): void {
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) throw new UsageError(`--first-deploy ${outdir}: no synthesized stacks there; run npm run synth -- --env ${envName} first`);
  const stacks = readdirSync(stacksDir).filter((s) => s.startsWith(`${envName}-`)).sort();
  if (stacks.length === 0) throw new UsageError(`--first-deploy ${outdir}: no stack of ${envName}; run npm run synth -- --env ${envName} first`);
  const steps = stacks.map((stack) => firstDeployStep(stack, JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8')) as StackJsonLike));
  process.stdout.write(renderFirstDeploy(envName, steps, outdir));
}

main();
