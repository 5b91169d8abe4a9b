/**
 * The one file that touches cdktf's internal and private APIs, its token encodings and its global
 * symbols. Everything else imports cdktf's public API only, and what it needs from inside through here.
 *
 * Each assumption below is checked by test/cdktf-internals.test.ts with a message naming it, so a new
 * cdktf (or its fork CDK Terrain, `cdktn`) that changes one fails there, not silently: a renamed custom
 * synthesis symbol would skip assets, a changed token map would make releasing tokens do nothing.
 * docs/architecture.md says how to move to the fork.
 */
import { Tokenization, type ISynthesisSession, type StackAnnotation, type StackManifest, type TerraformElement, type TerraformResource, type TerraformStack } from 'cdktf';
import { encounteredAnnotationWithLevelError } from 'cdktf/lib/errors';
import { invokeAspects, StackSynthesizer } from 'cdktf/lib/synthesize/synthesizer';
import { deepMerge, keysToSnakeCase as cdktfKeysToSnakeCaseImpl, snakeCase } from 'cdktf/lib/util';
import { ValidateTerraformVersion } from 'cdktf/lib/validations/validate-terraform-version';
import type { IConstruct } from 'constructs';

// ---- functions cdktf exports only from lib/ (not from its index) ----------------------------------

/** cdktf's deep merge of synthesized fragments (cdktf/lib/util.js): later values win, `undefined` deletes. */
export const cdktfDeepMerge: (target: unknown, ...sources: unknown[]) => unknown = deepMerge;
/** cdktf's own `keysToSnakeCase`, the reference the faster one below is tested against. */
export const cdktfKeysToSnakeCase: (object: unknown) => unknown = cdktfKeysToSnakeCaseImpl;
/** cdktf's key conversion for meta-arguments (cdktf/lib/util.js). */
export const cdktfSnakeCase: (key: string) => string = snakeCase;
/** Runs every aspect of the stack's tree, as cdktf's synthesizer does first (cdktf/lib/synthesize/synthesizer.js). */
export const cdktfInvokeAspects: (root: IConstruct) => void = invokeAspects;
/** cdktf's own stack synthesizer, for what the fast one leaves to it (HCL output). */
export function cdktfStackSynthesizer(stack: TerraformStack, continueOnErrorAnnotations: boolean, hclOutput: boolean): { synthesize(session: ISynthesisSession): void } {
  return new StackSynthesizer(stack, continueOnErrorAnnotations, hclOutput);
}
/** The error cdktf throws for error-level annotations (cdktf/lib/errors.js). */
export function cdktfAnnotationErrors(message: string): Error {
  return encounteredAnnotationWithLevelError(message);
}
/** The validation cdktf adds to a stack that moves resources. */
export function requireTerraformVersion(stack: TerraformStack, constraint: string, message: string): void {
  stack.node.addValidation(new ValidateTerraformVersion(constraint, message));
}

// ---- private members cdktf's own synthesis reads --------------------------------------------------

/** A stack's or element's overrides (`addOverride`), as cdktf merges them last. */
export function rawOverridesOf(element: TerraformStack | TerraformElement): Record<string, unknown> {
  return (element as unknown as { rawOverrides: Record<string, unknown> }).rawOverrides;
}
/** The cdktf version a stack writes into its "//" metadata. */
export function cdktfVersionOf(stack: TerraformStack): string {
  return (stack as unknown as { cdktfVersion: string }).cdktfVersion;
}
/** Whether `importFrom` was called on the resource (its toTerraform then writes an import block). */
export function isImported(resource: TerraformResource): boolean {
  return (resource as unknown as { _imported?: unknown })._imported !== undefined;
}
/** The manifest's annotations of a stack: read-only in its type, the synthesizer is where cdktf writes them. */
export function setManifestAnnotations(manifest: StackManifest, annotations: StackAnnotation[]): void {
  (manifest as { annotations: StackAnnotation[] }).annotations = annotations;
}

// ---- global symbols --------------------------------------------------------------------------------

/** Where cdktf keeps a construct's custom synthesis (assets): `addCustomSynthesis` in cdktf/lib/synthesize/synthesizer.js. */
export const CUSTOM_SYNTHESIS_SYMBOL = Symbol.for('cdktf/customSynthesis');
/** A construct's custom synthesis, if it has one. */
export function customSynthesisOf(node: IConstruct): { onSynthesize(session: ISynthesisSession): void } | undefined {
  return (node as unknown as Record<symbol, { onSynthesize(session: ISynthesisSession): void } | undefined>)[CUSTOM_SYNTHESIS_SYMBOL];
}

/** The parts of cdktf's process-wide TokenMap (cdktf/lib/tokens/private/token-map.js, `global.__cdktfTokenMap`) that are read. */
export interface TokenMapInternals {
  readonly stringTokenMap: Map<string, unknown>;
  readonly numberTokenMap: Map<number, unknown>;
}
/** cdktf creates the map on first use: before that there is no token to keep or forget. */
export function cdktfTokenMap(): TokenMapInternals | undefined {
  const map = (globalThis as { __cdktfTokenMap?: Partial<TokenMapInternals> }).__cdktfTokenMap;
  return map?.stringTokenMap instanceof Map && map.numberTokenMap instanceof Map ? (map as TokenMapInternals) : undefined;
}

/**
 * Runs `create` with `Error.captureStackTrace` recording an empty trace: every cdktf token records the
 * trace of its creation, about a tenth of a province's synthesis. Only where the App was built with
 * `stackTraces: false` (the caller checks), so no trace would be kept anyway; the same empty trace
 * cdktf records when the runtime gives none.
 */
export function withoutStackTraces<T>(create: () => T): T {
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (target: object) => {
    (target as { stack?: string }).stack = '';
  };
  try {
    return create();
  } finally {
    Error.captureStackTrace = capture;
  }
}

// ---- how cdktf writes a stack's JSON ---------------------------------------------------------------

/**
 * The writer cdktf writes cdk.tf.json with, read from its declared dependencies: cdktf 0.21 uses
 * json-stable-stringify, which breaks an empty array or object over two lines (`[\n<indent>]`); its fork
 * CDK Terrain (`cdktn` 0.24) uses safe-stable-stringify, which writes `[]` and `{}` as JSON.stringify
 * does. Both sort keys by UTF-16 code units and indent by two spaces. The fast writers follow it.
 */
export type CdktfJsonWriter = 'json-stable-stringify' | 'safe-stable-stringify';
export function cdktfJsonWriter(): CdktfJsonWriter | undefined {
  const dependencies = (require('cdktf/package.json') as { dependencies?: Record<string, string> }).dependencies ?? {};
  if ('json-stable-stringify' in dependencies) return 'json-stable-stringify';
  if ('safe-stable-stringify' in dependencies) return 'safe-stable-stringify';
  return undefined;
}
/** cdktf's own writer, called as cdktf calls it: the reference the fast writers are tested against. */
export function cdktfStackWriter(): (value: unknown) => string | undefined {
  const writer = cdktfJsonWriter();
  if (writer === undefined) throw new Error('cdktf depends on neither json-stable-stringify nor safe-stable-stringify: adapter/cdktf-internals.ts does not know how it writes stacks');
  const loaded = require(require.resolve(writer, { paths: [require.resolve('cdktf')] })) as ((value: unknown, options: { space: number }) => string | undefined) & { default?: (value: unknown, replacer: null, space: number) => string | undefined };
  return writer === 'json-stable-stringify' ? (value) => loaded(value, { space: 2 }) : (value) => (loaded.default ?? (loaded as unknown as (v: unknown, r: null, s: number) => string | undefined))(value, null, 2);
}
/** True when empty arrays and objects are written over two lines (json-stable-stringify), false for `[]`/`{}`. */
export const EMPTY_CONTAINERS_ON_TWO_LINES: boolean = cdktfJsonWriter() !== 'safe-stable-stringify';

// ---- token encodings -------------------------------------------------------------------------------

/** Every encoded cdktf token (string `${TfToken[...]}`, list `#{TfToken[...]}`, map `&{TfToken[...]}`). */
export const TOKEN_MARKER = 'TfToken[';
export const STRING_TOKEN_MARKER = '${TfToken[';
export const LIST_TOKEN_MARKER = '#{TfToken[';
/**
 * cdktf encodes number tokens as doubles tagged in their top 16 bits (0xFDFF, lists 0xFBFF): all below
 * -1.8e289. Any number above this bound is a plain number.
 */
const TOKEN_NUMBER_BOUND = -1e289;
/** What cdktf's resolver refuses in a scalar context (Token.STRING_MAP_TOKEN_VALUE and friends). */
export const MAP_TOKEN_STRINGS: ReadonlySet<string> = new Set(['String Map Token Value', 'Any Map Token Value']); // 22 and 19 characters
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

/** An encoded cdktf token inside a string (cdktf/lib/tokens/private/encoding.js: `[$#&]{TfToken[KEY]}`). */
const ENCODED_TOKEN = /[$#&]\{TfToken\[[a-zA-Z0-9:._-]+\]\}/g;
/** Terraform's template introducers: `${` starts an interpolation, `%{` a directive. */
const TEMPLATE_INTRODUCER = /([$%])\{/g;

/**
 * The string Terraform reads back as `value`'s literal text: in Terraform's JSON syntax every string is a
 * template, so a literal `${` or `%{` (a shell or Spring placeholder in a configuration text) is written
 * `$${` / `%%{`. Encoded cdktf tokens are left alone: they are the references, resolved later. cdktf
 * escapes nothing in plain strings (only `Fn.rawString` does, and only `${`).
 */
export function escapeTemplateLiterals(value: string): string {
  if (!value.includes('{')) return value;
  if (!value.includes(TOKEN_MARKER)) return value.replace(TEMPLATE_INTRODUCER, '$1$1{');
  let out = '';
  let last = 0;
  for (const token of value.matchAll(ENCODED_TOKEN)) {
    out += value.slice(last, token.index).replace(TEMPLATE_INTRODUCER, '$1$1{') + token[0];
    last = token.index + token[0].length;
  }
  return out + value.slice(last).replace(TEMPLATE_INTRODUCER, '$1$1{');
}

// ---- re-implementations of cdktf's internals, checked against them -------------------------------

const snakeCases = new Map<string, string>();
/** cdktf's `snakeCase`, computed once per key: its three regular expressions per key add up. */
function snakeCaseCached(key: string): string {
  let snake = snakeCases.get(key);
  if (snake === undefined) snakeCases.set(key, (snake = snakeCase(key)));
  return snake;
}

/** cdktf's `keysToSnakeCase` (cdktf/lib/util.js), step for step, with the cached `snakeCase`. */
export function keysToSnakeCase(object: unknown): unknown {
  if (Tokenization.isResolvable(object)) return object;
  const convert = (item: unknown) => (typeof item === 'object' ? keysToSnakeCase(item) : item);
  if (Array.isArray(object)) return object.map(convert);
  const source = object as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (key === 'tags' || key === 'environment') {
      result[key] = source[key];
      continue;
    }
    let value = source[key];
    if (typeof value === 'object') value = keysToSnakeCase(value);
    if (Array.isArray(value)) value = value.map(convert);
    result[snakeCaseCached(key)] = value;
  }
  return result;
}
