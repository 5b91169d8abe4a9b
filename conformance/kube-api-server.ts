/**
 * The Kubernetes API server's own code as the judge of custom resources (conformance/kube-api-server/
 * main.go, built from k8s.io/apiextensions-apiserver at the version its go.mod pins): each resource is
 * taken as the API server takes a create, or an update of the stored object, with the CRD version that
 * serves it. Unknown fields are reported (the API server prunes them without a word, so a misspelled
 * setting would be lost), then defaults are applied and the strategy's checks run: object metadata, the
 * OpenAPI schema, embedded resources, list types and the CRD's CEL rules (x-kubernetes-validations; on an
 * update, transition rules with oldSelf too).
 *
 * The program is our own module (its go.mod and go.sum are committed); the binary is kept in
 * `.cache/tools` under a hash of those three files (conformance/go-tool.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { servingCrd, type CrdVersion } from './crd-schema';
import { builtOnce, go, GoToolError } from './go-tool';
import { isObject, type Json } from './value-keys';

const MODULE_DIR = join(__dirname, 'kube-api-server');
const MODULE_FILES = ['main.go', 'go.mod', 'go.sum'];

/** The version of k8s.io/apiextensions-apiserver the program is built from (its go.mod). */
export function apiServerVersion(): string {
  const version = /^\s*k8s\.io\/apiextensions-apiserver\s+(\S+)/m.exec(readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8'))?.[1];
  if (!version) throw new GoToolError('conformance/kube-api-server/go.mod does not require k8s.io/apiextensions-apiserver');
  return version;
}

/** Builds the program once per source; returns its path. */
export function kubeApiServerTool(toolsDir: string): string {
  const hash = createHash('sha256');
  for (const file of MODULE_FILES) hash.update(file).update(readFileSync(join(MODULE_DIR, file)));
  const binary = join(toolsDir, `hsa-kube-api-server-${apiServerVersion()}-${hash.digest('hex').slice(0, 12)}`);
  return builtOnce(binary, (part) => {
    go(['build', '-trimpath', '-o', part, '.'], MODULE_DIR);
  });
}

export interface CustomResourceToAdmit {
  /** What a report calls it. */
  readonly name: string;
  /** As the API server receives it: Terraform references already resolved. */
  readonly object: Json;
  /** For an update: the object as stored before it (as written by its own create). */
  readonly old?: Json;
}

/** Each resource's errors as the API server would give them on its create or update (none: it is admitted), in order. */
export function admitCustomResources(tool: string, crds: readonly CrdVersion[], resources: readonly CustomResourceToAdmit[]): string[][] {
  const serving = resources.map((resource) => servingCrd(resource.object, crds));
  const schemas = [...new Set(serving.flatMap((s) => ('crd' in s ? [s.crd] : [])))];
  const admitted = resources.filter((_, i) => 'crd' in serving[i]!);
  const input = {
    schemas: schemas.map((crd) => ({ group: crd.group, version: crd.version, kind: crd.kind, namespaced: crd.namespaced, schema: crd.schema })),
    objects: admitted.map((resource) => ({ name: resource.name, object: resource.object, ...(resource.old === undefined ? {} : { old: resource.old }) })),
  };
  const run = spawnSync(tool, [], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28, timeout: 5 * 60_000 });
  if (run.status !== 0) throw new GoToolError(`the API server's validation failed to run: ${(run.stderr || run.error?.message || '').trim()}`);
  const results = JSON.parse(run.stdout) as { name: string; errors: string[] }[];
  if (results.length !== admitted.length) throw new GoToolError(`the API server's validation answered for ${results.length} of ${admitted.length} resources`);
  let next = 0;
  return serving.map((s) => ('crd' in s ? results[next++]!.errors : [s.error]));
}

/** The namespace a stack's `${kubernetes_namespace_v1.<id>.metadata[0].name}` names, as Terraform resolves it; any other value as it is. */
export function namespaceNamed(value: string, namespaces: Record<string, Json>, what: string): string {
  const reference = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(value);
  if (!reference) return value;
  const namespace = namespaces[reference[1]!];
  const name = isObject(namespace) && isObject(namespace.metadata) ? namespace.metadata.name : undefined;
  if (typeof name !== 'string') throw new Error(`${what}: namespace ${value} is not a namespace of the stack`);
  return name;
}

/** A kubernetes_manifest's object as the API server receives it: its namespace reference resolved. */
export function withResolvedManifestNamespace(address: string, manifest: Json, namespaces: Record<string, Json>): Json {
  if (!isObject(manifest) || !isObject(manifest.metadata) || typeof manifest.metadata.namespace !== 'string') return manifest;
  return { ...manifest, metadata: { ...manifest.metadata, namespace: namespaceNamed(manifest.metadata.namespace, namespaces, address) } };
}
