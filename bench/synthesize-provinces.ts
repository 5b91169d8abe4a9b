/**
 * Synthesizes a slice of the benchmark fleet in this process and reports what it wrote: the optimized
 * path runs one of these per core (worker processes), the naive baseline runs one for everything with
 * the provider's generated classes and cdktf's own stack synthesis.
 *
 *   node bin/run.js ../bench/synthesize-provinces  (spawned by bench/bench.ts)
 */
import { App, TerraformResource } from 'cdktf';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useProviderClasses } from '../constructs/l1/light-resource';
import { loadEnvironmentFile } from '../model/load-environment';
import { addProvinceStacks } from '../stacks/province';
import { projectRoot } from '../bin/options';
import { fleetEnvironment, fleetProvince } from './fleet';

export interface SliceResult {
  readonly provinces: number;
  readonly stacks: number;
  readonly resources: number;
  readonly bytes: number;
  readonly maxRssKiB: number;
  readonly wallMs: number;
}

export function synthesizeSlice(indexes: readonly number[], servicesPerStack: number, outdir: string, naive: boolean): SliceResult {
  const started = Date.now();
  if (naive) {
    useProviderClasses('generated');
    // A straightforward program imports the provider packages whole.
    require('@cdktf/provider-kubernetes');
    require('@cdktf/provider-helm');
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
  const bytes = stacks.reduce((n, stack) => n + statSync(join(outdir, 'stacks', stack, 'cdk.tf.json')).size, 0);
  return { provinces: indexes.length, stacks: stacks.length, resources, bytes, maxRssKiB: process.resourceUsage().maxRSS, wallMs: Date.now() - started };
}

if (require.main === module) {
  const [indexes, services, outdir, mode] = process.argv.slice(2);
  const result = synthesizeSlice(indexes!.split(',').map(Number), Number(services), outdir!, mode === 'naive');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
