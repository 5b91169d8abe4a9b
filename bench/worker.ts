/**
 * A benchmark worker: synthesizes the provinces it is sent, one App each, and reports back. With a
 * cache directory, a province whose inputs are unchanged is copied from the cache instead.
 */
import { join } from 'node:path';
import { synthesizeFleetProvince } from './synthesize-provinces';

interface Job {
  readonly index: number;
  readonly services: number;
  readonly outdir: string;
  readonly revision: number;
  readonly cacheDir?: string;
}

process.on('message', (job: Job | 'exit') => {
  if (job === 'exit') process.exit(0);
  const result = synthesizeFleetProvince(job.index, job.revision, job.services, join(job.outdir, `p${job.index}`), job.cacheDir);
  process.send!({ index: job.index, ...result });
});
