/**
 * Reading synthesized output: the small helpers the compliance facts and each kind's facts
 * (pairs/<kind>/<kind>-facts.ts) share to read a stack's JSON without trusting its shape.
 */
import { parse as parseYaml } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue, type StackJson } from './json';

export const obj = (value: JsonValue | undefined): JsonObject => (isJsonObject(value) ? value : {});
export const arr = (value: JsonValue | undefined): JsonValue[] => (Array.isArray(value) ? value : []);
export const str = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * A helm values document, parsed: JSON (the toolkit writes its values as JSON) or YAML (values written by
 * hand, or by a construct used in another project); undefined for a text that is neither a mapping nor
 * a list, which is then read as plain text.
 */
export function parseValuesDocument(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    // not JSON: try YAML below
  }
  try {
    const document = parseYaml(text, { maxAliasCount: 100 }) as unknown;
    return document !== null && typeof document === 'object' ? (document as JsonValue) : undefined;
  } catch {
    return undefined;
  }
}

/** A release's values documents (JSON or YAML, as the rules read them), merged shallowly in order. */
export function releaseValues(body: JsonObject): JsonObject {
  const merged: JsonObject = {};
  for (const text of arr(body.values)) if (typeof text === 'string') Object.assign(merged, obj(parseValuesDocument(text)));
  return merged;
}

/** A value as the stack writes it, with `${<type>.<name>.metadata[0].name}` references to its own resources resolved. */
export function resolveName(stack: StackJson, value: JsonValue | undefined): string | undefined {
  const text = str(value);
  const reference = text ? /^\$\{([\w-]+)\.([\w-]+)\.metadata\[0\]\.name\}$/.exec(text) : null;
  if (!reference) return text;
  const target = stack.resource?.[reference[1]!]?.[reference[2]!];
  return str(obj(target?.metadata).name);
}

/** The `host` of `host:port`. */
export const hostOf = (address: string) => address.replace(/:\d+$/, '');

/** A standby's built configuration replicating from the active site (with where it says so), or why not. */
export type StandbyProof = { readonly proof: string; readonly synchronous: boolean } | { readonly reason: string };
