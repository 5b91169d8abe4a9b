/**
 * Every image and chart a province pulls, with either site active: synthesized into a scratch directory
 * and read from the output (review/image-inventory.ts). `npm run images` is its command line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SITES } from '../model/topology';
import { imagesOfOutput } from '../review/image-inventory';
import { synthesizeWithReport } from './synthesize';

export function provinceInventory(envName: string, environmentsDir: string): { images: string[]; charts: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'hsa-images-'));
  try {
    const images = new Set<string>();
    const charts = new Set<string>();
    for (const activeSite of SITES) {
      const outdir = join(work, activeSite);
      synthesizeWithReport({ envs: [envName], activeSite, outdir, environmentsDir }, undefined, 'report-only');
      const inventory = imagesOfOutput(outdir);
      inventory.images.forEach((i) => images.add(i));
      inventory.charts.forEach((c) => charts.add(c));
    }
    return { images: [...images].sort(), charts: [...charts].sort() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

