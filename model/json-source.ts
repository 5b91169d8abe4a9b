/**
 * Reading an environment file's JSON the way its author needs: a syntax error says the line, the
 * column and the line itself, and a key written twice in one object is an error naming both places
 * (JSON.parse silently keeps the last one, which can make an application disappear from a province).
 */

export interface JsonSourceProblem {
  /** Dotted path of the object holding the problem, `(file)` for syntax errors. */
  readonly field: string;
  readonly message: string;
}

interface Position {
  readonly line: number;
  readonly column: number;
}

/** Line and column (1-based) of a character offset. */
export function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function lineText(text: string, line: number): string {
  return (text.split('\n')[line - 1] ?? '').trim();
}

/** An environment file is a few kilobytes; anything near this is not one (and would not fit the API server). */
export const MAX_SOURCE_BYTES = 1024 * 1024;
/** Nesting deeper than any environment field (the deepest is about 8): refused before parsing. */
export const MAX_NESTING = 64;

/** The first place nesting goes deeper than `MAX_NESTING`, outside strings; undefined when it does not. */
function tooDeep(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_NESTING) return i;
    } else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}

/** Parses `text`; returns the value, or the problems (a syntax error, or every duplicated key). */
export function parseJsonSource(text: string): { readonly value: unknown; readonly problems: readonly JsonSourceProblem[] } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) {
    return { value: undefined, problems: [{ field: '(file)', message: `received ${bytes} bytes; expected at most ${MAX_SOURCE_BYTES} (an environment file is a few kilobytes; large configuration belongs in the application's own ConfigMap or image)` }] };
  }
  if (text.startsWith('\uFEFF')) {
    return { value: undefined, problems: [{ field: '(file)', message: 'not valid JSON at line 1, column 1: the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM' }] };
  }
  const deep = tooDeep(text);
  if (deep !== undefined) {
    const at = positionOf(text, deep);
    return { value: undefined, problems: [{ field: '(file)', message: `nesting deeper than ${MAX_NESTING} levels at line ${at.line}, column ${at.column}; no environment field nests that deep: check the brackets` }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = /position (\d+)/.exec(message)?.[1];
    if (offset === undefined) return { value: undefined, problems: [{ field: '(file)', message: `not valid JSON: ${message}` }] };
    const at = positionOf(text, Number(offset));
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/ at position \d+.*$/, '');
    return { value: undefined, problems: [{ field: '(file)', message: `not valid JSON at line ${at.line}, column ${at.column}: ${reason}; the line reads: ${lineText(text, at.line)}` }] };
  }
  return { value, problems: duplicateKeys(text) };
}

/**
 * Every key that appears twice in the same object, with both positions. A small scanner over the
 * (already valid) JSON text: strings, objects and arrays, tracking the path of each object.
 */
function duplicateKeys(text: string): JsonSourceProblem[] {
  const problems: JsonSourceProblem[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const readString = (): string => {
    const start = i;
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const readValue = (path: readonly string[]): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Map<string, number>();
      skipSpace();
      if (text[i] === '}') return void i++;
      for (;;) {
        skipSpace();
        const keyOffset = i;
        const key = readString();
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          const first = positionOf(text, earlier);
          const second = positionOf(text, keyOffset);
          problems.push({
            field: path.length === 0 ? key : `${path.join('.')}.${key}`,
            message: `the key "${key}" appears twice in the same object, at line ${first.line}, column ${first.column} and at line ${second.line}, column ${second.column}; JSON keeps only the last: remove or merge one`,
          });
        } else seen.set(key, keyOffset);
        skipSpace();
        i++; // colon
        readValue([...path, key]);
        skipSpace();
        if (text[i++] === '}') return;
      }
    }
    if (c === '[') {
      i++;
      skipSpace();
      if (text[i] === ']') return void i++;
      for (let index = 0; ; index++) {
        readValue([...path.slice(0, -1), `${path[path.length - 1] ?? ''}[${index}]`]);
        skipSpace();
        if (text[i++] === ']') return;
      }
    }
    if (c === '"') return void readString();
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++; // number, true, false, null
  };
  readValue([]);
  return problems;
}
