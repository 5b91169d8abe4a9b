/**
 * A NetworkPolicy that opens a path to some pods of a namespace only (its podSelector) is only as good as
 * its labels: a selector that matches no pod leaves the component it was written for without the path,
 * and nothing in Kubernetes says so. The conformance procedure matches each such selector of the output
 * against the pod templates the real charts render into that namespace.
 */
import { isObject, type Json } from './value-keys';

/** A pod template a render holds: the workload that owns it and its labels. */
export interface RenderedPod {
  readonly namespace: string;
  readonly workload: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A NetworkPolicy of the output that selects pods by label. */
export interface SelectingPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly matchLabels: Readonly<Record<string, string>>;
}

const stringRecord = (value: Json | undefined): Record<string, string> => (isObject(value) ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string')) : {});

/** The pod templates of a render's workloads (a CronJob's through its job template), in the release's namespace unless they name one. */
export function podTemplatesOf(documents: readonly Json[], releaseNamespace: string): RenderedPod[] {
  return documents.flatMap((document) => {
    if (!isObject(document) || !isObject(document.spec) || !isObject(document.metadata)) return [];
    const spec = document.kind === 'CronJob' && isObject(document.spec.jobTemplate) && isObject(document.spec.jobTemplate.spec) ? document.spec.jobTemplate.spec : document.spec;
    if (!isObject(spec.template) || !isObject(spec.template.metadata)) return [];
    const namespace = typeof document.metadata.namespace === 'string' ? document.metadata.namespace : releaseNamespace;
    return [{ namespace, workload: `${String(document.kind)}/${String(document.metadata.name)}`, labels: stringRecord(spec.template.metadata.labels) }];
  });
}

/** The output's policies with a non-empty `pod_selector.match_labels` (Terraform's form), their namespace resolved by `namespaceOf`. */
export function selectingPolicies(policies: Readonly<Record<string, Json>>, namespaceOf: (value: string, what: string) => string): SelectingPolicy[] {
  return Object.entries(policies).flatMap(([address, policy]) => {
    if (!isObject(policy) || !isObject(policy.metadata) || !isObject(policy.spec) || !isObject(policy.spec.pod_selector)) return [];
    const matchLabels = stringRecord(policy.spec.pod_selector.match_labels);
    if (Object.keys(matchLabels).length === 0) return [];
    return [{ namespace: namespaceOf(String(policy.metadata.namespace), `kubernetes_network_policy_v1.${address}`), name: String(policy.metadata.name), matchLabels }];
  });
}

/** The workloads a policy's selector matches among the rendered pods of its namespace. */
export function selectedWorkloads(policy: SelectingPolicy, pods: readonly RenderedPod[]): string[] {
  return pods.filter((pod) => pod.namespace === policy.namespace && Object.entries(policy.matchLabels).every(([key, value]) => pod.labels[key] === value)).map((pod) => pod.workload);
}
