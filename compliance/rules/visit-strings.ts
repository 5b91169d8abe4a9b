import { parse as parseYaml } from 'yaml';
import type { JsonValue } from '../types';

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

/** A string's place in a resource: its keys and indexes from the top, as `visitStrings` walks (valid during the call). */
export type StringPlace = readonly (string | number)[];

/** `a.b[0].c` for the place `['a', 'b', 0, 'c']`, after `base`. */
export function renderPath(place: StringPlace, base = ''): string {
  return place.reduce<string>((rendered, step) => (typeof step === 'number' ? `${rendered}[${step}]` : rendered ? `${rendered}.${step}` : step), base);
}

/**
 * Calls `visit` with every string in a synthesized resource, where it stands, and its path (`a.b[0].c`,
 * after `base`); skips `//` metadata. The path is rendered only when asked for: a province has tens of
 * thousands of strings and findings are rare.
 */
export function visitStrings(value: JsonValue, visit: (text: string, path: () => string, place: StringPlace) => void, base = ''): void {
  const place: (string | number)[] = [];
  const path = () => renderPath(place, base);
  const walk = (node: JsonValue): void => {
    if (typeof node === 'string') return visit(node, path, place);
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        place.push(i);
        walk(node[i]!);
        place.pop();
      }
      return;
    }
    for (const key of Object.keys(node)) {
      if (key === '//') continue;
      place.push(key);
      walk(node[key]!);
      place.pop();
    }
  };
  walk(value);
}
