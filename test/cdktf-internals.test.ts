/**
 * One test per assumption adapter/cdktf-internals.ts makes about cdktf's internals, each failing with a
 * message that names the assumption: run this first after changing cdktf's version or moving to its
 * fork (CDK Terrain, `cdktn`).
 */
import { Annotations, App, Lazy, TerraformAsset, TerraformResource, TerraformStack, Token, Tokenization } from 'cdktf';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cdktfDeepMerge,
  cdktfJsonWriter,
  cdktfKeysToSnakeCase,
  cdktfSnakeCase,
  cdktfTokenMap,
  cdktfVersionOf,
  customSynthesisOf,
  EMPTY_CONTAINERS_ON_TWO_LINES,
  isImported,
  keysToSnakeCase,
  LIST_TOKEN_MARKER,
  MAP_TOKEN_STRINGS,
  mayBeTokenNumber,
  rawOverridesOf,
  STRING_TOKEN_MARKER,
  stringNeedsResolver,
  withoutStackTraces,
} from '../adapter/cdktf-internals';
import { FastStackSynthesizer } from '../engine/fast-stack-synthesis';

/** Fails with the assumption's name and what to do, instead of a bare expect diff. */
function assume(assumption: string, holds: boolean): void {
  if (!holds) throw new Error(`cdktf no longer behaves as adapter/cdktf-internals.ts assumes: ${assumption}. Fix the adapter (not its callers) before using this cdktf.`);
}

let outdir: string;
beforeEach(() => {
  outdir = mkdtempSync(join(tmpdir(), 'cdktf-internals-'));
});
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

function stackWithResource() {
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, 'probe');
  const resource = new TerraformResource(stack, 'Thing', { terraformResourceType: 'test_thing' });
  return { app, stack, resource };
}

test('deepMerge (cdktf/lib/util): merges objects in place, appends arrays, deletes on undefined', () => {
  const target = { a: { b: 1, c: 2 }, list: [1] };
  cdktfDeepMerge(target, { a: { c: undefined, d: 3 }, list: [2] });
  assume('deepMerge from cdktf/lib/util merges nested objects, concatenates arrays and deletes keys set to undefined', JSON.stringify(target) === JSON.stringify({ a: { b: 1, d: 3 }, list: [1, 2] }));
});

test("keysToSnakeCase is cdktf's own, step for step (tags and environment kept as they are)", () => {
  const sample = { dependsOn: ['x'], forEach: { mapKey: 1 }, tags: { KeepMe: 'v' }, environment: { KEEP_ME: 'v' }, nested: [{ innerKey: { deeperKey: true } }, 'plain'], lifecycle: { preventDestroy: true } };
  assume('keysToSnakeCase equals cdktf/lib/util keysToSnakeCase', JSON.stringify(keysToSnakeCase(sample)) === JSON.stringify(cdktfKeysToSnakeCase(sample)));
  assume('snakeCase from cdktf/lib/util turns camelCase into snake_case', cdktfSnakeCase('preventDestroy') === 'prevent_destroy');
});

test('private members: rawOverrides of stacks and elements, cdktfVersion of stacks, _imported of resources', () => {
  const { stack, resource } = stackWithResource();
  stack.addOverride('terraform.probe', 1);
  resource.addOverride('probe', 2);
  assume('TerraformStack keeps addOverride values in the private rawOverrides', JSON.stringify(rawOverridesOf(stack)) === JSON.stringify({ terraform: { probe: 1 } }));
  assume('TerraformElement keeps addOverride values in rawOverrides', JSON.stringify(rawOverridesOf(resource)) === JSON.stringify({ probe: 2 }));
  const version = (require('cdktf/package.json') as { version: string }).version;
  assume(`TerraformStack keeps the package version (${version}) in the private cdktfVersion`, cdktfVersionOf(stack) === version);
  assume('a new resource is not imported', !isImported(resource));
  resource.importFrom('probe-id');
  assume('importFrom sets the private _imported of TerraformResource', isImported(resource));
});

test("custom synthesis (assets) is kept under Symbol.for('cdktf/customSynthesis') and runs in the fast synthesizer", () => {
  const { app, stack } = stackWithResource();
  stack.synthesizer = new FastStackSynthesizer(stack);
  const file = join(outdir, 'asset.txt');
  writeFileSync(file, 'probe');
  const asset = new TerraformAsset(stack, 'Asset', { path: file });
  assume("TerraformAsset registers its custom synthesis under Symbol.for('cdktf/customSynthesis')", customSynthesisOf(asset) !== undefined);
  app.synth();
  const copied = join(outdir, 'stacks', 'probe', asset.path);
  let content = '';
  try {
    content = readFileSync(copied, 'utf8');
  } catch {
    content = '';
  }
  assume('the asset is copied into the stack output by its custom synthesis', content === 'probe');
});

test("the manifest's annotations are written by the fast synthesizer as cdktf writes them", () => {
  const { app, stack, resource } = stackWithResource();
  stack.synthesizer = new FastStackSynthesizer(stack);
  Annotations.of(resource).addWarning('probe warning');
  app.synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { annotations: { message: string }[] }> };
  assume('StackManifest.annotations reaches manifest.json', manifest.stacks.probe!.annotations.some((a) => a.message === 'probe warning'));
});

test('the token map is global.__cdktfTokenMap with stringTokenMap and numberTokenMap', () => {
  Lazy.stringValue({ produce: () => 'x' }); // cdktf creates the map on first use
  const before = cdktfTokenMap();
  assume('global.__cdktfTokenMap exists with stringTokenMap and numberTokenMap Maps (releasing tokens would otherwise do nothing)', before !== undefined);
  const strings = before!.stringTokenMap.size;
  const numbers = before!.numberTokenMap.size;
  Token.asString(Lazy.anyValue({ produce: () => 'y' }));
  Token.asNumber(Lazy.anyValue({ produce: () => 1 }));
  assume('a string token registers in stringTokenMap', cdktfTokenMap()!.stringTokenMap.size === strings + 1);
  assume('a number token registers in numberTokenMap', cdktfTokenMap()!.numberTokenMap.size === numbers + 1);
});

test('token encodings: string, list, number and map tokens look as the fast path expects', () => {
  const lazy = () => Lazy.anyValue({ produce: () => 'v' });
  const asString = Token.asString(lazy());
  assume(`a string token contains ${STRING_TOKEN_MARKER}`, asString.includes(STRING_TOKEN_MARKER) && stringNeedsResolver(asString));
  const asList = Token.asList(lazy());
  assume(`a list token's element contains ${LIST_TOKEN_MARKER}`, asList.length === 1 && asList[0]!.includes(LIST_TOKEN_MARKER) && stringNeedsResolver(asList[0]!));
  const asNumber = Token.asNumber(lazy());
  assume('a number token is a double below -1e289', mayBeTokenNumber(asNumber) && Tokenization.isResolvable(Tokenization.reverseNumber(asNumber)));
  assume("a number token written into a string has 'e+2' in it", stringNeedsResolver(String(asNumber)));
  assume('the map token values are the ones the fast path refuses in a scalar context', MAP_TOKEN_STRINGS.has(Token.STRING_MAP_TOKEN_VALUE) && MAP_TOKEN_STRINGS.has(Token.ANY_MAP_TOKEN_VALUE) && mayBeTokenNumber(Token.NUMBER_MAP_TOKEN_VALUE));
  assume('a plain string or number needs no resolver', !stringNeedsResolver('plain text 1.5e+1') && !mayBeTokenNumber(-1e100));
});

test('a token created without stack traces records an empty creation stack, one created normally a full one', () => {
  const quiet = withoutStackTraces(() => Lazy.anyValue({ produce: () => 1 }));
  const loud = Lazy.anyValue({ produce: () => 1 });
  assume('a token records its creation stack through Error.captureStackTrace', loud.creationStack.length > 0);
  assume('with Error.captureStackTrace recording nothing, the creation stack is empty', quiet.creationStack.length === 0);
});

test('cdktf writes a stack with a writer the fast writers follow (json-stable-stringify, or safe-stable-stringify in its fork), at two spaces', () => {
  const writer = cdktfJsonWriter();
  assume("cdktf's package depends on json-stable-stringify or safe-stable-stringify", writer !== undefined);
  const synthesizer = readFileSync(require.resolve('cdktf/lib/synthesize/synthesizer.js'), 'utf8');
  const call = writer === 'json-stable-stringify' ? 'stringify(jsonTfConfig, { space: 2 })' : 'safe_stable_stringify_1.default)(jsonTfConfig, null, 2)';
  assume(`cdktf/lib/synthesize/synthesizer.js writes the stack with ${writer} as ${call}`, synthesizer.includes(call) && synthesizer.includes(`require("${writer}")`));
  assume('empty containers are written as that writer writes them', EMPTY_CONTAINERS_ON_TWO_LINES === (writer === 'json-stable-stringify'));
});
