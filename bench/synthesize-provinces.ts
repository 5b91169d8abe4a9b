/**
 * Synthesizes a slice of the benchmark fleet in this process and reports what it wrote: the optimized
 * path runs one of these per core (worker processes), the naive baseline runs one for everything with
 * the provider's generated classes and cdktf's own stack synthesis.
 *
 * bench/naive.ts runs the naive baseline in a process of its own; bench/worker.ts runs provinces.
 */
import { App, TerraformResource } from 'cdktf';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { useProviderClasses } from '../constructs/l1/light-resource';
import { loadEnvironmentFile } from '../model/load-environment';
import { addProvinceStacks } from '../stacks/province';
import { forgetTokensSince, tokensMark } from '../engine/token-registry';
import { projectRoot } from '../pipeline/options';
import { cacheKey, synthCacheSettings, synthesisProcessEnvironment, type CacheEntry, type SynthCacheSettings } from '../pipeline/synth-cache';
import type { Environment } from '../model/environment-schema';
import { stackResourceCount } from '../stacks/platform-app';
import { fleetEnvironment, fleetProvince } from './fleet';

export interface SliceResult {
  readonly provinces: number;
  readonly stacks: number;
  readonly resources: number;
  readonly bytes: number;
  readonly maxRssKiB: number;
  readonly wallMs: number;
  /** Provinces copied from the synthesis cache. */
  readonly fromCache: number;
}

export function synthesizeSlice(indexes: readonly number[], servicesPerStack: number, outdir: string, naive: boolean): SliceResult {
  const started = Date.now();
  if (naive) {
    useProviderClasses('generated');
    // A straightforward program imports the provider packages whole: loaded from node_modules at run
    // time (through createRequire, which bin/run.js's bundler leaves alone), as such a program would.
    const load = createRequire(join(projectRoot(), 'package.json'));
    for (const provider of ['@cdktf/provider-kubernetes', '@cdktf/provider-helm']) load(provider);
  }
  mkdirSync(outdir, { recursive: true });
  const demo = loadEnvironmentFile(join(projectRoot(), 'environments', 'demo.json')).environment;
  const app = new App({ outdir, stackTraces: false });
  for (const index of indexes) {
    const { name, environment } = fleetEnvironment(index, demo);
    addProvinceStacks(app, fleetProvince(name, environment, servicesPerStack));
  }
  // Counted from the construct tree, not by parsing the output again: the measurement stays out of the time.
  const resources = app.node.findAll().filter((node) => node instanceof TerraformResource).length;
  app.synth();
  const stacks = readdirSync(join(outdir, 'stacks'));
  return { provinces: indexes.length, stacks: stacks.length, resources, bytes: stackBytes(outdir, stacks), maxRssKiB: process.resourceUsage().maxRSS, wallMs: Date.now() - started, fromCache: 0 };
}

let demoEnvironment: Environment | undefined;
let cacheSettings: SynthCacheSettings | undefined;

/**
 * One province of the fleet the toolkit's way (worker processes call this): copied from the cache when
 * its inputs are unchanged, otherwise synthesized and stored, as `npm run synth` does.
 */
export function synthesizeFleetProvince(index: number, revision: number, servicesPerStack: number, outdir: string, cacheDir?: string): SliceResult {
  const started = Date.now();
  demoEnvironment ??= loadEnvironmentFile(join(projectRoot(), 'environments', 'demo.json')).environment;
  const { name, environment } = fleetEnvironment(index, demoEnvironment, revision);
  if (cacheDir) cacheSettings ??= synthCacheSettings(cacheDir);
  const key = cacheSettings
    ? cacheKey({
        kind: 'bench-fleet',
        envName: name,
        environment,
        options: { servicesPerStack },
        code: cacheSettings.fingerprints.code,
        dependencies: cacheSettings.fingerprints.dependencies,
        processEnvironment: synthesisProcessEnvironment(),
      })
    : '';
  const cached = cacheSettings?.store.restore<null>(key, outdir);
  if (cached) return provinceResult(cached, outdir, started, 1);
  mkdirSync(outdir, { recursive: true });
  const mark = tokensMark();
  const app = new App({ outdir, stackTraces: false });
  const stackNames = addProvinceStacks(app, fleetProvince(name, environment, servicesPerStack)).map((stack) => stack.node.id);
  app.synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, Record<string, unknown>> };
  const entry: CacheEntry<null> = {
    envName: name,
    stacks: stackNames.map((stack) => ({ name: stack, manifestEntry: manifest.stacks[stack]!, resources: stackResourceCount(app, stack) })),
    extra: null,
  };
  cacheSettings?.store.store(key, entry, outdir);
  // A worker builds one App after another: let this one's construct tree go (engine/token-registry.ts).
  forgetTokensSince(mark);
  return provinceResult(entry, outdir, started, 0);
}

function provinceResult(entry: CacheEntry<null>, outdir: string, started: number, fromCache: number): SliceResult {
  const resources = entry.stacks.reduce((n, stack) => n + stack.resources, 0);
  const bytes = stackBytes(outdir, entry.stacks.map((stack) => stack.name));
  return { provinces: 1, stacks: entry.stacks.length, resources, bytes, maxRssKiB: process.resourceUsage().maxRSS, wallMs: Date.now() - started, fromCache };
}

function stackBytes(outdir: string, stacks: readonly string[]): number {
  return stacks.reduce((n, stack) => n + statSync(join(outdir, 'stacks', stack, 'cdk.tf.json')).size, 0);
}
