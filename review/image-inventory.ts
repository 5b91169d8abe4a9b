/**
 * What an air-gapped datacenter must hold before the first deploy, read from a synthesized output:
 * every image (registry/repository:tag) and every chart (repository/name:version). Images of helm
 * releases come from the `//.images` list each release declares (written by the constructs from the
 * same image catalog that fills the chart values; the conformance procedure checks it against the real
 * renders); images of the toolkit's own workloads come from their container specs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES_KEY } from '../synthesized/annotations';
import type { JsonObject, JsonValue as Json } from '../synthesized/json';

export interface ImageInventory {
  /** Sorted, without duplicates. */
  readonly images: readonly string[];
  readonly charts: readonly string[];
}


function containerImages(node: Json, into: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => containerImages(n, into));
  if (node === null || typeof node !== 'object') return;
  for (const key of ['container', 'init_container']) {
    const list = node[key];
    if (!Array.isArray(list)) continue;
    for (const container of list) {
      if (container !== null && typeof container === 'object' && !Array.isArray(container) && typeof container.image === 'string') into.add(container.image);
    }
  }
  for (const [key, value] of Object.entries(node)) if (key !== '//') containerImages(value, into);
}

/** The inventory of every stack in `outdir/stacks/`. */
export function imagesOfOutput(outdir: string): ImageInventory {
  const images = new Set<string>();
  const charts = new Set<string>();
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) throw new Error(`${outdir}: no synthesized stacks (run npm run synth first)`);
  for (const stack of readdirSync(stacksDir)) {
    const document = JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, JsonObject>> };
    for (const [type, resources] of Object.entries(document.resource ?? {})) {
      for (const resource of Object.values(resources)) {
        if (type === 'helm_release') {
          charts.add(`${String(resource.repository)}/${String(resource.chart)}:${String(resource.version)}`);
          const comment = resource['//'];
          const declared = comment !== null && typeof comment === 'object' && !Array.isArray(comment) ? comment[IMAGES_KEY] : undefined;
          if (!Array.isArray(declared)) throw new Error(`${stack}: helm_release ${String(resource.name)} declares no images ("//".images); every release must list what it pulls`);
          for (const image of declared) images.add(String(image));
        } else {
          containerImages(resource, images);
        }
      }
    }
  }
  return { images: [...images].sort(), charts: [...charts].sort() };
}
