/**
 * Every image a rendered chart pulls: the containers, init containers and ephemeral containers of every
 * workload, and the images an operator is told to pull for what it manages (Strimzi's `STRIMZI_*IMAGE*`
 * environment variables, including the `version=image` lines of `STRIMZI_KAFKA_IMAGES`; CloudNativePG's
 * `POSTGRES_IMAGE_NAME` in its operator ConfigMap).
 */
import { parseAllDocuments } from 'yaml';
import { isObject, type Json } from './value-keys';

export interface RenderedImages {
  /** Images of the rendered workloads' containers. */
  readonly containers: readonly string[];
  /** Images an operator in the render pulls for the resources it manages. */
  readonly operatorManaged: readonly string[];
}

export function parseManifests(manifests: string): Json[] {
  return parseAllDocuments(manifests)
    .map((d) => d.toJSON() as Json)
    .filter((d) => d !== null);
}

export function imagesOfDocuments(documents: readonly Json[]): RenderedImages {
  const containers = new Set<string>();
  const operatorManaged = new Set<string>();
  const operatorImage = (value: string) => {
    for (const line of value.split('\n')) {
      const image = line.includes('=') ? line.slice(line.indexOf('=') + 1).trim() : line.trim();
      if (/^[a-z0-9.-]+(:\d+)?\/[^\s]+:[^\s]+$/.test(image)) operatorManaged.add(image);
    }
  };
  const walk = (node: Json): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    if (node.kind === 'ConfigMap' && isObject(node.data)) {
      for (const [key, value] of Object.entries(node.data)) if (/IMAGE/.test(key) && typeof value === 'string') operatorImage(value);
    }
    for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
      const list = node[key];
      if (!Array.isArray(list)) continue;
      for (const container of list) {
        if (!isObject(container)) continue;
        if (typeof container.image === 'string') containers.add(container.image);
        for (const variable of Array.isArray(container.env) ? container.env : []) {
          if (!isObject(variable) || typeof variable.value !== 'string' || !/IMAGE/.test(String(variable.name))) continue;
          operatorImage(variable.value);
        }
      }
    }
    Object.values(node).forEach(walk);
  };
  documents.forEach(walk);
  return { containers: [...containers].sort(), operatorManaged: [...operatorManaged].filter((i) => !containers.has(i)).sort() };
}
