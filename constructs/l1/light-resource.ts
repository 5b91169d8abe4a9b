/**
 * Light L1 resources: the provider's own typed configs and converters, without its generated classes.
 *
 * A generated provider class builds an object graph of "output references" for every nested block at
 * construction (each capturing a stack trace), which dominates synthesis time at national scale. A light
 * resource keeps the same typed config (`DeploymentV1Config`...) and writes it with the provider's own
 * exported `...ToTerraform` converters, so the synthesized JSON is byte-identical (tested against the
 * generated classes in test/l1-equivalence.test.ts).
 *
 * `useProviderClasses('generated')` switches every factory back to the generated classes: the tests and
 * the benchmark use it to check and measure the unoptimized path.
 */
import { DISABLE_STACK_TRACE_IN_METADATA, TerraformResource, type TerraformMetaArguments } from 'cdktf';
import { cdktfDeepMerge as deepMerge, escapeTemplateLiterals, isImported, keysToSnakeCase, rawOverridesOf, withoutStackTraces } from '../../adapter/cdktf-internals';
import type { Construct } from 'constructs';

export interface ProviderInfo {
  readonly providerName: string;
  readonly providerVersion: string;
  readonly providerVersionConstraint: string;
}

/** What a factory needs to know about one resource type. */
export interface LightResourceDefinition<C extends TerraformMetaArguments> {
  readonly terraformResourceType: string;
  readonly provider: ProviderInfo;
  /** Top-level attributes in Terraform's names, as the generated class's `synthesizeAttributes` writes them. */
  readonly attributes: (config: C) => Record<string, unknown>;
  /** The generated class, loaded only when asked for (its module is heavy). */
  readonly generated: () => new (scope: Construct, id: string, config: C) => TerraformResource;
}

export type ProviderClassMode = 'light' | 'generated';
let mode: ProviderClassMode = 'light';

/**
 * Chooses the implementation behind every factory (and, in stacks/zone-site-stack.ts, cdktf's own stack
 * synthesis instead of the fast one): for equivalence tests and the benchmark's unoptimized baseline.
 */
export function useProviderClasses(next: ProviderClassMode): void {
  mode = next;
}

export function providerClassMode(): ProviderClassMode {
  return mode;
}

class LightResource<C extends TerraformMetaArguments> extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly definition: LightResourceDefinition<C>,
    private readonly config: C,
  ) {
    super(scope, id, {
      terraformResourceType: definition.terraformResourceType,
      terraformGeneratorMetadata: definition.provider,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
  }

  protected synthesizeAttributes(): { [name: string]: unknown } {
    return this.definition.attributes(this.config);
  }

  /**
   * `toTerraform()` as stack synthesis copies it (engine/stack-document.ts), or `undefined` where only
   * `toTerraform()` will do (moved, imported, provisioners). The same object except that dynamic blocks
   * stay where the config put them instead of moving under `dynamic`: cdktf's walk for them copies every
   * nested object, and the copy refuses any class instance, a dynamic block included, and then falls
   * back to `toTerraform()`.
   */
  toTerraformForCopy(): Record<string, unknown> | undefined {
    if (this.hasResourceMove() || isImported(this) || (this.provisioners?.length ?? 0) > 0) return undefined;
    const attributes = deepMerge(this.definition.attributes(this.config), keysToSnakeCase(this.terraformMetaArguments), { provisioner: undefined }, rawOverridesOf(this)) as Record<string, unknown>;
    attributes['//'] = { ...((attributes['//'] as object | undefined) ?? {}), ...this.constructNodeMetadata };
    return { resource: { [this.terraformResourceType]: { [this.friendlyUniqueId]: attributes } } };
  }
}

/** An element that offers `toTerraformForCopy` (light resources). */
export interface CopyableElement {
  toTerraformForCopy(): Record<string, unknown> | undefined;
}

export function isCopyableElement(element: object): element is CopyableElement {
  return typeof (element as Partial<CopyableElement>).toTerraformForCopy === 'function';
}

/** A typed factory for one resource type: `(scope, id, config) => resource`. */
export type ResourceFactory<C extends TerraformMetaArguments> = (scope: Construct, id: string, config: C) => TerraformResource;

export function lightFactory<C extends TerraformMetaArguments>(definition: LightResourceDefinition<C>): ResourceFactory<C> {
  return (scope, id, given) => {
    const config = withLiteralStrings(given);
    if (mode === 'generated') {
      const Generated = definition.generated();
      return new Generated(scope, id, config);
    }
    return new LightResource(scope, id, definition, config);
  };
}

/** Terraform's meta-arguments: references and addresses, never literal text. */
const META_ARGUMENTS: ReadonlySet<string> = new Set(['provider', 'dependsOn', 'count', 'lifecycle', 'provisioners', 'connection', 'forEach']);

/**
 * The config with every literal string escaped for Terraform's template syntax (`${` -> `$${`,
 * `%{` -> `%%{`, cdktf's encoded references kept), so a placeholder in a configuration text reaches the
 * cluster as written instead of failing `validate`. Every resource passes here, in both provider-class
 * modes; only plain objects and arrays are walked (tokens and constructs are kept as they are), and
 * nothing is copied when nothing needs escaping.
 */
function withLiteralStrings<C extends TerraformMetaArguments>(config: C): C {
  const given = config as unknown as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(given)) {
    if (META_ARGUMENTS.has(key)) continue;
    const escaped = escapeLiteralsIn(given[key]);
    if (escaped !== given[key]) (copy ??= { ...given })[key] = escaped;
  }
  return (copy as unknown as C | undefined) ?? config;
}

function escapeLiteralsIn(value: unknown): unknown {
  if (typeof value === 'string') return escapeTemplateLiterals(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const escaped = escapeLiteralsIn(item);
      if (escaped !== item) (copy ??= [...value])[index] = escaped;
    });
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const escaped = escapeLiteralsIn(record[key]);
    if (escaped !== record[key]) (copy ??= { ...record })[key] = escaped;
  }
  return copy ?? value;
}

/**
 * The name of a Kubernetes object as a reference (`${type.name.metadata[0].name}`): using it makes
 * Terraform create the object first. Same rendering as the generated classes' `metadata.name`.
 */
export function metadataNameOf(resource: TerraformResource): string {
  return withoutTokenStackTraces(resource, () => resource.getStringAttribute('metadata[0].name'));
}

/**
 * Every cdktf token records the full stack trace of its creation: about a tenth of a province's
 * synthesis went there. When the App was created with `stackTraces: false` (ours always are: traces
 * would put absolute paths in the output) the recorded trace is empty instead, as cdktf's own
 * `captureStackTrace` reports when the runtime gives no stack; no frames are walked. A trace only ever
 * appears in the message of a token that fails to resolve.
 */
function withoutTokenStackTraces<T>(scope: TerraformResource, create: () => T): T {
  return scope.node.tryGetContext(DISABLE_STACK_TRACE_IN_METADATA) === true ? withoutStackTraces(create) : create();
}
