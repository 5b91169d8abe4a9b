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

  /**
   * The stack's JSON as json-stable-stringify writes it with `space: 2`, in UTF-8, in `output` (from its
   * start; returns the length). The top levels are written here; each value below them (a resource's
   * body, say) is one native JSON.stringify call, so no string grows to megabytes: V8 would build such
   * a string as a rope and copy it whole into fresh memory before encoding it.
   */
  writeInto(output: OutputBuffer): number {
    for (const record of this.unsorted) sortInPlace(record);
    // Each empty container below the top levels writes itself as a marker string, replaced afterwards.
    for (const empty of this.empties) {
      if (Array.isArray(empty) ? empty.length > 0 : Object.keys(empty).length > 0) continue;
      Object.defineProperty(empty, 'toJSON', { value: Array.isArray(empty) ? emptyArrayMarker : emptyObjectMarker, configurable: true });
    }
    try {
      output.reset();
      writeObject(this.root, 0, output);
      return output.length;
    } finally {
      for (const empty of this.empties) delete (empty as { toJSON?: unknown }).toJSON;
    }
  }

  /** The same bytes in a buffer of their own. */
  bytes(): Buffer {
    const output = new OutputBuffer();
    const length = this.writeInto(output);
    return Buffer.from(output.view(length));
  }
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
 * A growable UTF-8 buffer, reused from stack to stack: writing into memory already touched is much
 * cheaper than into fresh megabytes. What `view` returns is valid until the next write.
 */
export class OutputBuffer {
  private buffer = Buffer.allocUnsafe(1 << 20);
  length = 0;

  reset(): void {
    this.length = 0;
  }

  write(text: string): void {
    // At most three UTF-8 bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  writeByte(byte: number): void {
    this.reserve(1);
    this.buffer[this.length++] = byte;
  }

  view(length: number = this.length): Buffer {
    return this.buffer.subarray(0, length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.length + bytes, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Levels written here; values below are written natively. Resource bodies sit at level 3. */
const NATIVE_LEVEL = 3;
const INDENTS: string[] = [];
function newlineIndent(level: number): string {
  return (INDENTS[level] ??= `\n${'  '.repeat(level)}`);
}

/** json-stable-stringify's object at a top level (keys already sorted): `{`, entries, `}` on its own line. */
function writeObject(record: JsonRecord, level: number, output: OutputBuffer): void {
  const keys = Object.keys(record);
  output.write('{');
  keys.forEach((key, i) => {
    output.write(`${i === 0 ? '' : ','}${newlineIndent(level + 1)}${JSON.stringify(key)}: `);
    writeValue(record[key], level + 1, output);
  });
  output.write(`${newlineIndent(level)}}`);
}

function writeValue(value: unknown, level: number, output: OutputBuffer): void {
  if (typeof value !== 'object' || value === null) {
    output.write(JSON.stringify(value));
    return;
  }
  const isArray = Array.isArray(value);
  if (isArray ? value.length === 0 : Object.keys(value).length === 0) {
    output.write(isArray ? `[${newlineIndent(level)}]` : `{${newlineIndent(level)}}`);
    return;
  }
  if (!isArray && level < NATIVE_LEVEL) {
    writeObject(value as JsonRecord, level, output);
    return;
  }
  writeNative(value, level, output);
}

/**
 * JSON.stringify indents relative to its root: a value nested `level` deep in single-key objects comes
 * out indented as it stands in the stack. The wrapper's own text before and after it is cut off.
 */
const WRAPPERS: Array<{ prefix: number; suffix: number }> = [];
function wrapperAt(level: number): { prefix: number; suffix: number } {
  let wrapper = WRAPPERS[level];
  if (!wrapper) {
    let probe: unknown = 0;
    for (let i = 0; i < level; i++) probe = { '': probe };
    const text = JSON.stringify(probe, null, 2);
    const at = text.indexOf('0');
    WRAPPERS[level] = wrapper = { prefix: at, suffix: text.length - at - 1 };
  }
  return wrapper;
}

function nativeText(value: unknown, level: number): string {
  let wrapped = value;
  for (let i = 0; i < level; i++) wrapped = { '': wrapped };
  const text = JSON.stringify(wrapped, null, 2);
  const wrapper = wrapperAt(level);
  return text.slice(wrapper.prefix, text.length - wrapper.suffix);
}

function writeNative(value: unknown, level: number, output: OutputBuffer): void {
  markersWritten = 0;
  const text = nativeText(value, level);
  if (markersWritten === 0) {
    output.write(text);
    return;
  }
  const edits = markerEdits(text, markersWritten);
  if (edits) {
    writeEdited(text, edits, output);
    return;
  }
  // A data string held a NUL character: write without markers, finding empties by the text's shape.
  markersEnabled = false;
  try {
    const plain = nativeText(value, level);
    writeEdited(plain, emptyContainerEdits(plain), output);
  } finally {
    markersEnabled = true;
  }
}

/**
 * Markers for empty containers: JSON.stringify writes them as `"\u0000[]"` and `"\u0000{}"` and
 * counts them (it calls `toJSON` only for what it writes). A data string can produce the same text only
 * by holding a NUL character; then more markers are found than were written.
 */
let markersWritten = 0;
let markersEnabled = true;
function emptyArrayMarker(this: unknown[]): unknown {
  if (!markersEnabled) return this;
  markersWritten++;
  return '\u0000[]';
}
function emptyObjectMarker(this: object): unknown {
  if (!markersEnabled) return this;
  markersWritten++;
  return '\u0000{}';
}
const MARKER_TEXTS = ['"\\u0000[]"', '"\\u0000{}"'];
const MARKER_LENGTH = MARKER_TEXTS[0]!.length;

/** A change to native text: `remove` characters at `at` replaced by the two-line empty container. */
interface EmptyContainerEdit {
  readonly at: number;
  readonly remove: number;
  readonly replacement: string;
}

/** The edits turning the `written` markers into empty containers, or `undefined` if more are found. */
function markerEdits(text: string, written: number): EmptyContainerEdit[] | undefined {
  const edits: EmptyContainerEdit[] = [];
  for (const marker of MARKER_TEXTS) {
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + MARKER_LENGTH)) {
      edits.push({ at, remove: MARKER_LENGTH, replacement: `${text[at + 7]!}${newlineIndent(0)}${lineIndent(text, at)}${text[at + 8]!}` });
    }
  }
  if (edits.length !== written) return undefined;
  return edits.sort((a, b) => a.at - b.at);
}

function lineIndent(text: string, at: number): string {
  const lineStart = text.lastIndexOf('\n', at) + 1;
  let end = lineStart;
  while (text.charCodeAt(end) === 32) end++;
  return text.slice(lineStart, end);
}

function writeEdited(text: string, edits: readonly EmptyContainerEdit[], output: OutputBuffer): void {
  let copied = 0;
  for (const edit of edits) {
    output.write(text.slice(copied, edit.at));
    output.write(edit.replacement);
    copied = edit.at + edit.remove;
  }
  output.write(text.slice(copied));
}

/**
 * Empty containers found by the shape of native text (used when markers cannot be): in the native text
 * an empty container is `[]` or `{}` right after its line's indentation and, in an object, its key. A
 * raw newline never occurs inside a JSON string, so a line holds an empty container exactly when it
 * starts with spaces, at most one key (the pattern consumes escapes pairwise, so text inside strings
 * never passes) and `[]` or `{}`. Each line with a candidate is examined once: linear time. Text before
 * the first newline is not examined (a value that is itself empty is written by the caller).
 */
const EMPTY_CANDIDATE = /\[\]|\{\}/g;
const EMPTY_CONTAINER_LINE = /( *)(?:"(?:[^"\\]|\\.)*": )?(?:\[\]|\{\})/y;

function emptyContainerEdits(text: string): EmptyContainerEdit[] {
  const edits: EmptyContainerEdit[] = [];
  EMPTY_CANDIDATE.lastIndex = 0;
  for (let match = EMPTY_CANDIDATE.exec(text); match !== null; match = EMPTY_CANDIDATE.exec(text)) {
    const lineStart = text.lastIndexOf('\n', match.index) + 1;
    const lineEnd = text.indexOf('\n', match.index);
    EMPTY_CANDIDATE.lastIndex = lineEnd < 0 ? text.length : lineEnd;
    if (lineStart === 0) continue;
    EMPTY_CONTAINER_LINE.lastIndex = lineStart;
    const line = EMPTY_CONTAINER_LINE.exec(text);
    if (line === null) continue;
    // Break before the closing bracket: `[`, newline, the line's indentation, `]`.
    edits.push({ at: lineStart + line[0].length - 1, remove: 0, replacement: `\n${line[1]!}` });
  }
  return edits;
}

/** `[]` and `{}` in native JSON text written as json-stable-stringify writes them (see emptyContainerEdits). */
export function expandEmptyContainers(text: string): string {
  if (text === '[]' || text === '{}') return `${text[0]}\n${text[1]}`;
  const output = new OutputBuffer();
  writeEdited(text, emptyContainerEdits(text), output);
  return output.view().toString('utf8');
}
