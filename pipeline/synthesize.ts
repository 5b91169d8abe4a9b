/**
 * Synthesis as the toolkit does it: validate every requested environment first, synthesize into a
 * scratch directory (or copy unchanged environments from the synthesis cache), run the compliance packs
 * on what was written, and only then replace the output directory. `bin/synth.ts` is its command line.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listEnvironments, loadEnvironments, type LoadedEnvironment } from '../model/load-environment';
import type { ProvinceCompliance } from '../compliance/check-province';
import { renderConsoleFindings, renderJsonReport, renderMarkdownReport } from '../compliance/report';
import { stableStringify } from '../engine/stable-json';
import { lockOutput, outputPaths, repairOutput, stacksIn, swapOutput } from './output-swap';
import { cacheKey, synthesisProcessEnvironment, type CacheEntry, type SynthCacheSettings } from './synth-cache';
import type { SynthOptions } from './options';

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
      const { synthesizeAndCheck } = require('./synthesize-and-check') as typeof import('./synthesize-and-check');
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

