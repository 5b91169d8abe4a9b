/** A benchmark worker: synthesizes the provinces it is sent, one App each, and reports back. */
import { join } from 'node:path';
import { synthesizeSlice } from './synthesize-provinces';

interface Job {
  readonly index: number;
  readonly services: number;
  readonly outdir: string;
}

process.on('message', (job: Job | 'exit') => {
  if (job === 'exit') process.exit(0);
  const result = synthesizeSlice([job.index], job.services, join(job.outdir, `p${job.index}`), false);
  process.send!({ index: job.index, ...result });
});
