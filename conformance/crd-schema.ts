/**
 * Validating a custom resource against the real CRD's `openAPIV3Schema`, as the API server would, with
 * one deliberate difference: a field the schema does not declare is an error here. The API server
 * prunes such a field without a word (Terraform's kubernetes_manifest applies what is left), so a
 * misspelled or misplaced setting would be lost silently.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { isObject, type Json } from './value-keys';

export interface CrdVersion {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly served: boolean;
  readonly schema: Json;
}

/** Every version of every CRD in the YAML texts given. */
export function crdVersionsOf(yamlTexts: readonly string[]): CrdVersion[] {
  return crdVersionsOfDocuments(yamlTexts.flatMap((text) => parseAllDocuments(text).map((document) => document.toJSON() as Json)));
}

/** Every version of every CRD among documents already parsed (a chart's render). */
export function crdVersionsOfDocuments(documents: readonly Json[]): CrdVersion[] {
  const versions: CrdVersion[] = [];
  for (const crd of documents) {
    if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(crd.spec)) continue;
    const spec = crd.spec;
    const names = spec.names;
    if (!isObject(names) || !Array.isArray(spec.versions)) continue;
    for (const version of spec.versions) {
      if (!isObject(version) || !isObject(version.schema)) continue;
      versions.push({
        group: String(spec.group),
        kind: String(names.kind),
        version: String(version.name),
        served: version.served === true,
        schema: version.schema.openAPIV3Schema ?? null,
      });
    }
  }
  return versions;
}

const JUNCTORS = new Set(['oneOf', 'anyOf', 'allOf', 'not']);

/**
 * The structural schema as JSON Schema for Ajv: objects that declare `properties` and do not preserve
 * unknown fields refuse undeclared ones; `metadata` is left to the API server.
 */
function strictSchema(schema: Json, atRoot = true, inJunctor = false): Json {
  if (Array.isArray(schema)) return schema.map((s) => strictSchema(s, false, inJunctor));
  if (!isObject(schema)) return schema;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(schema)) {
    if (JUNCTORS.has(key)) {
      // oneOf/anyOf/allOf/not only validate values; which fields exist is the main schema's say
      // (Kubernetes' structural schemas), so a branch listing one field must not refuse the others.
      out[key] = strictSchema(value, false, true);
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, atRoot && name === 'metadata' ? {} : strictSchema(s, false, inJunctor)]));
    } else if (key === 'x-kubernetes-int-or-string' && value === true) {
      out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    } else if (key.startsWith('x-kubernetes-')) {
      continue;
    } else {
      out[key] = strictSchema(value, false, inJunctor);
    }
  }
  // apiVersion, kind and metadata are the API server's own, declared by the CRD or not.
  if (atRoot && isObject(out.properties)) out.properties = { apiVersion: {}, kind: {}, metadata: {}, ...out.properties };
  if (!inJunctor && isObject(out.properties) && schema['x-kubernetes-preserve-unknown-fields'] !== true && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

export interface CrValidation {
  readonly valid: boolean;
  readonly errors: readonly string[];
}

/** Validates one custom resource (apiVersion, kind, metadata, spec). */
export function validateCustomResource(resource: Json, crds: readonly CrdVersion[]): CrValidation {
  if (!isObject(resource)) return { valid: false, errors: ['not an object'] };
  const [group, version] = String(resource.apiVersion).split('/');
  const crd = crds.find((c) => c.group === group && c.version === version && c.kind === resource.kind);
  if (!crd) {
    const known = crds.filter((c) => c.kind === resource.kind).map((c) => `${c.group}/${c.version}`);
    return { valid: false, errors: [`no CRD serves ${String(resource.apiVersion)} ${String(resource.kind)} (known: ${known.join(', ') || 'none'})`] };
  }
  if (!crd.served) return { valid: false, errors: [`${crd.group}/${crd.version} ${crd.kind} is not served`] };
  const validate = compiled(crd);
  if (validate(resource)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).map(describeError) };
}

const validators = new WeakMap<CrdVersion, ValidateFunction>();
// Formats (date-time, int64, ...) are not checked: the fields the toolkit sets have none, and the
// API server checks them itself.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** One compiled validator per CRD version, however many resources use it. */
function compiled(crd: CrdVersion): ValidateFunction {
  let validate = validators.get(crd);
  if (!validate) {
    validate = ajv.compile(strictSchema(crd.schema) as object);
    validators.set(crd, validate);
  }
  return validate;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') return `${where}: unknown field "${String((error.params as { additionalProperty: string }).additionalProperty)}"`;
  if (error.keyword === 'required') return `${where}: missing required field "${String((error.params as { missingProperty: string }).missingProperty)}"`;
  return `${where}: ${error.message ?? error.keyword}`;
}
