/**
 * `npm run synth [-- --env <name>|<a,b>|all] [--active-site A|B] [--out <dir>] [--cache off|<dir>]`
 *
 * Validates every requested environment first, synthesizes into a scratch directory, and only then
 * replaces the output directory: bad input leaves the previous output exactly as it was. Prints each
 * stack with its resource count.
 */
import { join } from 'node:path';
import { EnvironmentError } from '../model/load-environment';
import { faultHookFromEnvironment, OutputLockedError } from '../pipeline/output-swap';
import { synthCacheSettings } from '../pipeline/synth-cache';
import { parseActiveSite, parseEnvList, projectRoot, readFlags, UsageError, type SynthOptions } from '../pipeline/options';
import { ComplianceError, synthesizeWithReport } from '../pipeline/synthesize';

const PROJECT_ROOT = projectRoot();
/** `--compliance report-only` writes the output even with error findings (the plan review needs it). */
const SYNTH_FLAGS = ['env', 'active-site', 'out', 'reports', 'compliance', 'cache'];
/** Default home of the synthesis cache (`--cache off` disables it, `--cache <dir>` moves it). */
const DEFAULT_CACHE_DIR = join(PROJECT_ROOT, '.cache', 'synth');

/**
 * Swaps the new output in with renames. Terraform's working files from earlier deploys
 * (`.terraform/`, `.terraform.lock.hcl`) are carried over so providers need not be installed again.
 */
export function parseSynthArgs(argv: readonly string[]): SynthOptions {
  const flags = readFlags(argv, SYNTH_FLAGS);
  return {
    envs: parseEnvList(flags.get('env') ?? 'demo', '--env'),
    activeSite: parseActiveSite(flags.get('active-site'), '--active-site'),
    outdir: flags.get('out') ?? 'cdktf.out',
    environmentsDir: join(PROJECT_ROOT, 'environments'),
    ...(flags.get('cache') === 'off' ? {} : { cache: synthCacheSettings(flags.get('cache') ?? DEFAULT_CACHE_DIR) }),
    fault: faultHookFromEnvironment(process.env.HSA_SYNTH_FAULT),
  };
}

function main(): void {
  const started = process.hrtime.bigint();
  try {
    const argv = process.argv.slice(2);
    const options = parseSynthArgs(argv);
    const flags = readFlags(argv, SYNTH_FLAGS);
    const reportsDir = flags.get('reports') ?? 'reports';
    const gate = flags.get('compliance') ?? 'fail';
    if (gate !== 'fail' && gate !== 'report-only') throw new UsageError(`--compliance: received "${gate}"; expected fail or report-only`);
    const { stacks, compliance, fromCache, notices } = synthesizeWithReport(options, reportsDir, gate);
    const width = Math.max(...stacks.map((s) => s.stack.length), 5);
    console.log(`${'stack'.padEnd(width)}  resources`);
    for (const s of stacks) console.log(`${s.stack.padEnd(width)}  ${String(s.resources).padStart(9)}`);
    const total = stacks.reduce((n, s) => n + s.resources, 0);
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const site = options.activeSite ? ` (active site overridden: ${options.activeSite})` : '';
    const cached = fromCache.length > 0 ? `; unchanged, copied from the synthesis cache: ${fromCache.join(', ')}` : '';
    console.log(`${stacks.length} stacks, ${total} resources written to ${options.outdir}${site} in ${ms} ms${cached}`);
    for (const result of compliance) {
      const level = result.drLevel;
      console.log(
        `${result.envName}: GB/T 20988 level ${level.achievedLevel} (required ${level.requiredLevel}), ${result.errors} error(s), ${result.warnings} warning(s); report: ${reportsDir}/${result.envName}.compliance.md`,
      );
    }
    for (const notice of notices) console.error(notice);
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof UsageError || error instanceof ComplianceError || error instanceof OutputLockedError) {
      console.error(error.message);
      console.error('nothing was written: the output directory is unchanged.');
      process.exit(1);
    }
    throw error;
  }
}

if (require.main === module) main();
