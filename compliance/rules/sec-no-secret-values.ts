import { outcome, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { parseValuesDocument, visitStrings } from './visit-strings';

/**
 * Secrets recognised by their value, wherever they stand: inside configuration texts (a redis.conf, a
 * properties file, a JAAS line), in chart values, in any field. The field-name rule
 * (SEC-NoPlaintextSecrets) cannot see `requirepass S3cret` inside a configuration string.
 */
const PATTERNS: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: 'a Redis password (requirepass/masterauth)', pattern: /^\s*(?:requirepass|masterauth)\s+(?<value>\S+)/im },
  { what: 'a password setting', pattern: /(?:^|[\s;,&?])[\w.-]*(?:password|passwd|pwd)\s*[=:]\s*(?<value>[^\s;,&"']+)/im },
  { what: 'a JAAS password (sasl.jaas.config)', pattern: /password\s*=\s*"(?<value>[^"]+)"/i },
  { what: 'a bearer token', pattern: /\bBearer\s+(?<value>[A-Za-z0-9\-._~+/]{20,}=*)/ },
  { what: 'a PEM private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----(?<value>)/ },
];

/** Every pattern needs one of these words: a string without any is not looked at further (most are not). */
const ANY_PATTERN_WORD = /pass|pwd|masterauth|bearer|private key/i;

/**
 * Values resolved at run time, never the secret itself: `${VAR}`, `$VAR`, `$(VAR)`, `$env://`, Terraform
 * references, and `$${env:VAR}` (Terraform's escape of a literal `${env:VAR}`, the OpenTelemetry
 * Collector's reference to its environment).
 */
const PLACEHOLDER = /^(?:\$?\$\{[^}]+\}|\$\([^)]+\)|\$[A-Za-z_][A-Za-z0-9_]*|\$(?:env|secret):\/\/\S*|"?\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"?)$/;

export const secNoSecretValues: ResourceRuleDefinition = {
  id: 'SEC-NoSecretValues',
  description: 'no password, token or private key appears by value in the synthesized output, inside configuration texts included',
  check(subject) {
    const problems: RuleProblem[] = [];
    // A Secret resource's data written as a literal (base64 or not) is the secret itself, in the output
    // and in Terraform's state; only references resolved elsewhere may stand there.
    if (/^kubernetes_secret(?:_v1)?$/.test(subject.type)) {
      for (const field of ['data', 'binary_data'] as const) {
        const data = subject.config[field];
        if (data === null || typeof data !== 'object' || Array.isArray(data)) continue;
        for (const [key, value] of Object.entries(data)) {
          if (typeof value === 'string' && value !== '' && !/^\$\{[^}]+\}$/.test(value)) {
            problems.push({
              message: `a literal value in the Secret's ${field}.${key}${/^[A-Za-z0-9+/]{24,}={0,2}$/.test(value) ? ' (a base64 run)' : ''}`,
              fix: 'create the Secret outside Terraform (or from a sensitive variable) and refer to it by name',
            });
          }
        }
      }
    }
    visitStrings(subject.config, (text, path, place) => {
      // Helm values are a JSON or YAML document inside a string: look inside it too, with its own paths.
      if (place.length === 2 && place[0] === 'values' && typeof place[1] === 'number') {
        const parsed = parseValuesDocument(text);
        if (parsed !== undefined) return visitStrings(parsed, check, path());
      }
      check(text, path);
    });
    return outcome(problems);

    function check(text: string, path: () => string): void {
      if (!ANY_PATTERN_WORD.test(text)) return;
      for (const { what, pattern } of PATTERNS) {
        const match = pattern.exec(text);
        if (!match) continue;
        const value = match.groups?.value ?? '';
        if (what !== 'a PEM private key' && (value === '' || PLACEHOLDER.test(value))) continue;
        problems.push({
          message: `${what} in plaintext at ${path() || '(value)'}`,
          fix: 'take it from an existing Kubernetes Secret (an environment variable from secretKeyRef, auth.existingSecret) or a sensitive Terraform variable, and write only the reference',
        });
      }
    }
  },
};

