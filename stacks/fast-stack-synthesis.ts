/**
 * A faster `prepareStack`/`toTerraform`/stack synthesis for the toolkit's stacks, producing exactly what
 * cdktf's own produce (test/l1-equivalence.test.ts compares both on every environment).
 *
 * The preparing pass copies each element's fragment once for writing (stacks/stack-document.ts) and runs
 * cdktf's resolver, preparing, only on the strings that hold tokens, each distinct one once per stack.
 * The writing pass resolves those strings into the copies, merges them and writes the JSON natively.
 * A stack holding anything the copy does not reproduce exactly takes the general path: cdktf's resolver
 * where tokens are, plain copies elsewhere, cdktf's deep merge and the stable writer of stable-json.ts.
 */
import {
  AnnotationMetadataEntryType,
  Aspects,
  DefaultTokenResolver,
  StringConcat,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  Tokenization,
  type IStackSynthesizer,
  type ISynthesisSession,
  type StackAnnotation,
} from 'cdktf';
import { ConstructOrder, type IConstruct } from 'constructs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cdktfAnnotationErrors,
  cdktfDeepMerge as deepMerge,
  cdktfInvokeAspects,
  cdktfStackSynthesizer,
  cdktfVersionOf,
  customSynthesisOf,
  LIST_TOKEN_MARKER,
  mayBeTokenNumber,
  rawOverridesOf,
  requireTerraformVersion,
  setManifestAnnotations,
  stringNeedsResolver,
} from '../adapter/cdktf-internals';
import { isCopyableElement } from '../constructs/l1/light-resource';
import { ByteBuffer, isPlainObject, prepareFragment, resolvePrepared, StackDocumentWriter, type LeafResolver, type PreparedFragment } from './stack-document';
import { stableJsonBytes } from './stable-json';

const RESOLVER = new DefaultTokenResolver(new StringConcat());

function resolveWithCdktf(scope: IConstruct, value: unknown, preparing: boolean): unknown {
  return Tokenization.resolve(value, { scope, preparing, resolver: RESOLVER });
}

/**
 * cdktf's resolver for one stack and one pass, each distinct token-holding string resolved once: the
 * same reference (a namespace's name, say) appears in hundreds of resources. Resolving a string is a
 * pure function of the string within a pass (references render their Terraform address; the preparing
 * pass only registers cross-stack references, which cdktf keeps idempotent).
 */
class StackPassResolver implements LeafResolver {
  private readonly strings = new Map<string, unknown>();

  constructor(
    readonly stack: IConstruct,
    readonly preparing: boolean,
  ) {}

  resolveString(value: string): unknown {
    if (this.strings.has(value)) return this.strings.get(value);
    const resolved = resolveWithCdktf(this.stack, value, this.preparing);
    this.strings.set(value, resolved);
    return resolved;
  }

  resolveValue(value: unknown): unknown {
    return resolveWithCdktf(this.stack, value, this.preparing);
  }
}

/** cdktf resolves an array holding an encoded list token (string or number) as a whole list. */
function holdsListToken(values: readonly unknown[]): boolean {
  return values.some((v) => (typeof v === 'string' && v.includes(LIST_TOKEN_MARKER)) || (typeof v === 'number' && mayBeTokenNumber(v)));
}

/**
 * The general path: cdktf's resolve for any value, calling cdktf's resolver exactly where tokens (or
 * anything but plain data) are and copying the rest as cdktf's resolve does (dropping `undefined`).
 * With `build` false it only runs the resolver for its effects (the preparing pass) and returns nothing.
 */
function fastResolve(value: unknown, resolver: StackPassResolver, build: boolean): unknown {
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
      return value;
    case 'string':
      return stringNeedsResolver(value) ? resolver.resolveString(value) : value;
    case 'number':
      return mayBeTokenNumber(value) ? resolver.resolveValue(value) : value;
    case 'object':
      break;
    default:
      // Functions: cdktf refuses them with its own message.
      return resolver.resolveValue(value);
  }
  if (value === null) return null;
  if (value instanceof Date) return value;
  if (Tokenization.isResolvable(value) || !(Array.isArray(value) || isPlainObject(value))) return resolver.resolveValue(value);
  if (Array.isArray(value)) {
    if (holdsListToken(value)) return resolver.resolveValue(value);
    if (!build) {
      for (const item of value) fastResolve(item, resolver, false);
      return undefined;
    }
    const out: unknown[] = [];
    for (const item of value) {
      const resolved = fastResolve(item, resolver, true);
      if (resolved !== undefined) out.push(resolved);
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Keys holding tokens (maps): cdktf resolves the object as a whole.
  if (keys.some(stringNeedsResolver)) return resolver.resolveValue(value);
  if (!build) {
    for (const key of keys) fastResolve(record[key], resolver, false);
    return undefined;
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const resolved = fastResolve(record[key], resolver, true);
    if (resolved !== undefined) result[key] = resolved;
  }
  return result;
}


/** cdktf's element order: depth first, not into nested stacks. */
function terraformElements(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) into.push(node);
  for (const child of node.node.children) {
    if (!TerraformStack.isStack(child)) terraformElements(child, into);
  }
  return into;
}

/**
 * What the preparing pass leaves for the writing pass, per element: its prepared copy, or (for the
 * general path) its raw fragment. Building fragments is a third of a stack's synthesis, so they are not
 * built twice. Only aspects run between the two passes and may change elements: a stack with any aspect
 * attached drops what was kept and builds its fragments again (the toolkit attaches none).
 */
const preparedCopies = new WeakMap<TerraformElement, PreparedFragment>();
const rawFragments = new WeakMap<TerraformElement, Record<string, unknown>>();
/** The writing pass's resolver of each stack (created after every stack is prepared). */
const writingResolvers = new WeakMap<TerraformStack, StackPassResolver>();
/** Where each stack's pieces are written (stacks/stack-document.ts), from the preparing pass on. */
const arenas = new WeakMap<TerraformStack, ByteBuffer>();
/** Arenas of stacks already written, for the next ones: memory already touched is cheaper to fill. */
const freeArenas: ByteBuffer[] = [];
const KEPT_ARENAS = 8;

function arenaOf(stack: TerraformStack): ByteBuffer {
  let arena = arenas.get(stack);
  if (!arena) {
    arena = freeArenas.pop() ?? new ByteBuffer();
    arena.reset();
    arenas.set(stack, arena);
  }
  return arena;
}

function releaseArena(stack: TerraformStack): void {
  const arena = arenas.get(stack);
  arenas.delete(stack);
  if (arena && freeArenas.length < KEPT_ARENAS) freeArenas.push(arena);
}

/** An element's `toTerraform()` (built again unless the preparing pass kept it raw). */
function terraformFragment(element: TerraformElement): Record<string, unknown> {
  return rawFragments.get(element) ?? (element.toTerraform() as Record<string, unknown>);
}

function forgetTerraformFragment(element: TerraformElement): void {
  preparedCopies.delete(element);
  rawFragments.delete(element);
}

function forgetStackFragments(stack: TerraformStack): void {
  for (const element of terraformElements(stack)) forgetTerraformFragment(element);
}

/** True when an aspect applies to any construct of the stack: it may have changed elements after the preparing pass. */
function hasAspects(stack: TerraformStack): boolean {
  const attached = (node: IConstruct) => Aspects.of(node).all.length > 0;
  return stack.node.scopes.some(attached) || stack.node.findAll().some(attached);
}

function writingResolver(stack: TerraformStack): StackPassResolver {
  let resolver = writingResolvers.get(stack);
  if (!resolver) writingResolvers.set(stack, (resolver = new StackPassResolver(stack, false)));
  return resolver;
}

/** What `TerraformStack.prepareStack` does: every element resolved, preparing, where it holds tokens. */
export function prepareStackFast(stack: TerraformStack): void {
  stack.ensureBackendExists();
  writingResolvers.delete(stack);
  arenas.delete(stack);
  const arena = arenaOf(stack);
  const resolver = new StackPassResolver(stack, true);
  const resolveToken = (value: string) => resolver.resolveString(value);
  for (const element of terraformElements(stack)) {
    const forCopy = isCopyableElement(element) ? element.toTerraformForCopy() : undefined;
    const full = forCopy ? undefined : (element.toTerraform() as Record<string, unknown>);
    const prepared = prepareFragment(forCopy ?? full, resolveToken, arena);
    if (prepared) {
      preparedCopies.set(element, prepared);
      rawFragments.delete(element);
    } else {
      const fragment = full ?? (element.toTerraform() as Record<string, unknown>);
      rawFragments.set(element, fragment);
      preparedCopies.delete(element);
      fastResolve(fragment, resolver, false);
    }
  }
}

/** The `"//"` block cdktf starts a stack with: its metadata (merged from the elements') and outputs. */
function stackComment(stack: TerraformStack, elements: readonly TerraformElement[], resolver: StackPassResolver): Record<string, unknown> {
  const stackOverrides = rawOverridesOf(stack);
  const metadata: Record<string, unknown> = {
    version: cdktfVersionOf(stack),
    stackName: stack.node.id,
    backend: 'local',
    cloud: undefined,
    ...(Object.keys(stackOverrides).length > 0 ? { overrides: { stack: Object.keys(stackOverrides) } } : {}),
  };
  for (const element of elements) deepMerge(metadata, fastResolve(element.toMetadata(), resolver, true));
  const outputs = elements.reduce<Record<string, unknown>>((carry, item) => {
    if (!TerraformOutput.isTerraformOutput(item)) return carry;
    deepMerge(
      carry,
      item.node.path.split('/').reduceRight<Record<string, unknown>>((inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
    );
    return carry;
  }, {});
  return { metadata, outputs };
}

/**
 * What `TerraformStack.toTerraform` returns, the general path, for any content. cdktf resolves the
 * merged stack once more at the end; everything merged from the elements is resolved already (resolving
 * is idempotent), so only what the stack's own overrides touched and the `"//"` block (which carries
 * `undefined`) are resolved again.
 */
function toTerraformGeneral(stack: TerraformStack, elements: readonly TerraformElement[], resolver: StackPassResolver): Record<string, unknown> {
  const tf: Record<string, unknown> = { '//': stackComment(stack, elements, resolver) };
  for (const element of elements) deepMerge(tf, fastResolve(terraformFragment(element), resolver, true));
  const overrides = rawOverridesOf(stack);
  deepMerge(tf, overrides);
  for (const key of new Set(['//', ...Object.keys(overrides)])) {
    const resolved = fastResolve(tf[key], resolver, true);
    if (resolved === undefined) delete tf[key];
    else tf[key] = resolved;
  }
  return tf;
}

/** A value copied and resolved for writing in the writing pass, or `undefined` when only the general path can. */
function preparedNow(stack: TerraformStack, value: Record<string, unknown>, resolver: StackPassResolver): PreparedFragment | undefined {
  const prepared = prepareFragment(value, (token) => resolver.resolveString(token), arenaOf(stack));
  return prepared && resolvePrepared(prepared, resolver) ? prepared : undefined;
}

/** The fast path: undefined when some content needs the general path. */
function writeFast(stack: TerraformStack, elements: readonly TerraformElement[], resolver: StackPassResolver): StackDocumentWriter | undefined {
  const writer = new StackDocumentWriter();
  // cdktf starts from the "//" block and merges the elements into it; resolving it first is the same.
  const comment = preparedNow(stack, { '//': stackComment(stack, elements, resolver) }, resolver);
  if (!comment || !writer.add(comment)) return undefined;
  for (const element of elements) {
    // A copy whose tokens resolve differently now than while preparing is made again with the final values.
    const copy = preparedCopies.get(element);
    const prepared = copy && resolvePrepared(copy, resolver) ? copy : preparedNow(stack, terraformFragment(element), resolver);
    if (!prepared || !writer.add(prepared)) return undefined;
  }
  const overrides = rawOverridesOf(stack);
  const overridden = Object.keys(overrides);
  if (overridden.length === 0) return writer;
  // cdktf merges the stack's raw overrides, then resolves everything: resolve what they touched again.
  if (!writer.mergeOverrides(overrides, deepMerge)) return undefined;
  for (const key of new Set(['//', ...overridden])) {
    if (writer.root[key] === undefined) {
      writer.replace(key, undefined);
      continue;
    }
    const entry = preparedNow(stack, { [key]: writer.root[key] }, resolver);
    if (!entry) return undefined;
    writer.replace(key, entry.data[key]);
  }
  return writer;
}

/** A stack's synthesized content, and its JSON as cdktf writes it. */
export interface StackDocument {
  /** Which way it was built: `general` means some content needed cdktf's slower, general handling. */
  readonly path: 'fast' | 'general';
  /** The content as plain data (what `TerraformStack.toTerraform` returns). */
  toTerraform(): Record<string, unknown>;
  /** Writes the JSON to a file. */
  writeFile(path: string): void;
}

/** One output buffer per process, reused by every stack written. */
const output = new ByteBuffer();

/**
 * The stack's document, the fast way where its content allows, otherwise the general path with the
 * general writer: the same result either way. What the preparing pass kept is released.
 */
export function stackDocument(stack: TerraformStack): StackDocument {
  const elements = terraformElements(stack);
  const resolver = writingResolver(stack);
  const fast = writeFast(stack, elements, resolver);
  let document: StackDocument;
  if (fast) {
    document = {
      path: 'fast',
      toTerraform: () => fast.plain(),
      writeFile: (file) => {
        writeFileSync(file, output.view(0, fast.writeInto(output)));
        // The document is written: its pieces' arena serves the next stack.
        releaseArena(stack);
      },
    };
  } else {
    const tf = toTerraformGeneral(stack, elements, resolver);
    document = { path: 'general', toTerraform: () => tf, writeFile: (file) => writeFileSync(file, stableJsonBytes(tf) ?? '') };
  }
  forgetStackFragments(stack);
  return document;
}

/** What `TerraformStack.toTerraform` returns. */
export function toTerraformFast(stack: TerraformStack): Record<string, unknown> {
  return stackDocument(stack).toTerraform();
}

const ANNOTATION_LEVELS: readonly string[] = [AnnotationMetadataEntryType.INFO, AnnotationMetadataEntryType.WARN, AnnotationMetadataEntryType.ERROR];

/**
 * cdktf's `StackSynthesizer.synthesize`, step for step (aspects, validations, custom synthesis,
 * annotations into the manifest, refusing error annotations), writing the stack's JSON with the faster
 * byte-identical writer. HCL output (SYNTH_HCL_OUTPUT) is left to cdktf's own synthesizer.
 */
export class FastStackSynthesizer implements IStackSynthesizer {
  private readonly continueOnErrorAnnotations = process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS !== undefined;
  private readonly hclOutput = process.env.SYNTH_HCL_OUTPUT === 'true' || process.env.SYNTH_HCL_OUTPUT === '1';

  /** How the stack's JSON was last built (tests check that the toolkit's stacks take the fast path). */
  lastPath: StackDocument['path'] | undefined;

  constructor(private readonly stack: TerraformStack) {}

  synthesize(session: ISynthesisSession): void {
    if (this.hclOutput) return cdktfStackSynthesizer(this.stack, this.continueOnErrorAnnotations, true).synthesize(session);
    const stack = this.stack;
    cdktfInvokeAspects(stack);
    if (hasAspects(stack)) forgetStackFragments(stack);
    if (stack.hasResourceMove()) {
      requireTerraformVersion(stack, '>=1.5', 'Resource move functionality is only supported for Terraform >=1.5. Please upgrade your Terraform version.');
    }
    if (!session.skipValidation) stack.runAllValidations();
    const stackManifest = session.manifest.forStack(stack);
    const workingDirectory = join(session.outdir, stackManifest.workingDirectory);
    if (!existsSync(workingDirectory)) mkdirSync(workingDirectory);
    for (const node of stack.node.findAll(ConstructOrder.POSTORDER)) {
      customSynthesisOf(node)?.onSynthesize(session);
    }
    const annotations: StackAnnotation[] = [];
    for (const node of stack.node.findAll()) {
      for (const metadata of node.node.metadata) {
        if (!ANNOTATION_LEVELS.includes(metadata.type)) continue;
        annotations.push({ constructPath: node.node.path, level: metadata.type as AnnotationMetadataEntryType, message: metadata.data as string, stacktrace: metadata.trace });
      }
    }
    setManifestAnnotations(stackManifest, annotations);
    const errors = annotations.filter((a) => a.level === AnnotationMetadataEntryType.ERROR);
    if (!this.continueOnErrorAnnotations && errors.length > 0) {
      throw cdktfAnnotationErrors(errors.map((a) => `[${a.constructPath}] ${a.message}`).join('\n'));
    }
    const document = stackDocument(stack);
    this.lastPath = document.path;
    document.writeFile(join(session.outdir, stackManifest.synthesizedStackPath));
  }
}
