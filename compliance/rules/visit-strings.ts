import type { JsonValue } from '../types';
import { parseValuesDocument } from '../../synthesized/read';

export { parseValuesDocument };

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
