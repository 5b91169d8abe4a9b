import type { JsonValue } from '../types';

/** Calls `visit` with every string in a synthesized resource and its path (`a.b[0].c`); skips `//` metadata. */
export function visitStrings(value: JsonValue, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') return visit(value, path);
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach((item, i) => visitStrings(item, `${path}[${i}]`, visit));
  for (const [key, child] of Object.entries(value)) {
    if (key === '//') continue;
    visitStrings(child, path ? `${path}.${key}` : key, visit);
  }
}
