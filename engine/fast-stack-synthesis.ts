/**
 * A faster `prepareStack`/`toTerraform`/stack synthesis for the toolkit's stacks, producing exactly what
 * cdktf's own produce (test/l1-equivalence.test.ts compares both on every environment).
 *
 * The preparing pass copies each element's fragment once for writing (engine/stack-document.ts) and runs
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
 * Memory reused from one stack to the next in a process: arenas of stacks already written (memory
 * already touched is cheaper to fill) and the output buffer. It holds no stack's data once that stack
 * is written; each stack's own state is in its `FastSynthesis`.
 */
export class SynthesisBuffers {
  private readonly freeArenas: ByteBuffer[] = [];
  readonly output = new ByteBuffer();

  constructor(private readonly keptArenas = 8) {}

  takeArena(): ByteBuffer {
    const arena = this.freeArenas.pop() ?? new ByteBuffer();
    arena.reset();
    return arena;
  }

  giveBack(arena: ByteBuffer): void {
    if (this.freeArenas.length < this.keptArenas) this.freeArenas.push(arena);
  }
}

/** The buffers of this process's synthesis (a worker synthesizes one province after another). */
const PROCESS_BUFFERS = new SynthesisBuffers();

/** True when an aspect applies to any construct of the stack: it may have changed elements after the preparing pass. */
function hasAspects(stack: TerraformStack): boolean {
  const attached = (node: IConstruct) => Aspects.of(node).all.length > 0;
  return stack.node.scopes.some(attached) || stack.node.findAll().some(attached);
}

/**
 * One stack's synthesis, owned by the stack: the preparing pass (what `TerraformStack.prepareStack`
 * does) and the writing pass (`toTerraform` and the JSON file). What the preparing pass leaves for the
 * writing pass, per element, is its prepared copy or (for the general path) its raw fragment: building
 * fragments is a third of a stack's synthesis, so they are not built twice. Only aspects run between
 * the two passes and may change elements: with any aspect attached, what was kept is dropped and built
 * again (the toolkit attaches none).
 */
export class FastSynthesis {
  private readonly preparedCopies = new Map<TerraformElement, PreparedFragment>();
  private readonly rawFragments = new Map<TerraformElement, Record<string, unknown>>();
  /** The writing pass's resolver, created at its first use: after every stack of the App is prepared. */
  private writingResolver: StackPassResolver | undefined;
  /** Where this stack's pieces are written (engine/stack-document.ts), from the preparing pass on. */
  private arena: ByteBuffer | undefined;

  constructor(
    private readonly stack: TerraformStack,
    private readonly buffers: SynthesisBuffers = PROCESS_BUFFERS,
  ) {}

  /** What `TerraformStack.prepareStack` does: every element resolved, preparing, where it holds tokens. */
  prepare(): void {
    const stack = this.stack;
    stack.ensureBackendExists();
    this.forget();
    const arena = this.arenaNow();
    const resolver = new StackPassResolver(stack, true);
    const resolveToken = (value: string) => resolver.resolveString(value);
    for (const element of terraformElements(stack)) {
      const forCopy = isCopyableElement(element) ? element.toTerraformForCopy() : undefined;
      const full = forCopy ? undefined : (element.toTerraform() as Record<string, unknown>);
      const prepared = prepareFragment(forCopy ?? full, resolveToken, arena);
      if (prepared) {
        this.preparedCopies.set(element, prepared);
      } else {
        const fragment = full ?? (element.toTerraform() as Record<string, unknown>);
        this.rawFragments.set(element, fragment);
        fastResolve(fragment, resolver, false);
      }
    }
  }

  /** Drops what the preparing pass kept (an aspect may have changed the elements since). */
  forgetIfAspects(): void {
    if (hasAspects(this.stack)) {
      this.preparedCopies.clear();
      this.rawFragments.clear();
    }
  }

  /**
   * The stack's document, the fast way where its content allows, otherwise the general path with the
   * general writer: the same result either way. What the preparing pass kept is released.
   */
  document(): StackDocument {
    const stack = this.stack;
    const elements = terraformElements(stack);
    const resolver = (this.writingResolver ??= new StackPassResolver(stack, false));
    const fast = this.writeFast(elements, resolver);
    let document: StackDocument;
    if (fast) {
      const arena = this.arena;
      document = {
        path: 'fast',
        toTerraform: () => fast.plain(),
        writeFile: (file) => {
          const output = this.buffers.output;
          writeFileSync(file, output.view(0, fast.writeInto(output)));
          // The document is written: its pieces' arena serves the next stack.
          if (arena) this.buffers.giveBack(arena);
        },
      };
    } else {
      const tf = this.toTerraformGeneral(elements, resolver);
      document = { path: 'general', toTerraform: () => tf, writeFile: (file) => writeFileSync(file, stableJsonBytes(tf) ?? '') };
    }
    this.forget();
    return document;
  }

  /** What `TerraformStack.toTerraform` returns. */
  toTerraform(): Record<string, unknown> {
    return this.document().toTerraform();
  }

  private forget(): void {
    this.preparedCopies.clear();
    this.rawFragments.clear();
    this.writingResolver = undefined;
    this.arena = undefined;
  }

  private arenaNow(): ByteBuffer {
    return (this.arena ??= this.buffers.takeArena());
  }

  /** An element's `toTerraform()` (built again unless the preparing pass kept it raw). */
  private fragment(element: TerraformElement): Record<string, unknown> {
    return this.rawFragments.get(element) ?? (element.toTerraform() as Record<string, unknown>);
  }

  /**
   * What `TerraformStack.toTerraform` returns, the general path, for any content. cdktf resolves the
   * merged stack once more at the end; everything merged from the elements is resolved already (resolving
   * is idempotent), so only what the stack's own overrides touched and the `"//"` block (which carries
   * `undefined`) are resolved again.
   */
  private toTerraformGeneral(elements: readonly TerraformElement[], resolver: StackPassResolver): Record<string, unknown> {
    const tf: Record<string, unknown> = { '//': stackComment(this.stack, elements, resolver) };
    for (const element of elements) deepMerge(tf, fastResolve(this.fragment(element), resolver, true));
    const overrides = rawOverridesOf(this.stack);
    deepMerge(tf, overrides);
    for (const key of new Set(['//', ...Object.keys(overrides)])) {
      const resolved = fastResolve(tf[key], resolver, true);
      if (resolved === undefined) delete tf[key];
      else tf[key] = resolved;
    }
    return tf;
  }

  /** A value copied and resolved for writing in the writing pass, or `undefined` when only the general path can. */
  private preparedNow(value: Record<string, unknown>, resolver: StackPassResolver): PreparedFragment | undefined {
    const prepared = prepareFragment(value, (token) => resolver.resolveString(token), this.arenaNow());
    return prepared && resolvePrepared(prepared, resolver) ? prepared : undefined;
  }

  /** The fast path: undefined when some content needs the general path. */
  private writeFast(elements: readonly TerraformElement[], resolver: StackPassResolver): StackDocumentWriter | undefined {
    const writer = new StackDocumentWriter();
    // cdktf starts from the "//" block and merges the elements into it; resolving it first is the same.
    const comment = this.preparedNow({ '//': stackComment(this.stack, elements, resolver) }, resolver);
    if (!comment || !writer.add(comment)) return undefined;
    for (const element of elements) {
      // A copy whose tokens resolve differently now than while preparing is made again with the final values.
      const copy = this.preparedCopies.get(element);
      const prepared = copy && resolvePrepared(copy, resolver) ? copy : this.preparedNow(this.fragment(element), resolver);
      if (!prepared || !writer.add(prepared)) return undefined;
    }
    const overrides = rawOverridesOf(this.stack);
    const overridden = Object.keys(overrides);
    if (overridden.length === 0) return writer;
    // cdktf merges the stack's raw overrides, then resolves everything: resolve what they touched again.
    if (!writer.mergeOverrides(overrides, deepMerge)) return undefined;
    for (const key of new Set(['//', ...overridden])) {
      if (writer.root[key] === undefined) {
        writer.replace(key, undefined);
        continue;
      }
      const entry = this.preparedNow({ [key]: writer.root[key] }, resolver);
      if (!entry) return undefined;
      writer.replace(key, entry.data[key]);
    }
    return writer;
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

/** A stack's synthesized content, and its JSON as cdktf writes it. */
export interface StackDocument {
  /** Which way it was built: `general` means some content needed cdktf's slower, general handling. */
  readonly path: 'fast' | 'general';
  /** The content as plain data (what `TerraformStack.toTerraform` returns). */
  toTerraform(): Record<string, unknown>;
  /** Writes the JSON to a file. */
  writeFile(path: string): void;
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

  constructor(
    private readonly stack: TerraformStack,
    private readonly synthesis: FastSynthesis = new FastSynthesis(stack),
  ) {}

  synthesize(session: ISynthesisSession): void {
    if (this.hclOutput) return cdktfStackSynthesizer(this.stack, this.continueOnErrorAnnotations, true).synthesize(session);
    const stack = this.stack;
    cdktfInvokeAspects(stack);
    this.synthesis.forgetIfAspects();
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
    const document = this.synthesis.document();
    this.lastPath = document.path;
    document.writeFile(join(session.outdir, stackManifest.synthesizedStackPath));
  }
}
