/**
 * `npm run bench [-- --provinces 32 --services 300 --workers 2 --naive yes|no]`
 *
 * Synthesizes a national fleet (default 32 provinces x 4 stacks x 300 services, with every middleware
 * and DR pair) the toolkit's way, light resources and fast stack synthesis in one worker process per
 * core, three times:
 *   1. cold: an empty synthesis cache, every province synthesized (and stored);
 *   2. incremental: one province edited (an application scaled up), the other 31 copied from the cache;
 *   3. the naive baseline: plain cdktf, provider packages imported whole, generated classes, one App,
 *      one process, no cache.
 * Prints wall time, peak memory, resources written and the ratio of the cold run to the baseline.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, readFlags } from '../pipeline/options';
import type { SliceResult } from './synthesize-provinces';

interface Figures {
  readonly wallMs: number;
  readonly fromCache: number;
  /** Sum of the peak RSS of every process of the run (they run at the same time). */
  readonly peakRssMiB: number;
  readonly resources: number;
  readonly bytes: number;
}

const progressVisible = process.stderr.isTTY === true && !process.env.CI;

/**
 * Node flags of the worker processes. A young generation of fixed size instead of one grown from 1 MB
 * (as `npm run synth` runs, see package.json): synthesis allocates fast and much of it survives a while;
 * measured on 8 provinces in one process, 5.6 to 6.4 s with it against 7.2 to 7.6 s without. And no
 * helper threads (garbage collection and compilation on the main thread): with one worker per core they
 * only compete with the other worker; measured on 16 provinces, 4 runs each, 6.8 to 8.2 s with it
 * against 7.6 to 10.1 s without, and less CPU time and memory in every pair.
 */
const SYNTHESIS_NODE_FLAGS = ['--min-semi-space-size=16', '--single-threaded'];

function progress(done: number, total: number): void {
  if (progressVisible) process.stderr.write(`\r  environments ${done}/${total}${done === total ? '\n' : ''}`);
}

async function optimized(provinces: number, services: number, workers: number, outdir: string, cacheDir: string, editedProvince?: number): Promise<Figures> {
  const started = Date.now();
  const queue = Array.from({ length: provinces }, (_, i) => i);
  let done = 0;
  let resources = 0;
  let bytes = 0;
  let fromCache = 0;
  const peaks: number[] = [];
  await Promise.all(
    Array.from({ length: Math.min(workers, provinces) }, () =>
      new Promise<void>((resolve, reject) => {
        // Through the launcher, as `npm run synth` runs: compiled from the V8 code cache after the first time.
        const child = fork(join(projectRoot(), 'bin', 'run.js'), ['bench/worker'], { execArgv: SYNTHESIS_NODE_FLAGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let peak = 0;
        const next = () => {
          const index = queue.shift();
          if (index === undefined) child.send('exit');
          else child.send({ index, services, outdir, cacheDir, revision: index === editedProvince ? 1 : 0 });
        };
        child.on('message', (result: SliceResult) => {
          resources += result.resources;
          bytes += result.bytes;
          fromCache += result.fromCache;
          peak = Math.max(peak, result.maxRssKiB);
          progress(++done, provinces);
          next();
        });
        child.on('exit', (code) => {
          peaks.push(peak);
          if (code === 0) resolve();
          else reject(new Error(`worker exited with ${code}`));
        });
        next();
      }),
    ),
  );
  const ownPeak = process.resourceUsage().maxRSS;
  return { wallMs: Date.now() - started, peakRssMiB: Math.round((peaks.reduce((a, b) => a + b, 0) + ownPeak) / 1024), resources, bytes, fromCache };
}

function naive(provinces: number, services: number, outdir: string): Promise<Figures> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const indexes = Array.from({ length: provinces }, (_, i) => i).join(',');
    // At national size a single cdktf process outgrows V8's default heap (it dies near 4 GB): give it room.
    const child = spawn(process.execPath, ['--max-old-space-size=20000', join(__dirname, 'naive.js'), indexes, String(services), outdir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`naive baseline exited with ${code}`));
      const result = JSON.parse(out) as SliceResult;
      resolve({ wallMs: Date.now() - started, peakRssMiB: Math.round((result.maxRssKiB + process.resourceUsage().maxRSS) / 1024), resources: result.resources, bytes: result.bytes, fromCache: 0 });
    });
  });
}

function line(label: string, f: Figures): string {
  const seconds = f.wallMs / 1000;
  const cached = f.fromCache > 0 ? `  (${f.fromCache} provinces from the cache)` : '';
  return `${label.padEnd(24)} ${seconds.toFixed(1).padStart(7)} s  ${String(f.peakRssMiB).padStart(6)} MiB peak  ${String(f.resources).padStart(8)} resources  ${Math.round(f.resources / seconds).toString().padStart(7)} resources/s  ${(f.bytes / 1e6).toFixed(1)} MB JSON${cached}`;
}

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2), ['provinces', 'services', 'workers', 'naive']);
  const provinces = Number(flags.get('provinces') ?? 32);
  const services = Number(flags.get('services') ?? 300);
  const workers = Number(flags.get('workers') ?? cpus().length);
  const runNaive = (flags.get('naive') ?? 'yes') !== 'no';
  const work = mkdtempSync(join(tmpdir(), 'hsa-bench-'));
  try {
    console.log(`fleet: ${provinces} provinces x 4 stacks x ${services} services, ${cpus().length} cores, node ${process.version}`);
    const cacheDir = join(work, 'cache');
    const fast = await optimized(provinces, services, workers, join(work, 'cold'), cacheDir);
    console.log(line('toolkit, cold cache', fast));
    const edited = Math.floor(provinces / 2);
    const incremental = await optimized(provinces, services, workers, join(work, 'incremental'), cacheDir, edited);
    console.log(line(`toolkit, p${String(edited + 1).padStart(2, '0')} edited`, incremental));
    if (runNaive) {
      const slow = await naive(provinces, services, join(work, 'naive'));
      console.log(line('naive', slow));
      console.log(`ratio: toolkit (cold cache) is ${(slow.wallMs / fast.wallMs).toFixed(1)}x faster than the naive baseline, same ${fast.resources === slow.resources ? 'resource count' : 'RESOURCE COUNT DIFFERS'}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
