import type { JsonValue } from '../types';

/** A text that holds JSON (the toolkit writes helm values as JSON), parsed; undefined for anything else (e.g. YAML). */
export function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

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
