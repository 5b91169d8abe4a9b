/**
 * The shape of a synthesized stack (cdk.tf.json) as its readers see it: compliance, the plan review,
 * the image inventory and the conformance procedure read these types and nothing of the engine.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A synthesized stack (cdk.tf.json). */
export interface StackJson {
  readonly resource?: Record<string, Record<string, JsonObject>>;
  readonly [key: string]: unknown;
}

/** One resource of a synthesized stack, with the construct path cdktf records in its "//" block. */
export interface SynthesizedResource {
  readonly type: string;
  readonly name: string;
  /** Construct path, e.g. `demo-core-a/Platform/Applications/settlement/Resource`; `<stack>/<type>.<name>` when the output records none. */
  readonly path: string;
  readonly config: JsonObject;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The resources of a stack in the order they are written (type, then name). */
export function resourcesOf(stackName: string, stack: StackJson): SynthesizedResource[] {
  const found: SynthesizedResource[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      const comment = config['//'];
      const metadata = isJsonObject(comment) ? comment.metadata : undefined;
      const path = isJsonObject(metadata) && typeof metadata.path === 'string' ? metadata.path : `${stackName}/${type}.${name}`;
      found.push({ type, name, path, config });
    }
  }
  return found;
}
