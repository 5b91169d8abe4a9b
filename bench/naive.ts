/**
 * The naive baseline's process (spawned by bench/bench.ts): every province in one App, plain cdktf.
 *
 *   node .build/bench/naive.js <index,index,...> <services per stack> <outdir>
 */
import { synthesizeSlice } from './synthesize-provinces';

const [indexes, services, outdir] = process.argv.slice(2);
const result = synthesizeSlice(indexes!.split(',').map(Number), Number(services), outdir!, true);
process.stdout.write(`${JSON.stringify(result)}\n`);
