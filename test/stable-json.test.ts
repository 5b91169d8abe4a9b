import { App } from 'cdktf';
import { cdktfJsonWriter, cdktfStackWriter } from '../adapter/cdktf-internals';
import { join } from 'node:path';
import { loadEnvironmentFile } from '../model/load-environment';
import { stableJsonBytes, stableStringify } from '../engine/stable-json';
import { addProvinceStacks } from '../stacks/province';
import { ZoneSiteStack } from '../stacks/zone-site-stack';
import { fleetEnvironment, fleetProvince } from '../bench/fleet';

/** cdktf's own writer (a dependency of cdktf, not of ours), as cdktf calls it. */
const cdktf = cdktfStackWriter();

describe('stable JSON writer', () => {
  const cases: Array<[string, unknown]> = [
    ['empty object at the top', {}],
    ['empty array at the top', []],
    ['empty containers nested at several depths', { a: [], b: {}, c: [[], {}, [[]]], d: { e: { f: [] } } }],
    ['keys sorted by UTF-16 code units, not locale', { b: 1, a: 2, B: 3, _: 4, '10': 5, '2': 6, 'é': 7, 'z': 8, '中': 9, '𝒳': 10 }],
    ['undefined, functions and symbols left out of objects', { a: undefined, b: () => 1, c: Symbol('x'), d: 1 }],
    ['undefined, functions and symbols as null in arrays', [undefined, () => 1, Symbol('x'), 1]],
    ['an object left empty by undefined values', { a: { b: undefined } }],
    ['null, booleans, numbers', { n: null, t: true, f: false, i: -3, x: 1.5e-7, big: 1e21, nan: Number.NaN, inf: Infinity, negZero: -0 }],
    ['strings needing escapes', { s: 'quote " backslash \\ newline \n tab \t nul \u0000 del \u007f', lone: '\ud800', emoji: '😀', cjk: '公共服务区' }],
    ['keys needing escapes', { 'a"b': 1, 'c\\d': 2, 'e\nf': 3 }],
    ['toJSON honoured', { when: new Date(Date.UTC(2026, 10, 24)), custom: { toJSON: () => ({ z: 1, a: [] }) } }],
    ['toJSON returning undefined', { gone: { toJSON: () => undefined }, list: [{ toJSON: () => undefined }] }],
    ['a string at the top', 'text'],
    ['a number at the top', 42],
    ['undefined at the top', undefined],
    ['long text crossing the internal buffer', { text: 'x'.repeat(3_000_000), more: Array.from({ length: 20_000 }, (_, i) => ({ i, s: `公共${i}` })) }],
  ];

  test.each(cases)('%s: same text as cdktf', (_name, value) => {
    expect(stableStringify(value)).toEqual(cdktf(value));
  });

  test('refuses a cycle (as cdktf 0.21 does; its fork writes "[Circular]" instead, which no plan should hold)', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    if (cdktfJsonWriter() === 'json-stable-stringify') expect(() => cdktf(cyclic)).toThrow(TypeError);
    else expect(cdktf(cyclic)).toContain('[Circular]');
    expect(() => stableStringify(cyclic)).toThrow('Converting circular structure to JSON');
  });

  test('the same object twice, not in a cycle, is written twice', () => {
    const shared = { x: 1 };
    const value = { a: shared, b: [shared, shared] };
    expect(stableStringify(value)).toEqual(cdktf(value));
  });

  test('bytes are the UTF-8 of the text', () => {
    const value = { zone: '核心业务区', list: [1, 'a'] };
    expect(stableJsonBytes(value)!.equals(Buffer.from(cdktf(value)!, 'utf8'))).toBe(true);
  });

  test('a benchmark province: every stack written identically', () => {
    const demo = loadEnvironmentFile(join(__dirname, '..', 'environments', 'demo.json')).environment;
    const app = new App({ outdir: join(__dirname, 'unused-outdir'), stackTraces: false });
    const { name, environment } = fleetEnvironment(3, demo);
    addProvinceStacks(app, fleetProvince(name, environment, 30));
    const stacks = app.node.findAll().filter((node): node is ZoneSiteStack => node instanceof ZoneSiteStack);
    expect(stacks).toHaveLength(4);
    for (const stack of stacks) {
      stack.prepareStack();
      const tf = stack.toTerraform();
      expect(stableStringify(tf)).toEqual(cdktf(tf));
    }
  });
});
