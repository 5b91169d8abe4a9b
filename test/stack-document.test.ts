import { App, Lazy, TerraformIterator, TerraformOutput, TerraformResource, TerraformStack, TerraformVariable, Token } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { roleV1 } from '../constructs/l1/kubernetes';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { FastStackSynthesizer, FastSynthesis } from '../engine/fast-stack-synthesis';
import { cdktfStackWriter } from '../adapter/cdktf-internals';
import { stableJsonTextAt } from '../engine/stable-json';
import { ZoneSiteStack } from '../stacks/zone-site-stack';
import { addProvinceStacks } from '../stacks/province';
import { fleetEnvironment, fleetProvince } from '../bench/fleet';
import { listEnvironments, loadEnvironmentFile, loadEnvironments } from '../model/load-environment';
import { buildPlatformApp } from '../stacks/platform-app';
import { ENVIRONMENTS_DIR, readTree, withTempDir } from './support/fixtures';

/** A stack synthesized the toolkit's way (the same wiring as ZoneSiteStack). */
class FastStack extends TerraformStack {
  private readonly fastSynthesis = new FastSynthesis(this);

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.synthesizer = new FastStackSynthesizer(this, this.fastSynthesis);
  }

  override prepareStack(): void {
    this.fastSynthesis.prepare();
  }

  override toTerraform(): Record<string, unknown> {
    return this.fastSynthesis.toTerraform();
  }
}

type Content = (stack: TerraformStack) => void;

/** Synthesizes the same content with cdktf's own stack and with the fast one; returns both texts and the path taken. */
function synthesizeBoth(content: Content): { cdktf: string; fast: string; path: string | undefined } {
  return withTempDir((dir) => {
    const plainApp = new App({ outdir: join(dir, 'plain'), stackTraces: false });
    content(new TerraformStack(plainApp, 'subject'));
    plainApp.synth();
    const fastApp = new App({ outdir: join(dir, 'fast'), stackTraces: false });
    const stack = new FastStack(fastApp, 'subject');
    content(stack);
    fastApp.synth();
    const file = join('stacks', 'subject', 'cdk.tf.json');
    return {
      cdktf: readTree(join(dir, 'plain')).get(file)!,
      fast: readTree(join(dir, 'fast')).get(file)!,
      path: (stack.synthesizer as FastStackSynthesizer).lastPath,
    };
  });
}

function thing(stack: TerraformStack, id: string, attributes: Record<string, unknown>): TerraformResource {
  const resource = new TerraformResource(stack, id, { terraformResourceType: 'test_thing' });
  for (const [key, value] of Object.entries(attributes)) resource.addOverride(key, value);
  return resource;
}

describe('stack document: same bytes as cdktf, fast where the content allows', () => {
  const cases: Array<[string, 'fast' | 'general', Content]> = [
    [
      'plain data, empty containers at several depths, text that looks like JSON',
      'fast',
      (stack) => {
        thing(stack, 'A', { spec: { list: [], map: {}, nested: [[], {}, [[]]], text: '"x": [] {} \n"y": {}', zone: '公共服务区', b: 1, a: 2, B: 3, _: 4 } });
      },
    ],
    [
      'references between resources, in whole strings and inside text, many times over',
      'fast',
      (stack) => {
        const target = thing(stack, 'Target', { name: 'target' });
        for (let i = 0; i < 5; i++) {
          thing(stack, `User${i}`, { ref: target.getStringAttribute('name'), text: `svc ${target.getStringAttribute('name')}.ns.svc`, list: [target.getStringAttribute('id'), 'x'] });
        }
      },
    ],
    ['NUL characters in text beside empty containers', 'fast', (stack) => void thing(stack, 'Nul', { a: '\u0000[]', b: 'x\u0000{}', c: [], d: {} })],
    ['a lazy string', 'fast', (stack) => void thing(stack, 'Lazy', { value: Lazy.stringValue({ produce: () => 'produced' }) })],
    ['text with exponents that are not number tokens', 'fast', (stack) => void thing(stack, 'Exp', { value: '1e+5 and 2E+3', n: 1e21 })],
    ['null and booleans', 'fast', (stack) => void thing(stack, 'Null', { a: null, b: true, c: false, d: [null, true] })],
    [
      'stack-level overrides, including one that deletes',
      'fast',
      (stack) => {
        thing(stack, 'A', { x: 1 });
        stack.addOverride('terraform.required_version', '>= 1.5');
        stack.addOverride('//.note', { z: 1, a: [] });
        stack.addOverride('locals', { gone: undefined, kept: 'yes' });
      },
    ],
    [
      'a variable and an output',
      'fast',
      (stack) => {
        const variable = new TerraformVariable(stack, 'token', { type: 'string', sensitive: true });
        new TerraformOutput(stack, 'out', { value: variable.stringValue });
      },
    ],
    [
      'a dynamic block in a light resource',
      'general',
      (stack) => {
        new KubernetesProvider(stack, 'Kubernetes', {});
        const groups = TerraformIterator.fromList(['apps', 'batch']);
        roleV1(stack, 'Role', { metadata: { name: 'reader', namespace: 'ns' }, rule: groups.dynamic({ api_groups: [groups.value], resources: ['*'], verbs: ['get'] }) });
        roleV1(stack, 'Plain', { metadata: { name: 'plain', namespace: 'ns' }, rule: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
      },
    ],
    ['a number token', 'general', (stack) => void thing(stack, 'Num', { count: Token.asNumber(thing(stack, 'Src', { n: 1 }).getNumberAttribute('n')) })],
    ['a list token', 'general', (stack) => void thing(stack, 'List', { items: thing(stack, 'Src', { n: [1] }).getListAttribute('items') })],
    ['keys V8 orders as array indices', 'general', (stack) => void thing(stack, 'Index', { labels: { '10': 'a', '9': 'b', x: 'c' } })],
    // (A date directly under an override is turned into {} by cdktf's own deep merge; in a list it stays a date.)
    ['a date', 'general', (stack) => void thing(stack, 'Date', { when: [new Date(Date.UTC(2026, 0, 1))] })],
  ];

  test.each(cases)('%s', (_name, path, content) => {
    const result = synthesizeBoth(content);
    expect(result.fast).toEqual(result.cdktf);
    expect(result.path).toBe(path);
  });
});

describe('a value written at a depth, as cdktf writes it nested there (pieces holding empty containers)', () => {
  const cdktf = cdktfStackWriter();
  const cases: Array<[string, unknown]> = [
    ['an empty object', {}],
    ['an empty array', []],
    ['empties at several depths', { a: [], b: {}, c: [[], {}, [[]]], d: { e: { f: [] } } }],
    ['keys and strings that contain brackets, quotes and escapes', { 'x": []': { y: '[]', z: ' {} ', 'k\\': [], q: '\\": []', 'a[]': {}, 公共: [] } }],
    ['a multi-line string', { s: 'a\n  "b": []' }],
    ['NUL characters beside empty containers', { s: '\u0000[]', t: [], u: { v: '\u0000{}' } }],
    ['a long line with many brackets', { s: '{}[]'.repeat(10_000), t: [] }],
  ];
  test.each(cases)('%s', (_name, value) => {
    expect(stableJsonTextAt(value, 0)).toEqual(cdktf(value));
    expect(cdktf({ a: { b: value } })).toContain(`"b": ${stableJsonTextAt(value, 2)}`);
  });
});

test("the toolkit's stacks take the fast path: every environment and a benchmark province", () => {
  const environments = loadEnvironments(ENVIRONMENTS_DIR, listEnvironments(ENVIRONMENTS_DIR));
  withTempDir((dir) => {
    const app = buildPlatformApp(join(dir, 'envs'), environments);
    const demo = loadEnvironmentFile(join(ENVIRONMENTS_DIR, 'demo.json')).environment;
    const { name, environment } = fleetEnvironment(5, demo);
    const fleetApp = new App({ outdir: join(dir, 'fleet'), stackTraces: false });
    addProvinceStacks(fleetApp, fleetProvince(name, environment, 20));
    app.synth();
    fleetApp.synth();
    const stacks = [...app.node.children, ...fleetApp.node.children].filter((node): node is ZoneSiteStack => node instanceof ZoneSiteStack);
    expect(stacks.length).toBe(environments.length * 4 + 4);
    for (const stack of stacks) expect({ stack: stack.node.id, path: (stack.synthesizer as FastStackSynthesizer).lastPath }).toEqual({ stack: stack.node.id, path: 'fast' });
  });
});
