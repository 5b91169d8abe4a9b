/**
 * `npm run synth [-- --env <name>|<a,b>|all] [--active-site A|B] [--out <dir>] [--cache off|<dir>]`
 *
 * Validates every requested environment first, synthesizes into a scratch directory, and only then
 * replaces the output directory: bad input leaves the previous output exactly as it was. Prints each
 * stack with its resource count.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvironmentError, listEnvironments, loadEnvironments, type LoadedEnvironment } from '../model/load-environment';
import type { ProvinceCompliance } from '../compliance/check-province';
import { renderConsoleFindings, renderJsonReport, renderMarkdownReport } from '../compliance/report';
import { stableStringify } from '../stacks/stable-json';
import { faultHookFromEnvironment, lockOutput, OutputLockedError, outputPaths, repairOutput, stacksIn, swapOutput } from '../pipeline/output-swap';
import { cacheKey, synthCacheSettings, synthesisProcessEnvironment, type CacheEntry, type SynthCacheSettings } from '../pipeline/synth-cache';
import { parseActiveSite, parseEnvList, projectRoot, readFlags, UsageError, type SynthOptions } from '../pipeline/options';

const PROJECT_ROOT = projectRoot();
/** `--compliance report-only` writes the output even with error findings (the plan review needs it). */
const SYNTH_FLAGS = ['env', 'active-site', 'out', 'reports', 'compliance', 'cache'];
/** Default home of the synthesis cache (`--cache off` disables it, `--cache <dir>` moves it). */
const DEFAULT_CACHE_DIR = join(PROJECT_ROOT, '.cache', 'synth');
/** How long a synthesis waits for another one writing the same output directory. */
const DEFAULT_LOCK_WAIT_MS = 120_000;

export interface StackSummary {
  readonly stack: string;
  readonly resources: number;
}

/** Error-level compliance findings: the output directory is left as it was. */
export class ComplianceError extends Error {
  constructor(readonly results: readonly ProvinceCompliance[]) {
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const lines = results.flatMap((r) => renderConsoleFindings(r).filter((l) => l.startsWith('error')));
    super(`compliance: ${errors} error-level finding(s)\n${lines.map((l) => `  - ${l}`).join('\n')}`);
    this.name = 'ComplianceError';
  }
}

export interface SynthResult {
  readonly stacks: StackSummary[];
  readonly compliance: ProvinceCompliance[];
  /** Environments copied from the synthesis cache instead of synthesized. */
  readonly fromCache: string[];
  /** Opt-ins the operator chose that weaken the output, to say at every synthesis. */
  readonly notices: string[];
}

/**
 * Synthesizes atomically and runs the compliance packs; writes a report per environment (JSON and
 * Markdown) into `reportsDir`. Returns the stacks written, in manifest order. Throws (and writes nothing
 * to the output directory) on bad input or error-level findings. With a cache, environments whose
 * inputs are unchanged are copied from it (pipeline/synth-cache.ts) and only the others are synthesized.
 */
export function synthesize(options: SynthOptions, reportsDir?: string): StackSummary[] {
  return synthesizeWithReport(options, reportsDir).stacks;
}

export function synthesizeWithReport(options: SynthOptions, reportsDir?: string, complianceGate: 'fail' | 'report-only' = 'fail'): SynthResult {
  const names = options.envs === 'all' ? listEnvironments(options.environmentsDir) : options.envs;
  const environments = loadEnvironments(options.environmentsDir, names);

  const outdir = resolve(options.outdir);
  const paths = outputPaths(outdir);
  const scratch = paths.fresh;
  const release = lockOutput(paths, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, `synth --env ${names.join(',')}`);
  try {
    repairOutput(paths);
    const previousStacks = stacksIn(outdir);
    const cache = options.cache;
    const keys = new Map(environments.map((loaded) => [loaded.name, cache ? synthCacheKey(loaded, options, cache.fingerprints) : '']));
    const results = new Map<string, CacheEntry<ProvinceCompliance>>();
    for (const loaded of environments) {
      const entry = cache?.store.restore<ProvinceCompliance>(keys.get(loaded.name)!, scratch);
      if (entry) results.set(loaded.name, entry);
    }
    const fromCache = [...results.keys()];
    const toBuild = environments.filter((loaded) => !results.has(loaded.name));
    let version: string | undefined;
    if (toBuild.length > 0) {
      // Loaded only when something is synthesized: a run served from the cache starts faster.
      const { buildPlatform, stackResourceCount } = require('../stacks/platform-app') as typeof import('../stacks/platform-app');
      const { synthesizeAndCheck } = require('../pipeline/synthesize-and-check') as typeof import('../pipeline/synthesize-and-check');
      const build = buildPlatform(scratch, toBuild, { activeSite: options.activeSite });
      const compliance = synthesizeAndCheck(build);
      const manifest = readManifest(scratch);
      version = manifest.version;
      build.provinces.forEach((province, i) => {
        const stacks = province.model.units.map((unit) => ({ name: unit.stackName, manifestEntry: manifest.stacks[unit.stackName]!, resources: stackResourceCount(build.app, unit.stackName) }));
        const entry: CacheEntry<ProvinceCompliance> = { envName: province.model.envName, stacks, extra: compliance[i]! };
        results.set(entry.envName, entry);
        cache?.store.store(keys.get(entry.envName)!, entry, scratch);
      });
    }
    const entries = environments.map((loaded) => results.get(loaded.name)!);
    writeManifest(scratch, entries, version ?? cdktfManifestVersion());
    const compliance = entries.map((entry) => entry.extra);
    if (reportsDir) writeReports(reportsDir, compliance);
    if (complianceGate === 'fail' && compliance.some((r) => r.errors > 0)) throw new ComplianceError(compliance);
    const stacks = entries
      .flatMap((entry) => entry.stacks.map((stack) => ({ stack: stack.name, resources: stack.resources })))
      .sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));
    try {
      swapOutput(paths, options.fault);
    } catch (error) {
      // Never leave no output behind: put the new output, or the old one, in place before failing.
      repairOutput(paths);
      throw error;
    }
    const written = new Set(stacks.map((st) => st.stack));
    const dropped = previousStacks.filter((st) => !written.has(st));
    const notices = environments
      .filter((loaded) => loaded.environment.registry.allowInsecureChartRepository === true && loaded.environment.registry.charts.startsWith('http://'))
      .map((loaded) => `warning: ${loaded.file}: charts come from ${loaded.environment.registry.charts} over plain http (registry.allowInsecureChartRepository): unencrypted and unauthenticated, for a lab only`);
    if (dropped.length > 0) notices.unshift(`note: ${options.outdir} no longer holds ${dropped.join(', ')} (replaced by this synthesis; their .terraform working files went with them)`);
    return { stacks, compliance, fromCache, notices };
  } finally {
    // A failed run leaves the output as it was; its partial new output goes.
    rmSync(scratch, { recursive: true, force: true });
    release();
  }
}

function synthCacheKey(loaded: LoadedEnvironment, options: SynthOptions, fingerprints: SynthCacheSettings['fingerprints']): string {
  return cacheKey({
    kind: 'synth',
    envName: loaded.name,
    environment: loaded.environment,
    options: { activeSite: options.activeSite },
    code: fingerprints.code,
    dependencies: fingerprints.dependencies,
    processEnvironment: synthesisProcessEnvironment(),
  });
}

interface Manifest {
  readonly version: string;
  readonly stacks: Record<string, Record<string, unknown>>;
}

function readManifest(outdir: string): Manifest {
  return JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Manifest;
}

/** cdktf's manifest for every stack written, synthesized or restored (cdktf writes it with the same writer). */
function writeManifest(outdir: string, entries: readonly CacheEntry<unknown>[], version: string): void {
  const stacks: Record<string, Record<string, unknown>> = {};
  for (const entry of entries) for (const stack of entry.stacks) stacks[stack.name] = stack.manifestEntry;
  writeFileSync(join(outdir, 'manifest.json'), stableStringify({ stacks, version }) ?? '');
}

function cdktfManifestVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('cdktf/package.json'), 'utf8')) as { version: string }).version;
}

function writeReports(directory: string, results: readonly ProvinceCompliance[]): void {
  mkdirSync(directory, { recursive: true });
  for (const result of results) {
    writeFileSync(join(directory, `${result.envName}.compliance.json`), renderJsonReport(result));
    writeFileSync(join(directory, `${result.envName}.compliance.md`), renderMarkdownReport(result));
  }
}

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
