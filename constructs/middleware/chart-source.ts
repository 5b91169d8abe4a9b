/** Where charts and images come from: the province's air-gapped mirrors. */
export interface ChartSource {
  /** Helm repository URL (https:// or oci://). */
  readonly repository: string;
  /** Image registry host, e.g. `registry.gd.hsa.internal`. */
  readonly imageRegistry: string;
  /** Path under the registry that holds the platform's images, e.g. `hsa`. */
  readonly imagePath: string;
}

/** Splits `registry.host[:port]/path` into host and path. */
export function chartSourceOf(chartRepository: string, images: string): ChartSource {
  const [host, ...path] = images.split('/');
  return { repository: chartRepository, imageRegistry: host!, imagePath: path.join('/') };
}

/** Helm values as one JSON document (valid YAML), with the key order the code wrote: deterministic. */
export function helmValues(values: object): string {
  return JSON.stringify(values, null, 2);
}
