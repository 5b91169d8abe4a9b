import type { JsonObject, JsonValue, ResourceSubject } from '../types';

/** Kubernetes resources that carry a pod template, and where the pod spec sits in each. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  kubernetes_deployment_v1: ['spec', 'template', 'spec'],
  kubernetes_deployment: ['spec', 'template', 'spec'],
  kubernetes_stateful_set_v1: ['spec', 'template', 'spec'],
  kubernetes_stateful_set: ['spec', 'template', 'spec'],
  kubernetes_daemon_set_v1: ['spec', 'template', 'spec'],
  kubernetes_daemonset: ['spec', 'template', 'spec'],
  kubernetes_job_v1: ['spec', 'template', 'spec'],
  kubernetes_cron_job_v1: ['spec', 'job_template', 'spec', 'template', 'spec'],
  kubernetes_pod_v1: ['spec'],
  kubernetes_pod: ['spec'],
};

export interface PodView {
  readonly spec: JsonObject;
  /** Containers and init containers, with their names. */
  readonly containers: readonly { readonly name: string; readonly container: JsonObject }[];
}

/** The pod spec of a workload resource, or undefined when the resource runs no pods. */
export function podOf(subject: ResourceSubject): PodView | undefined {
  const path = POD_SPEC_PATHS[subject.type];
  if (!path) return undefined;
  let current: JsonValue | undefined = subject.config;
  for (const key of path) current = single(asObject(current)?.[key]);
  const spec = asObject(current);
  if (!spec) return undefined;
  const containers = [...list(spec.container), ...list(spec.init_container)].map((c, i) => ({ name: String(c.name ?? `#${i}`), container: c }));
  return { spec, containers };
}

/** Terraform JSON writes a nested block as an object or a one-element list; accept both. */
export function single(value: JsonValue | undefined): JsonValue | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function asObject(value: JsonValue | undefined): JsonObject | undefined {
  const v = single(value);
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

export function list(value: JsonValue | undefined): JsonObject[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.filter((v): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v));
}
