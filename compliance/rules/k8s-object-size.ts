import { NOT_APPLICABLE, outcome, type JsonObject, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { asObject } from './pod-specs';

/** The API server refuses a ConfigMap or Secret whose data (keys and values) exceeds this (`MaxSecretSize`, the same for ConfigMaps). */
export const MAX_DATA_BYTES = 1024 * 1024;
/** etcd's default `--max-request-bytes`: no object stored whole above this. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
/** Helm keeps a release (values, chart and rendered manifests) in one Secret: its values alone must fit. */
export const MAX_HELM_VALUES_BYTES = MAX_DATA_BYTES;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const mib = (n: number) => `${n.toLocaleString('en-US')} bytes`;

function dataBytes(config: JsonObject): number {
  let total = 0;
  for (const [key, value] of Object.entries(asObject(config.data) ?? {})) total += bytes(key) + (typeof value === 'string' ? bytes(value) : 0);
  // binary_data is base64 in the configuration; the API server counts the decoded bytes.
  for (const [key, value] of Object.entries(asObject(config.binary_data) ?? {})) total += bytes(key) + (typeof value === 'string' ? Buffer.from(value, 'base64').length : 0);
  return total;
}

/**
 * Every object fits where the API server keeps it: a ConfigMap's or Secret's data at most 1 MiB, any
 * object at most etcd's 1.5 MiB, a Helm release's values at most the 1 MiB of the Secret Helm stores the
 * release in. Caught at synthesis, naming the resource, instead of at `apply` half-way through a deploy.
 */
export const k8sObjectSize: ResourceRuleDefinition = {
  id: 'K8S-ObjectSize',
  description: 'every object fits the API server: ConfigMap/Secret data at most 1 MiB, any object at most 1.5 MiB (etcd), Helm values at most 1 MiB',
  check(subject) {
    const problems: RuleProblem[] = [];
    if (subject.type === 'helm_release') {
      const values = Array.isArray(subject.config.values) ? subject.config.values : [];
      const total = values.reduce<number>((sum, v) => sum + (typeof v === 'string' ? bytes(v) : 0), 0);
      if (total > MAX_HELM_VALUES_BYTES) problems.push({ message: `the release's values are ${mib(total)}; Helm stores the release in one Secret of at most ${mib(MAX_HELM_VALUES_BYTES)}`, fix: 'move large configuration out of the environment file: into the image, or a volume the application reads' });
      return outcome(problems);
    }
    if (!subject.type.startsWith('kubernetes_')) return NOT_APPLICABLE;
    if (/^kubernetes_(config_map|secret)(_v1)?$/.test(subject.type)) {
      const data = dataBytes(subject.config);
      if (data > MAX_DATA_BYTES) problems.push({ message: `data is ${mib(data)}; the API server refuses more than ${mib(MAX_DATA_BYTES)}`, fix: 'move large configuration out of the environment file (applications.<name>.config): into the image, or a volume the application reads' });
    }
    const whole = bytes(JSON.stringify(subject.config));
    if (whole > MAX_OBJECT_BYTES) problems.push({ message: `the object is ${mib(whole)}; etcd stores no object above ${mib(MAX_OBJECT_BYTES)}`, fix: 'split it, or move large content out of the environment file' });
    return outcome(problems);
  },
};
