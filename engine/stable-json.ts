/**
 * The JSON text cdktf writes for a stack (`json-stable-stringify` with `space: 2`; its fork's
 * safe-stable-stringify differs only in writing empty containers as `[]`/`{}`), written faster.
 *
 * cdktf's writer builds one string of the whole stack out of many small pieces that all stay alive
 * until the end, and was the largest single cost of synthesizing a province. This writes the same
 * bytes straight into a buffer: keys sorted by UTF-16 code units, two-space indentation, an empty array
 * or object broken over two lines (`[\n<indent>]`) where cdktf's writer does so, `undefined`, functions and symbols left out
 * of objects and written as `null` in arrays, `toJSON` honoured once per value, cycles refused.
 * test/stable-json.test.ts compares it with cdktf's own writer on the edge cases and on real stacks.
 */

import { EMPTY_CONTAINERS_ON_TWO_LINES } from '../adapter/cdktf-internals';

const INDENTS: string[] = [];

function indent(level: number): string {
  return (INDENTS[level] ??= `\n${'  '.repeat(level)}`);
}

/** Where the writer puts its text. */
export interface JsonSink {
  add(text: string): void;
}

/**
 * Writes a node the caller holds already written (the stack document's pieces, engine/stack-document.ts)
 * and returns true; false lets the writer write it.
 */
export type WrittenNode = (node: object) => boolean;

/** Collects text in short strings and moves them into one growing buffer as UTF-8. */
class Utf8Sink implements JsonSink {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private length = 0;
  private pending = '';

  add(text: string): void {
    this.pending += text;
    if (this.pending.length > 8192) this.flush();
  }

  finish(): Buffer {
    this.flush();
    return this.buffer.subarray(0, this.length);
  }

  private flush(): void {
    // At most three UTF-8 bytes per UTF-16 code unit.
    const needed = this.length + this.pending.length * 3;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(this.pending, this.length, 'utf8');
    this.pending = '';
  }
}

/** The stack's JSON as UTF-8 bytes, or `undefined` where JSON has no text for the value. */
export function stableJsonBytes(value: unknown): Buffer | undefined {
  const normalized = viaToJSON(value);
  if (writesNothing(normalized)) return undefined;
  const sink = new Utf8Sink();
  write(normalized, 0, sink, []);
  return sink.finish();
}

/**
 * The text of a value as it stands `level` deep in a stack (its inner lines indented for that depth):
 * the fast writer's pieces that hold an empty container are written with it (engine/stack-document.ts).
 */
export function stableJsonTextAt(value: unknown, level: number): string {
  const parts: string[] = [];
  write(viaToJSON(value), level, { add: (text) => parts.push(text) }, []);
  return parts.join('');
}

/**
 * The one writer, for a caller with its own sink: `value` as it stands `level` deep, where `written`
 * writes the nodes the caller holds as text already (the stack document's pieces).
 */
export function writeStableJson(value: unknown, level: number, sink: JsonSink, written: WrittenNode): void {
  const normalized = viaToJSON(value);
  if (writesNothing(normalized)) return;
  write(normalized, level, sink, [], written);
}

export function stableStringify(value: unknown): string | undefined {
  return stableJsonBytes(value)?.toString('utf8');
}

function viaToJSON(value: unknown): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value) as unknown;
  }
  return value;
}

function writesNothing(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Writes a value already passed through `viaToJSON` that `writesNothing` accepted. */
function write(node: unknown, level: number, sink: JsonSink, ancestors: object[], written?: WrittenNode): void {
  if (typeof node !== 'object' || node === null) {
    sink.add(JSON.stringify(node));
    return;
  }
  if (written?.(node)) return;
  const inner = indent(level + 1);
  if (Array.isArray(node)) {
    if (node.length === 0 && !EMPTY_CONTAINERS_ON_TWO_LINES) {
      sink.add('[]');
      return;
    }
    sink.add('[');
    for (let i = 0; i < node.length; i++) {
      sink.add(i === 0 ? inner : `,${inner}`);
      const item = viaToJSON(node[i]);
      if (writesNothing(item)) sink.add('null');
      else write(item, level + 1, sink, ancestors, written);
    }
    sink.add(`${indent(level)}]`);
    return;
  }
  if (ancestors.includes(node)) throw new TypeError('Converting circular structure to JSON');
  ancestors.push(node);
  const record = node as Record<string, unknown>;
  let first = true;
  sink.add('{');
  for (const key of Object.keys(record).sort()) {
    const value = viaToJSON(record[key]);
    if (writesNothing(value)) continue;
    sink.add(`${first ? inner : `,${inner}`}${JSON.stringify(key)}: `);
    first = false;
    write(value, level + 1, sink, ancestors, written);
  }
  ancestors.pop();
  sink.add(first && !EMPTY_CONTAINERS_ON_TWO_LINES ? '}' : `${indent(level)}}`);
}
