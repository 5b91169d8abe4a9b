/**
 * Finding value keys a chart never reads: take one leaf out of the values at a time, render again and
 * compare with the full render. A leaf whose removal changes nothing may still equal the chart's own
 * default, so it is then changed instead (a different string, number or flag): a leaf whose change
 * changes nothing either is ignored by the chart. Renders are compared after masking what a chart
 * generates at random (certificates, generated passwords and their checksums).
 */

import type { JsonObject, JsonValue } from '../compliance/types';

export type Json = JsonValue;

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Paths of every leaf: scalars, arrays (taken whole) and empty objects. */
export function leafPaths(values: Json, prefix: readonly string[] = []): string[][] {
  if (!isObject(values) || Object.keys(values).length === 0) return prefix.length > 0 ? [[...prefix]] : [];
  return Object.entries(values).flatMap(([key, value]) => leafPaths(value, [...prefix, key]));
}

function clone(values: Json): Json {
  return JSON.parse(JSON.stringify(values)) as Json;
}

/** The object holding the leaf at `path` inside `root`, or undefined when the path leaves the objects. */
function parentOf(root: Json, path: readonly string[]): JsonObject | undefined {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node)) return undefined;
    node = node[key] ?? null;
  }
  return isObject(node) ? node : undefined;
}

/** A copy without the leaf at `path` (and without objects the removal leaves empty). */
export function withoutLeaf(values: Json, path: readonly string[]): Json {
  const copy = clone(values);
  const parent = parentOf(copy, path);
  if (!parent) return copy;
  delete parent[path[path.length - 1]!];
  // Drop objects emptied by the removal, innermost first.
  for (let depth = path.length - 1; depth > 0; depth--) {
    const holder = parentOf(copy, path.slice(0, depth));
    const child = holder?.[path[depth - 1]!];
    if (!holder || !isObject(child) || Object.keys(child).length > 0) break;
    delete holder[path[depth - 1]!];
  }
  return copy;
}

/** A copy with the leaf at `path` changed to another value of the same kind, or undefined if it cannot be. */
export function withChangedLeaf(values: Json, path: readonly string[]): Json | undefined {
  const copy = clone(values);
  const parent = parentOf(copy, path);
  if (!parent) return undefined;
  const key = path[path.length - 1]!;
  const value = parent[key];
  if (typeof value === 'boolean') parent[key] = !value;
  else if (typeof value === 'number') parent[key] = value + 1;
  else if (typeof value === 'string') parent[key] = /^\d+(\.\d+)?[a-zA-Z]*$/.test(value) ? value.replace(/^\d+/, (n) => String(Number(n) + 1)) : `${value}x`;
  else if (Array.isArray(value)) parent[key] = value.length > 0 ? value.slice(1) : ['conformance-probe'];
  else return undefined;
  return copy;
}

/**
 * Masks what differs between two renders of the same values: PEM blocks and long base64 runs
 * (generated certificates and keys), 64-hex checksums, and random alphanumeric passwords in Secret data.
 */
export function normalizeRender(manifests: string): string {
  return manifests
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '<pem>')
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '<base64>')
    .replace(/\b[0-9a-f]{64}\b/g, '<sha256>');
}

export interface KeyFinding {
  readonly path: string;
  /** `ignored`: neither removing nor changing it changes the render; `default`: removing it changes nothing (it equals the chart's default). */
  readonly kind: 'ignored' | 'default';
}

/**
 * Checks every leaf of `values` with `render` (which returns the normalized manifests, or undefined if
 * the chart refuses the values). `baseline` is the render of the full values.
 */
export function findUnreadKeys(values: Json, baseline: string, render: (values: Json) => string | undefined): KeyFinding[] {
  const findings: KeyFinding[] = [];
  for (const path of leafPaths(values)) {
    const removed = render(withoutLeaf(values, path));
    if (removed !== baseline) continue;
    const changedValues = withChangedLeaf(values, path);
    const changed = changedValues === undefined ? baseline : render(changedValues);
    findings.push({ path: path.join('.'), kind: changed === baseline ? 'ignored' : 'default' });
  }
  return findings;
}
