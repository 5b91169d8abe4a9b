import { outcome, type JsonObject, type JsonValue, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { list } from './pod-specs';
import { parseJson } from './visit-strings';

/** Field names that hold a secret value (not the name of a Secret that holds it). */
const SECRET_FIELD = /(password|passwd|passphrase|secret|token|private[_-]?key|access[_-]?key|api[_-]?key|credential)s?$/i;
/**
 * Field names that name or point at a Secret: allowed. A certificate's `...TLSSecret`/`...CASecret`
 * (CloudNativePG's `serverTLSSecret`, `clientCASecret`) names the Secret holding it; a key itself would
 * be PEM text, which PRIVATE_KEY catches wherever it is.
 */
const SECRET_REFERENCE_FIELD = /(existing|ref$|keyref|key_ref|secret[_-]?name|name$|key$|file$|path$|enabled$|env$|(tls|ca)secret$)/i;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Terraform references and sensitive variables are not plaintext. */
const TERRAFORM_EXPRESSION = /^\$\{.+\}$/s;
/** Placeholders resolved at run time from the environment or a secret store (e.g. APISIX `$env://`, `$secret://`). */
const RUNTIME_REFERENCE = /^\$(env|secret):\/\//;

/** No password, token or key in plaintext in the synthesized output (GB/T 22240 level 3, HSAF). */
export const secNoPlaintextSecrets: ResourceRuleDefinition = {
  id: 'SEC-NoPlaintextSecrets',
  description: 'no password, token or key appears in plaintext in the synthesized output; they come from existing Secrets or sensitive variables',
  check(subject) {
    const problems: RuleProblem[] = [];
    const report = (where: string) =>
      problems.push({
        message: `plaintext secret at ${where}`,
        fix: 'reference an existing Kubernetes Secret named in the environment (e.g. auth.existingSecret) or a sensitive Terraform variable',
      });
    if (/^kubernetes_secret(_v1)?$/.test(subject.type)) {
      // A Secret written by Terraform is fine when every value is computed at deploy time (e.g. read
      // from another Secret); a literal value would sit in the synthesized JSON.
      for (const field of ['data', 'binary_data'] as const) {
        const data = subject.config[field];
        if (data === undefined || data === null) continue;
        if (typeof data !== 'object' || Array.isArray(data)) {
          if (!isExpression(data)) report(field);
          continue;
        }
        for (const [key, value] of Object.entries(data)) if (!isExpression(value)) report(`${field}.${key}`);
      }
    }
    if (subject.type === 'helm_release') {
      for (const entry of list(subject.config.set)) {
        if (SECRET_FIELD.test(String(entry.name)) && !SECRET_REFERENCE_FIELD.test(String(entry.name)) && isLiteral(entry.value)) report(`set "${String(entry.name)}"`);
      }
      const values = subject.config.values;
      for (const [index, text] of (Array.isArray(values) ? values : []).entries()) {
        if (typeof text !== 'string') continue;
        const parsed = parseJson(text);
        if (parsed === undefined) {
          if (PRIVATE_KEY.test(text)) report(`values[${index}]`);
        } else {
          walk(parsed, `values[${index}]`, report);
        }
      }
    }
    walk(withoutHelmValues(subject.type, subject.config), '', report);
    return outcome(problems);
  },
};

function walk(value: JsonValue, path: string, report: (where: string) => void): void {
  if (typeof value === 'string') {
    if (PRIVATE_KEY.test(value)) report(path || '(value)');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, report));
    return;
  }
  // Beside `secretName`, a field names a key of that Secret (Strimzi's `passwordSecret: {secretName, password}`).
  const keysOfNamedSecret = typeof value.secretName === 'string';
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (key === '//') continue;
    if (SECRET_FIELD.test(key) && !SECRET_REFERENCE_FIELD.test(key) && !keysOfNamedSecret && isLiteral(child)) report(childPath);
    else walk(child, childPath, report);
  }
}

function isLiteral(value: JsonValue | undefined): boolean {
  if (typeof value === 'number') return true;
  if (typeof value !== 'string' || value === '') return false;
  return !TERRAFORM_EXPRESSION.test(value) && !RUNTIME_REFERENCE.test(value);
}

function isExpression(value: JsonValue): boolean {
  return typeof value === 'string' && TERRAFORM_EXPRESSION.test(value);
}


function withoutHelmValues(type: string, config: JsonObject): JsonObject {
  if (type !== 'helm_release') return config;
  const { values: _values, set: _set, ...rest } = config;
  return rest;
}
