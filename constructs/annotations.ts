import type { TerraformElement } from 'cdktf';
import { ANNOTATION_KEY, IMAGES_KEY, type HsaAnnotation } from '../synthesized/annotations';

export type { HsaAnnotation } from '../synthesized/annotations';

/** Writes what a resource is for into its "//" block (the vocabulary is `synthesized/annotations.ts`). */
export function annotateResource(resource: TerraformElement, annotation: HsaAnnotation): void {
  resource.addOverride(`//.${ANNOTATION_KEY}`, annotation);
}

/**
 * The images a helm release pulls (its containers and what its operator pulls for the resources the
 * toolkit declares), written into its "//" block: `npm run images` lists them for the air-gap mirror,
 * and the conformance procedure checks them against the real chart's render.
 */
export function declareImages(resource: TerraformElement, images: readonly string[]): void {
  resource.addOverride(`//.${IMAGES_KEY}`, [...new Set(images)].sort());
}
