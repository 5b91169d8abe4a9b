/**
 * A faster `toTerraform`/`prepareStack` for the toolkit's stacks, producing exactly what cdktf's own
 * produce (test/l1-equivalence.test.ts compares both on every environment).
 *
 * cdktf resolves every element three times over the whole value tree (a preparing pass, a pass per
 * element, a pass over the merged stack), looking for tokens in every string and number. Our stacks
 * hold few tokens (references between resources); this resolves exactly those with cdktf's own
 * resolver and copies plain data as cdktf would (dropping `undefined`), in one pass. The stack's JSON
 * is then written by stacks/stable-json.ts instead of cdktf's slower writer (same bytes).
 */
import {
  AnnotationMetadataEntryType,
  Aspects,
  DefaultTokenResolver,
  StringConcat,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  Token,
  Tokenization,
  type IAspect,
  type IStackSynthesizer,
  type ISynthesisSession,
  type StackAnnotation,
} from 'cdktf';
import { encounteredAnnotationWithLevelError } from 'cdktf/lib/errors';
import { invokeAspects, StackSynthesizer } from 'cdktf/lib/synthesize/synthesizer';
import { deepMerge } from 'cdktf/lib/util';
import { ValidateTerraformVersion } from 'cdktf/lib/validations/validate-terraform-version';
import { ConstructOrder, type IConstruct } from 'constructs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stableJsonBytes } from './stable-json';

const RESOLVER = new DefaultTokenResolver(new StringConcat());
/** Every encoded cdktf token (string `${TfToken[...]}`, list `#{TfToken[...]}`) carries this marker. */
const TOKEN_MARKER = 'TfToken[';

/** The stack internals cdktf keeps private but its own toTerraform reads. */
interface StackInternals {
  readonly rawOverrides: Record<string, unknown>;
  readonly cdktfVersion: string;
}

function resolveWithCdktf(scope: IConstruct, value: unknown, preparing: boolean): unknown {
  return Tokenization.resolve(value, { scope, preparing, resolver: RESOLVER });
}

/** True when a value needs cdktf's resolver somewhere inside (checked without allocating). */
function hasTokens(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case 'string':
      return value.includes(TOKEN_MARKER);
    case 'number':
      return Token.isUnresolved(value);
    case 'object':
      break;
    default:
      return typeof value === 'function';
  }
  if (Tokenization.isResolvable(value)) return true;
  if (Array.isArray(value)) return value.some(hasTokens);
  if (value instanceof Date) return false;
  for (const key of Object.keys(value)) {
    if (key.includes(TOKEN_MARKER) || hasTokens((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Resolves the parts that hold tokens with cdktf's resolver; copies the rest as cdktf's resolve does. */
function fastResolve(scope: IConstruct, value: unknown, preparing: boolean): unknown {
  if (value === undefined || value === null || typeof value === 'boolean') return value;
  if (typeof value !== 'object' || Tokenization.isResolvable(value) || value instanceof Date) {
    return hasTokens(value) ? resolveWithCdktf(scope, value, preparing) : value;
  }
  if (Array.isArray(value)) {
    // Encoded lists must be resolved as a whole, like cdktf does.
    if (value.some((v) => typeof v === 'string' && v.includes(TOKEN_MARKER)) || value.some((v) => typeof v === 'number' && Token.isUnresolved(v))) {
      return resolveWithCdktf(scope, value, preparing);
    }
    return value.map((v) => fastResolve(scope, v, preparing)).filter((v) => v !== undefined);
  }
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key.includes(TOKEN_MARKER)) return resolveWithCdktf(scope, value, preparing);
    const resolved = fastResolve(scope, (value as Record<string, unknown>)[key], preparing);
    if (resolved !== undefined) result[key] = resolved;
  }
  return result;
}

/** A value resolved as the synthesized stack will hold it (cdktf's resolve, not preparing). */
export function resolveAsSynthesized(scope: IConstruct, value: unknown): unknown {
  return fastResolve(scope, value, false);
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
 * Each element's `toTerraform()` from the preparing pass, reused by the writing pass: building them is a
 * third of a stack's synthesis. Only aspects run between the two passes, so the cache is dropped when an
 * aspect that does not declare `keepsTerraformFragments` is attached; ours declares it and forgets the
 * fragment of any element it changes (`forgetTerraformFragment`).
 */
const fragments = new WeakMap<TerraformElement, Record<string, unknown>>();

/** An aspect that leaves elements unchanged, or calls `forgetTerraformFragment` on those it changes. */
export interface FragmentKeepingAspect extends IAspect {
  readonly keepsTerraformFragments: true;
}

/** An element's `toTerraform()`, from the preparing pass when nothing changed it since. */
export function terraformFragment(element: TerraformElement): Record<string, unknown> {
  return fragments.get(element) ?? (element.toTerraform() as Record<string, unknown>);
}

export function forgetTerraformFragment(element: TerraformElement): void {
  fragments.delete(element);
}

function forgetStackFragments(stack: TerraformStack): void {
  for (const element of terraformElements(stack)) fragments.delete(element);
}

/** True when an aspect applying to any construct of the stack may change elements behind the cache's back. */
function hasFragmentChangingAspects(stack: TerraformStack): boolean {
  const changes = (node: IConstruct) => Aspects.of(node).all.some((aspect) => (aspect as Partial<FragmentKeepingAspect>).keepsTerraformFragments !== true);
  return stack.node.scopes.some(changes) || stack.node.findAll().some(changes);
}

/** What `TerraformStack.prepareStack` does, resolving (preparing) only where tokens are. */
export function prepareStackFast(stack: TerraformStack): void {
  stack.ensureBackendExists();
  for (const element of terraformElements(stack)) {
    const fragment = element.toTerraform() as Record<string, unknown>;
    fragments.set(element, fragment);
    if (hasTokens(fragment)) fastResolve(stack, fragment, true);
  }
}

/** What `TerraformStack.toTerraform` returns, with one resolving pass. */
export function toTerraformFast(stack: TerraformStack): Record<string, unknown> {
  const internals = stack as unknown as StackInternals;
  const tf: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {
    version: internals.cdktfVersion,
    stackName: stack.node.id,
    backend: 'local',
    cloud: undefined,
    ...(Object.keys(internals.rawOverrides).length > 0 ? { overrides: { stack: Object.keys(internals.rawOverrides) } } : {}),
  };
  const elements = terraformElements(stack);
  for (const element of elements) deepMerge(metadata, fastResolve(stack, element.toMetadata(), false));
  const outputs = elements.reduce<Record<string, unknown>>((carry, item) => {
    if (!TerraformOutput.isTerraformOutput(item)) return carry;
    deepMerge(
      carry,
      item.node.path.split('/').reduceRight<Record<string, unknown>>((inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
    );
    return carry;
  }, {});
  tf['//'] = { metadata, outputs };
  for (const element of elements) {
    deepMerge(tf, fastResolve(stack, terraformFragment(element), false));
    fragments.delete(element);
  }
  deepMerge(tf, internals.rawOverrides);
  // cdktf resolves the merged stack once more. Everything merged from the elements is resolved already
  // (resolving is idempotent); what the stack's own overrides touched and the metadata (which carries
  // `undefined`) are resolved here.
  for (const key of new Set(['//', ...Object.keys(internals.rawOverrides)])) {
    const resolved = fastResolve(stack, tf[key], false);
    if (resolved === undefined) delete tf[key];
    else tf[key] = resolved;
  }
  return tf;
}

/** Where cdktf keeps a construct's custom synthesis (cdktf/lib/synthesize/synthesizer.js), and its shape. */
const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');
interface CustomSynthesis {
  onSynthesize(session: ISynthesisSession): void;
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

  constructor(private readonly stack: TerraformStack) {}

  synthesize(session: ISynthesisSession): void {
    if (this.hclOutput) return new StackSynthesizer(this.stack, this.continueOnErrorAnnotations, true).synthesize(session);
    const stack = this.stack;
    invokeAspects(stack);
    if (hasFragmentChangingAspects(stack)) forgetStackFragments(stack);
    if (stack.hasResourceMove()) {
      stack.node.addValidation(new ValidateTerraformVersion('>=1.5', 'Resource move functionality is only supported for Terraform >=1.5. Please upgrade your Terraform version.'));
    }
    if (!session.skipValidation) stack.runAllValidations();
    const stackManifest = session.manifest.forStack(stack);
    const workingDirectory = join(session.outdir, stackManifest.workingDirectory);
    if (!existsSync(workingDirectory)) mkdirSync(workingDirectory);
    for (const node of stack.node.findAll(ConstructOrder.POSTORDER)) {
      (node as unknown as { [CUSTOM_SYNTHESIS]?: CustomSynthesis })[CUSTOM_SYNTHESIS]?.onSynthesize(session);
    }
    const annotations: StackAnnotation[] = [];
    for (const node of stack.node.findAll()) {
      for (const metadata of node.node.metadata) {
        if (!ANNOTATION_LEVELS.includes(metadata.type)) continue;
        annotations.push({ constructPath: node.node.path, level: metadata.type as AnnotationMetadataEntryType, message: metadata.data as string, stacktrace: metadata.trace });
      }
    }
    // Read-only in the manifest's type; the synthesizer is where cdktf writes it.
    (stackManifest as { annotations: StackAnnotation[] }).annotations = annotations;
    const errors = annotations.filter((a) => a.level === AnnotationMetadataEntryType.ERROR);
    if (!this.continueOnErrorAnnotations && errors.length > 0) {
      throw encounteredAnnotationWithLevelError(errors.map((a) => `[${a.constructPath}] ${a.message}`).join('\n'));
    }
    writeFileSync(join(session.outdir, stackManifest.synthesizedStackPath), stableJsonBytes(stack.toTerraform()) ?? '');
  }
}
