/**
 * The synthesized JSON of a stack with the same bytes cdktf writes (json-stable-stringify, `space: 2`,
 * over the resolved, merged elements), in fewer passes and with far less copying and garbage.
 *
 * cdktf walks every element's tree in a preparing resolve, then copies it to resolve it, copies it
 * again to deep-merge it into the stack, resolves the stack once more and walks it to sort keys while
 * writing. Here:
 *   1. preparing pass (`prepareFragment`): each element's fragment is copied once, keys inserted sorted
 *      and `undefined` dropped as cdktf's resolver drops it. Strings holding tokens go through cdktf's
 *      resolver (preparing, for its effects such as registering cross-stack references). Every value at
 *      the level of a resource's body (`resource.<type>.<name>`, level 3) is written right away as JSON
 *      into the stack's byte arena (a `JsonPiece`), with each token string replaced by what the
 *      preparing resolution gave: the copied objects die young and the bytes live outside the heap,
 *      where the garbage collector does not copy them.
 *   2. writing pass (`resolvePrepared`): token strings above the pieces are resolved in place; for a
 *      piece, each token's final resolution must equal the one written, or the stack takes the general
 *      path. The top levels are merged as cdktf's deep merge would merge them and written by the
 *      project's one JSON writer (engine/stable-json.ts) around the pieces' bytes, into one reused buffer.
 *
 * Anything outside plain JSON data with string tokens (resolvable objects, encoded lists or maps,
 * number tokens, class instances, dates, keys V8 would order as array indices, two elements writing
 * into the same resource body...) is reported as not preparable or mergeable; the caller then takes the
 * general path (engine/fast-stack-synthesis.ts) for that stack, so the output is exact either way.
 * test/stack-document.test.ts and test/l1-equivalence.test.ts compare the results with cdktf's own.
 */
import { EMPTY_CONTAINERS_ON_TWO_LINES, MAP_TOKEN_STRINGS, mayBeTokenNumber, STRING_TOKEN_MARKER, stringNeedsResolver, TOKEN_MARKER } from '../adapter/cdktf-internals';
import { stableJsonTextAt, writeStableJson, type JsonSink } from './stable-json';

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

/** An object literal or `Object.create(null)`: what cdktf's resolver copies key by key as data. */
export function isPlainObject(value: object): boolean {
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

/** Thrown while copying or merging when a value needs the general path; never escapes this module. */
class NeedsGeneralPath extends Error {}

/** The level whose values are written as JSON pieces: a resource's body (`resource.<type>.<name>`). */
const PIECE_LEVEL = 3;

/**
 * A non-empty value at the piece level, written as JSON indented for that level: `length` bytes at
 * `offset` in `arena`. `tokens` are the token strings in it and the resolution written for each.
 */
export class JsonPiece {
  constructor(
    readonly arena: ByteBuffer,
    readonly offset: number,
    readonly length: number,
    public tokens: Array<readonly [string, string | number]>,
  ) {}

  text(): string {
    return this.arena.view(this.offset, this.length).toString('utf8');
  }
}

/**
 * An element's fragment copied for writing: the levels above the pieces as sorted objects without
 * `undefined`; the places of the token strings there (container, key or index, the string: three
 * entries per place); the pieces whose tokens are to be checked.
 */
export interface PreparedFragment {
  readonly data: JsonRecord;
  readonly pending: unknown[];
  readonly pieces: JsonPiece[];
}

class FragmentCopier {
  readonly pending: unknown[] = [];
  readonly pieces: JsonPiece[] = [];
  /** While copying a piece's value: its tokens with their resolutions, and its empty containers. */
  private pieceTokens: Array<readonly [string, string | number]> | undefined;
  private pieceEmpties: object[] | undefined;

  constructor(
    private readonly resolveToken: (value: string) => unknown,
    private readonly arena: ByteBuffer,
  ) {}

  /** A value at `level`: a string, number, boolean or null as written; `undefined` to leave out; a copy or a piece. */
  private value(value: unknown, container: object, key: string | number, level: number): unknown {
    switch (typeof value) {
      case 'string': {
        if (!stringNeedsResolver(value)) return value;
        // Only string tokens resolve to plain text in place; list and map tokens take the general path.
        if (MAP_TOKEN_STRINGS.has(value) || !onlyStringTokens(value)) throw new NeedsGeneralPath();
        const resolved = this.resolveToken(value);
        if (!this.pieceTokens) {
          this.pending.push(container, key, value);
          return value;
        }
        if (!isScalarResolution(resolved)) throw new NeedsGeneralPath();
        if (!this.pieceTokens.some(([token]) => token === value)) this.pieceTokens.push([value, resolved]);
        return resolved;
      }
      case 'number':
        if (mayBeTokenNumber(value)) throw new NeedsGeneralPath();
        return value;
      case 'boolean':
      case 'undefined':
        return value;
      case 'object':
        if (value === null) return null;
        if (value instanceof JsonPiece) {
          // A piece already written (merged stack content copied again): only where it was made, checked.
          if (level !== PIECE_LEVEL || value.tokens.length > 0 || this.pieceTokens) throw new NeedsGeneralPath();
          return value;
        }
        return level === PIECE_LEVEL && !this.pieceTokens ? this.piece(value) : this.container(value, level);
      default:
        // Functions, symbols, bigints: the general path passes them to cdktf, which refuses or keeps them.
        throw new NeedsGeneralPath();
    }
  }

  private container(value: object, level: number): unknown[] | JsonRecord {
    return Array.isArray(value) ? this.array(value, level) : this.record(value, level);
  }

  private array(values: readonly unknown[], level: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < values.length; i++) {
      const copied = this.value(values[i], out, out.length, level + 1);
      if (copied !== undefined) out.push(copied);
    }
    if (out.length === 0) this.pieceEmpties?.push(out);
    return out;
  }

  record(value: object, level: number): JsonRecord {
    if (!isPlainObject(value)) throw new NeedsGeneralPath();
    const source = value as JsonRecord;
    const keys = Object.keys(source).sort();
    const out: JsonRecord = {};
    let written = 0;
    for (const key of keys) {
      if (stringNeedsResolver(key) || isArrayIndexKey(key)) throw new NeedsGeneralPath();
      const copied = this.value(source[key], out, key, level + 1);
      if (copied === undefined) continue;
      out[key] = copied;
      written++;
    }
    if (written === 0) this.pieceEmpties?.push(out);
    return out;
  }

  /** A value at the piece level, copied and written into the arena (an empty one stays a container). */
  private piece(value: object): unknown {
    const tokens: Array<readonly [string, string | number]> = [];
    const empties: object[] = [];
    this.pieceTokens = tokens;
    this.pieceEmpties = empties;
    let copy: unknown[] | JsonRecord;
    try {
      copy = this.container(value, PIECE_LEVEL);
    } finally {
      this.pieceTokens = undefined;
      this.pieceEmpties = undefined;
    }
    // An empty value is written by hand with the levels above.
    if (empties.includes(copy)) return copy;
    const offset = this.arena.length;
    this.arena.add(nativeText(copy, PIECE_LEVEL, empties));
    const piece = new JsonPiece(this.arena, offset, this.arena.length - offset, tokens);
    if (tokens.length > 0) this.pieces.push(piece);
    return piece;
  }
}

/**
 * Copies a fragment for writing, its pieces into `arena`. `resolveToken` resolves each string that
 * needs cdktf's resolver (in the preparing pass, the preparing resolver: its effects are what the pass
 * is for; its results are written into the pieces and checked in the writing pass). `undefined` when
 * the fragment needs the general path.
 */
export function prepareFragment(fragment: unknown, resolveToken: (value: string) => unknown, arena: ByteBuffer): PreparedFragment | undefined {
  if (typeof fragment !== 'object' || fragment === null || Array.isArray(fragment)) return undefined;
  const copier = new FragmentCopier(resolveToken, arena);
  try {
    const data = copier.record(fragment, 0);
    return { data, pending: copier.pending, pieces: copier.pieces };
  } catch (error) {
    if (error instanceof NeedsGeneralPath) return undefined;
    throw error;
  }
}

/** cdktf's resolver may turn a string token into text or a number; anything else takes the general path. */
function isScalarResolution(resolved: unknown): resolved is string | number {
  return typeof resolved === 'string' || (typeof resolved === 'number' && !mayBeTokenNumber(resolved));
}

/**
 * Resolves the remembered strings above the pieces in place, and checks that each token in a piece
 * resolves now to what was written there. False when one resolves to anything but text or a number,
 * or to something else than was written (the caller then takes the general path).
 */
export function resolvePrepared(prepared: PreparedFragment, resolver: LeafResolver): boolean {
  const pending = prepared.pending;
  for (let i = 0; i < pending.length; i += 3) {
    const resolved = resolver.resolveString(pending[i + 2] as string);
    if (!isScalarResolution(resolved)) return false;
    (pending[i] as Record<string | number, unknown>)[pending[i + 1] as string | number] = resolved;
  }
  pending.length = 0;
  for (const piece of prepared.pieces) {
    for (const [token, written] of piece.tokens) {
      if (resolver.resolveString(token) !== written) return false;
    }
    piece.tokens = [];
  }
  prepared.pieces.length = 0;
  return true;
}

function plainCopy(value: unknown): unknown {
  if (value instanceof JsonPiece) return JSON.parse(value.text()) as unknown;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(plainCopy);
  const out: JsonRecord = {};
  for (const key of Object.keys(value)) out[key] = plainCopy((value as JsonRecord)[key]);
  return out;
}

/**
 * Merges resolved copies into one stack document and writes it. `add` them in cdktf's element order,
 * then `writeInto()`.
 */
export class StackDocumentWriter {
  readonly root: JsonRecord = {};
  /** Objects that received keys after they were built sorted: sorted again for `plain()` (the writer sorts keys itself). */
  private readonly unsorted = new Set<JsonRecord>([this.root]);

  /** cdktf: `deepMerge(tf, resolve(fragment))`, for a resolved copy. False when only the general path can merge it. */
  add(prepared: PreparedFragment): boolean {
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
   * the source's object: taking the fresh copy itself gives the same text. Merging into a piece (two
   * elements writing one resource body) is left to the general path.
   */
  private merge(target: JsonRecord, source: JsonRecord): void {
    for (const key of Object.keys(source)) {
      const value = source[key];
      const existing = target[key];
      if (existing instanceof JsonPiece) {
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) throw new NeedsGeneralPath();
        target[key] = value;
      } else if (value instanceof JsonPiece) {
        if (existing !== undefined) throw new NeedsGeneralPath();
        target[key] = value;
        this.unsorted.add(target);
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
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
        target[key] = [...(existing as unknown[]), ...value];
      } else {
        if (existing === undefined) this.unsorted.add(target);
        target[key] = value;
      }
    }
  }

  /**
   * Merges the stack's own raw overrides as cdktf does (its deepMerge), unless one reaches into a piece.
   * Returns false then: the general path handles it.
   */
  mergeOverrides(overrides: JsonRecord, deepMerge: (target: unknown, source: unknown) => unknown): boolean {
    if (reachesIntoPiece(this.root, overrides)) return false;
    deepMerge(this.root, overrides);
    return true;
  }

  /** Replaces a top-level entry (resolved again after the stack's overrides were merged into it). */
  replace(key: string, value: unknown): void {
    if (value === undefined) delete this.root[key];
    else this.root[key] = value;
  }

  /**
   * The stack's JSON as json-stable-stringify writes it with `space: 2`, in UTF-8, into `output` (from
   * its start; returns the length). The levels above the pieces are written here; no string grows to
   * megabytes: V8 builds such a string as a rope and copies it whole into fresh memory to encode it.
   */
  writeInto(output: ByteBuffer): number {
    output.reset();
    // The project's one JSON writer (engine/stable-json.ts) writes the levels above the pieces; each
    // piece's bytes are copied as they are.
    writeStableJson(this.root, 0, output, (node) => {
      if (!(node instanceof JsonPiece)) return false;
      output.writeBytes(node.arena, node.offset, node.length);
      return true;
    });
    return output.length;
  }

  /** The document as plain data (what `TerraformStack.toTerraform` returns). */
  plain(): JsonRecord {
    for (const record of this.unsorted) sortInPlace(record);
    return plainCopy(this.root) as JsonRecord;
  }
}

/** True when deepMerge(target, source) would descend into a piece (an override below a resource's body). */
function reachesIntoPiece(target: unknown, source: unknown): boolean {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return false;
  if (target instanceof JsonPiece) return true;
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return false;
  for (const key of Object.keys(source)) {
    if (reachesIntoPiece((target as JsonRecord)[key], (source as JsonRecord)[key])) return true;
  }
  return false;
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
 * A growable UTF-8 byte buffer, meant to be reused: writing into memory already touched is much cheaper
 * than into fresh megabytes. What `view` returns is valid until the next write.
 */
export class ByteBuffer implements JsonSink {
  private buffer = Buffer.allocUnsafe(1 << 20);
  length = 0;

  reset(): void {
    this.length = 0;
  }

  add(text: string): void {
    // At most three UTF-8 bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  writeBytes(source: ByteBuffer, offset: number, length: number): void {
    this.reserve(length);
    this.length += source.buffer.copy(this.buffer, this.length, offset, offset + length);
  }

  view(offset = 0, length: number = this.length - offset): Buffer {
    return this.buffer.subarray(offset, offset + length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.length + bytes, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/**
 * JSON.stringify indents relative to its root: a value nested `level` deep in single-key objects comes
 * out indented as it stands in the stack; the wrapper's own text before and after it is cut off.
 * `empties` are the value's empty containers, which json-stable-stringify breaks over two lines.
 */
function nativeText(value: unknown, level: number, empties: readonly object[]): string {
  // V8's JSON.stringify writes an empty container as `[]`/`{}`. Where cdktf's writer breaks it over two
  // lines (json-stable-stringify), a piece holding one is written by the stable writer instead: slower,
  // and only for such pieces (network policies' `pod_selector = {}`...), so no text is edited afterwards.
  if (EMPTY_CONTAINERS_ON_TWO_LINES && empties.length > 0) return stableJsonTextAt(value, level);
  return wrappedText(value, level);
}

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

function wrappedText(value: unknown, level: number): string {
  let wrapped = value;
  for (let i = 0; i < level; i++) wrapped = { '': wrapped };
  const text = JSON.stringify(wrapped, null, 2);
  const wrapper = wrapperAt(level);
  return text.slice(wrapper.prefix, text.length - wrapper.suffix);
}

