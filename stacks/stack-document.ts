/**
 * The synthesized JSON of a stack with the same bytes cdktf writes (json-stable-stringify, `space: 2`,
 * over the resolved, merged elements), in fewer passes and with far less copying.
 *
 * cdktf walks every element's tree in a preparing resolve, then copies it to resolve it, copies it
 * again to deep-merge it into the stack, resolves the stack once more and walks it to sort keys while
 * writing. Here:
 *   1. preparing pass: each element's fragment is copied once (`prepareFragment`): keys inserted
 *      sorted, `undefined` dropped as cdktf's resolver drops it, and each string that holds a token
 *      remembered with its place. Only those strings go through cdktf's resolver in this pass (for its
 *      effects, such as registering cross-stack references). The raw fragment is garbage right away.
 *   2. writing pass: the remembered strings are resolved into their places (`resolvePrepared`), the
 *      copies are merged into the stack by reference where cdktf's deep merge would only copy them, and
 *      V8's native `JSON.stringify` writes the text (its key order is the sorted insertion order). The
 *      one formatting difference, `[]` and `{}` broken over two lines, is fixed while encoding.
 *
 * Anything outside plain JSON data with string tokens (resolvable objects, encoded lists or maps,
 * number tokens, class instances, dates, keys V8 would order as array indices...) is reported as not
 * preparable; the caller then takes the general path (stacks/fast-stack-synthesis.ts) for that stack,
 * so the output is exact either way. test/stack-document.test.ts and test/l1-equivalence.test.ts
 * compare the results with cdktf's own synthesis.
 */

/** Every encoded cdktf token (string `${TfToken[...]}`, list `#{TfToken[...]}`, map `&{TfToken[...]}`). */
export const TOKEN_MARKER = 'TfToken[';
const STRING_TOKEN_MARKER = '${TfToken[';

/**
 * cdktf encodes number tokens as doubles tagged in their top 16 bits (0xFDFF, lists 0xFBFF): all below
 * -1.8e289. Any number above this bound is a plain number.
 */
const TOKEN_NUMBER_BOUND = -1e289;
/** What cdktf's resolver refuses in a scalar context (Token.STRING_MAP_TOKEN_VALUE and friends). */
const MAP_TOKEN_STRINGS: ReadonlySet<string> = new Set(['String Map Token Value', 'Any Map Token Value']); // 22 and 19 characters
const NUMBER_MAP_TOKEN_VALUE = -123456789;

/** True when a number may be a token (cdktf decides; a plain number never is). */
export function mayBeTokenNumber(value: number): boolean {
  return value < TOKEN_NUMBER_BOUND || value === NUMBER_MAP_TOKEN_VALUE;
}

/**
 * True when cdktf's resolver may change a string: it holds an encoded token, or text that may be a number
 * token written into a string (about -8e298 or -1.9e289: its decimal form always has `e+2`), or it is
 * one of the map token values.
 */
export function stringNeedsResolver(value: string): boolean {
  return value.includes(TOKEN_MARKER) || value.includes('e+2') || ((value.length === 22 || value.length === 19) && MAP_TOKEN_STRINGS.has(value));
}

/** Resolves one string for one stack and pass (the caller memoizes: each distinct string once). */
export interface LeafResolver {
  resolveString(value: string): unknown;
}

export type JsonRecord = Record<string, unknown>;

/** Every `TfToken[` marker in the string opens a string token (`${TfToken[`), none a list or map token. */
function onlyStringTokens(value: string): boolean {
  let from = 0;
  for (;;) {
    const at = value.indexOf(TOKEN_MARKER, from);
    if (at < 0) return true;
    if (at < 2 || value.slice(at - 2, at + TOKEN_MARKER.length) !== STRING_TOKEN_MARKER) return false;
    from = at + TOKEN_MARKER.length;
  }
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Keys V8 enumerates first, in numeric order, whatever the insertion order: array indices. */
function isArrayIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57) return false;
  if (key === '0') return true;
  if (first === 48 || !/^[0-9]+$/.test(key)) return false;
  return Number(key) < 4294967295;
}

/** Thrown while copying when a value needs the general path; never escapes this module. */
class NeedsGeneralPath extends Error {}

/**
 * An element's fragment copied for writing: sorted, without `undefined`, with the places of the strings
 * that still need cdktf's resolver (container, key or index, the string), three entries per place.
 */
export interface PreparedFragment {
  readonly data: JsonRecord;
  readonly pending: unknown[];
  /** Its empty arrays and objects (the text needs the two-line form for them). */
  readonly empties: readonly object[];
}

class FragmentCopier {
  readonly pending: unknown[] = [];
  readonly empties: object[] = [];

  constructor(private readonly onTokenString: (value: string) => void) {}

  /** A string, number, boolean or null as written; `undefined` to leave out; a container to copy. */
  private scalar(value: unknown, container: object, key: string | number): unknown {
    switch (typeof value) {
      case 'string':
        if (!stringNeedsResolver(value)) return value;
        // Only string tokens resolve to plain text in place; list and map tokens take the general path.
        if (MAP_TOKEN_STRINGS.has(value) || !onlyStringTokens(value)) throw new NeedsGeneralPath();
        this.onTokenString(value);
        this.pending.push(container, key, value);
        return value;
      case 'number':
        if (mayBeTokenNumber(value)) throw new NeedsGeneralPath();
        return value;
      case 'boolean':
      case 'undefined':
        return value;
      case 'object':
        if (value === null) return null;
        return Array.isArray(value) ? this.array(value) : this.record(value);
      default:
        // Functions, symbols, bigints: the general path passes them to cdktf, which refuses or keeps them.
        throw new NeedsGeneralPath();
    }
  }

  array(values: readonly unknown[]): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < values.length; i++) {
      const copied = this.scalar(values[i], out, out.length);
      if (copied !== undefined) out.push(copied);
    }
    if (out.length === 0) this.empties.push(out);
    return out;
  }

  record(value: object): JsonRecord {
    if (!isPlainObject(value)) throw new NeedsGeneralPath();
    const source = value as JsonRecord;
    const keys = Object.keys(source).sort();
    const out: JsonRecord = {};
    let written = 0;
    for (const key of keys) {
      if (stringNeedsResolver(key) || isArrayIndexKey(key)) throw new NeedsGeneralPath();
      const copied = this.scalar(source[key], out, key);
      if (copied === undefined) continue;
      out[key] = copied;
      written++;
    }
    if (written === 0) this.empties.push(out);
    return out;
  }
}

/**
 * Copies a fragment for writing, calling `onTokenString` for every string that needs cdktf's resolver
 * (the preparing pass resolves it there). `undefined` when the fragment needs the general path.
 */
export function prepareFragment(fragment: unknown, onTokenString: (value: string) => void): PreparedFragment | undefined {
  if (typeof fragment !== 'object' || fragment === null || Array.isArray(fragment)) return undefined;
  const copier = new FragmentCopier(onTokenString);
  try {
    const data = copier.record(fragment);
    return { data, pending: copier.pending, empties: copier.empties };
  } catch (error) {
    if (error instanceof NeedsGeneralPath) return undefined;
    throw error;
  }
}

/**
 * Resolves the remembered strings into their places. False (with nothing half-done that matters: the
 * caller drops the copy) when one resolves to anything but text or a number.
 */
export function resolvePrepared(prepared: PreparedFragment, resolver: LeafResolver): boolean {
  const pending = prepared.pending;
  for (let i = 0; i < pending.length; i += 3) {
    const resolved = resolver.resolveString(pending[i + 2] as string);
    if (typeof resolved !== 'string' && (typeof resolved !== 'number' || mayBeTokenNumber(resolved))) return false;
    (pending[i] as Record<string | number, unknown>)[pending[i + 1] as string | number] = resolved;
  }
  pending.length = 0;
  return true;
}

/**
 * Merges resolved copies into one stack document and writes it. `add` them in cdktf's element order,
 * then `bytes()`.
 */
export class StackDocumentWriter {
  readonly root: JsonRecord = {};
  /** Objects that received keys after they were built sorted: sorted again before writing. */
  private readonly unsorted = new Set<JsonRecord>([this.root]);
  /** Empty arrays and objects that may be in the document. */
  private readonly empties: object[] = [];

  /** cdktf: `deepMerge(tf, resolve(fragment))`, for a resolved copy. False when only the general path can merge it. */
  add(prepared: PreparedFragment): boolean {
    for (const empty of prepared.empties) this.empties.push(empty);
    try {
      this.merge(this.root, prepared.data);
      return true;
    } catch (error) {
      if (error instanceof NeedsGeneralPath) return false;
      throw error;
    }
  }

  /**
   * cdktf's deepMerge of a resolved, plain source. Where the target has no value yet, deepMerge copies
   * the source's object: taking the fresh copy itself gives the same text.
   */
  private merge(target: JsonRecord, source: JsonRecord): void {
    for (const key of Object.keys(source)) {
      const value = source[key];
      const existing = target[key];
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        if (existing === undefined) {
          target[key] = value;
          this.unsorted.add(target);
        } else if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
          this.merge(existing as JsonRecord, value as JsonRecord);
        } else if (typeof existing !== 'object') {
          // deepMerge replaces a scalar with a copy of the object.
          target[key] = value;
        } else {
          // null or an array under an object: deepMerge does odd things here; not ours to mimic.
          throw new NeedsGeneralPath();
        }
      } else if (Array.isArray(value) && Array.isArray(existing)) {
        const joined = [...(existing as unknown[]), ...value];
        if (joined.length === 0) this.empties.push(joined);
        target[key] = joined;
      } else {
        if (existing === undefined) this.unsorted.add(target);
        target[key] = value;
      }
    }
  }

  /** Replaces a top-level entry (resolved again after the stack's overrides were merged into it). */
  replace(key: string, prepared: PreparedFragment | undefined): void {
    if (prepared === undefined) {
      delete this.root[key];
      return;
    }
    for (const empty of prepared.empties) this.empties.push(empty);
    this.root[key] = prepared.data;
  }

  /** The stack's JSON as json-stable-stringify writes it with `space: 2`, in UTF-8. */
  bytes(): Buffer {
    for (const record of this.unsorted) sortInPlace(record);
    // Each empty container in the document writes itself as a marker string, replaced in the text.
    let marked = 0;
    for (const empty of this.empties) {
      if (Array.isArray(empty) ? empty.length > 0 : Object.keys(empty).length > 0) continue;
      Object.defineProperty(empty, 'toJSON', { value: Array.isArray(empty) ? emptyArrayMarker : emptyObjectMarker, configurable: true });
      marked++;
    }
    markersWritten = 0;
    const text = JSON.stringify(this.root, null, 2);
    for (const empty of this.empties) delete (empty as { toJSON?: unknown }).toJSON;
    const bytes = marked > 0 ? replaceEmptyMarkers(text, markersWritten) : Buffer.from(text, 'utf8');
    // A data string held a NUL character: find the empty containers by the shape of the plain text.
    return bytes ?? expandEmptyContainers(JSON.stringify(this.root, null, 2));
  }
}

/**
 * Markers for empty containers: JSON.stringify writes them as `"\u0000[]"` and `"\u0000{}"` and
 * counts them (it calls `toJSON` only for what it writes). A data string can produce the same text only
 * by holding a NUL character; then more markers are found than were written.
 */
let markersWritten = 0;
function emptyArrayMarker(): string {
  markersWritten++;
  return '\u0000[]';
}
function emptyObjectMarker(): string {
  markersWritten++;
  return '\u0000{}';
}
/** The markers as they appear in the text (searching the whole marker skips along the text quickly). */
const MARKER_TEXTS = ['"\\u0000[]"', '"\\u0000{}"'];
const MARKER_LENGTH = MARKER_TEXTS[0]!.length;

/**
 * The text in UTF-8 with each marker replaced by the two-line empty container, indented as its line.
 * `undefined` when more markers are found than were `written` (a data string holds a NUL character).
 */
function replaceEmptyMarkers(text: string, written: number): Buffer | undefined {
  // Each marker's opening quote, in text order.
  const markers: number[] = [];
  for (const marker of MARKER_TEXTS) {
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + MARKER_LENGTH)) markers.push(at);
  }
  if (markers.length !== written) return undefined;
  markers.sort((a, b) => a - b);
  const indents = markers.map((at) => {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    let end = lineStart;
    while (text.charCodeAt(end) === 32) end++;
    return text.slice(lineStart, end);
  });
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(text) + indents.reduce((n, indent) => n + indent.length, 0));
  let length = 0;
  let copied = 0;
  markers.forEach((at, i) => {
    length += bytes.write(text.slice(copied, at), length);
    const open = text[at + 7]!;
    const close = text[at + 8]!;
    length += bytes.write(`${open}\n${indents[i]!}${close}`, length);
    copied = at + MARKER_LENGTH;
  });
  length += bytes.write(text.slice(copied), length);
  return bytes.subarray(0, length);
}

function sortInPlace(record: JsonRecord): void {
  const keys = Object.keys(record);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  keys.sort();
  const values = keys.map((key) => record[key]);
  for (const key of keys) delete record[key];
  keys.forEach((key, i) => (record[key] = values[i]));
}

/**
 * `[]` and `{}` as json-stable-stringify writes them: `[`, a newline with the line's indentation, `]`.
 * In the native text an empty container is `[]` or `{}` right after its line's indentation and, in an
 * object, its key. A raw newline never occurs inside a JSON string, so a line holds an empty container
 * exactly when it starts with spaces, at most one key (the pattern consumes escapes pairwise, so text
 * inside strings never passes) and `[]` or `{}`. Each line with a candidate is examined once: linear time.
 */
const EMPTY_CANDIDATE = /\[\]|\{\}/g;
const EMPTY_CONTAINER_LINE = /( *)(?:"(?:[^"\\]|\\.)*": )?(?:\[\]|\{\})/y;

export function expandEmptyContainers(text: string): Buffer {
  if (text === '[]' || text === '{}') return Buffer.from(`${text[0]}\n${text[1]}`);
  // Where to break (before the closing bracket) and the indentation to break with.
  const breaks: number[] = [];
  const indents: string[] = [];
  let extra = 0;
  EMPTY_CANDIDATE.lastIndex = 0;
  for (let match = EMPTY_CANDIDATE.exec(text); match !== null; match = EMPTY_CANDIDATE.exec(text)) {
    const lineStart = text.lastIndexOf('\n', match.index) + 1;
    const lineEnd = text.indexOf('\n', match.index);
    EMPTY_CANDIDATE.lastIndex = lineEnd < 0 ? text.length : lineEnd;
    if (lineStart === 0) continue;
    EMPTY_CONTAINER_LINE.lastIndex = lineStart;
    const line = EMPTY_CONTAINER_LINE.exec(text);
    if (line === null) continue;
    breaks.push(lineStart + line[0].length - 1);
    indents.push(line[1]!);
    extra += 1 + line[1]!.length;
  }
  // Encoded piece by piece into one buffer: joining slices of a large string first is far slower.
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(text) + extra);
  let length = 0;
  let copied = 0;
  breaks.forEach((at, i) => {
    length += bytes.write(text.slice(copied, at), length);
    length += bytes.write(`\n${indents[i]!}`, length);
    copied = at;
  });
  length += bytes.write(text.slice(copied), length);
  return bytes.subarray(0, length);
}
