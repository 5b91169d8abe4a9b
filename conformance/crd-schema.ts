/**
 * The CRDs a render or an install directory holds, by version, and which one serves a custom resource.
 * The custom resources themselves are judged by the API server's own code
 * (conformance/kube-api-server.ts).
 */
import { parseAllDocuments } from 'yaml';
import { isObject, type Json } from './value-keys';

export interface CrdVersion {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly served: boolean;
  /** `scope: Namespaced`: its objects need a namespace. */
  readonly namespaced: boolean;
  readonly schema: Json;
}

/** Every version of every CRD in the YAML texts given. */
export function crdVersionsOf(yamlTexts: readonly string[]): CrdVersion[] {
  return crdVersionsOfDocuments(yamlTexts.flatMap((text) => parseAllDocuments(text).map((document) => document.toJSON() as Json)));
}

/** Every version of every CRD among documents already parsed (a chart's render). */
export function crdVersionsOfDocuments(documents: readonly Json[]): CrdVersion[] {
  const versions: CrdVersion[] = [];
  for (const crd of documents) {
    if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) continue;
    const spec = crd.spec;
    const names = spec.names;
    if (!isObject(names) || !Array.isArray(spec.versions)) continue;
    for (const version of spec.versions) {
      if (!isObject(version) || !isObject(version.schema)) continue;
      versions.push({
        group: String(spec.group),
        kind: String(names.kind),
        version: String(version.name),
        served: version.served === true,
        namespaced: spec.scope === 'Namespaced',
        schema: version.schema.openAPIV3Schema ?? null,
      });
    }
  }
  return versions;
}

/** The CRD version that serves a custom resource (apiVersion and kind), or why none does. */
export function servingCrd(resource: Json, crds: readonly CrdVersion[]): { readonly crd: CrdVersion } | { readonly error: string } {
  if (!isObject(resource)) return { error: 'not an object' };
  const [group, version] = String(resource.apiVersion).split('/');
  const crd = crds.find((c) => c.group === group && c.version === version && c.kind === resource.kind);
  if (!crd) {
    const known = crds.filter((c) => c.kind === resource.kind).map((c) => `${c.group}/${c.version}`);
    return { error: `no CRD serves ${String(resource.apiVersion)} ${String(resource.kind)} (known: ${known.join(', ') || 'none'})` };
  }
  if (!crd.served) return { error: `${crd.group}/${crd.version} ${crd.kind} is not served` };
  return { crd };
}
