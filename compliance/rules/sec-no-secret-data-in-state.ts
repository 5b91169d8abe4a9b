import { outcome, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { visitStrings } from './visit-strings';

/**
 * A Kubernetes Secret read by a data source and passed into a resource puts the secret's value into
 * Terraform's state (both the data source's and the resource's attributes), where anyone who reads the
 * state reads it. The toolkit never does this: credentials reach pods as mounted Secrets created outside
 * Terraform (the service gateway renders them inside its pod). This rule finds any resource attribute
 * that references `data.kubernetes_secret[_v1].<name>.data` or `.binary_data`.
 */
const SECRET_DATA_REFERENCE = /\bdata\.kubernetes_secret(?:_v1)?\.([\w-]+)\.(?:data|binary_data)\b/g;

export const secNoSecretDataInState: ResourceRuleDefinition = {
  id: 'SEC-NoSecretDataInState',
  description: "no resource takes a Kubernetes Secret's data from a data source (the value would be in Terraform's state)",
  check(subject) {
    const problems: RuleProblem[] = [];
    visitStrings(subject.config, (text, path) => {
      if (!text.includes('data.kubernetes_secret')) return;
      for (const match of text.matchAll(SECRET_DATA_REFERENCE)) {
        problems.push({
          message: `${path() || '(value)'} takes the data of Secret data source ${match[1]} (data.${match[0].split('.').slice(1, 3).join('.')}): its value is stored in Terraform's state`,
          fix: 'mount the Secret into the pod that needs it (a secret volume or secretKeyRef) and leave the value out of Terraform; render files that need it inside the pod',
        });
      }
    });
    return outcome(problems);
  },
};
