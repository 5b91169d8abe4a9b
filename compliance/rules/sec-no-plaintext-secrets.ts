import { outcome, type JsonObject, type JsonValue, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { list } from './pod-specs';
import { parseValuesDocument, renderPath } from './visit-strings';

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
        const parsed = parseValuesDocument(text);
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

/** Reports literal values of secret-named fields and PEM private keys anywhere under `value` (paths after `base`). */
function walk(value: JsonValue, base: string, report: (where: string) => void): void {
  const place: (string | number)[] = [];
  const where = () => renderPath(place, base) || '(value)';
  const visit = (node: JsonValue): void => {
    if (typeof node === 'string') {
      // The PEM header is literal text: a string without it is not tried against the pattern.
      if (node.includes('PRIVATE KEY-----') && PRIVATE_KEY.test(node)) report(where());
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        place.push(i);
        visit(node[i]!);
        place.pop();
      }
      return;
    }
    // Beside `secretName`, a field names a key of that Secret (Strimzi's `passwordSecret: {secretName, password}`).
    const keysOfNamedSecret = typeof node.secretName === 'string';
    for (const key of Object.keys(node)) {
      if (key === '//') continue;
      const child = node[key]!;
      place.push(key);
      if (SECRET_FIELD.test(key) && !SECRET_REFERENCE_FIELD.test(key) && !keysOfNamedSecret && isLiteral(child)) report(where());
      else visit(child);
      place.pop();
    }
  };
  visit(value);
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
