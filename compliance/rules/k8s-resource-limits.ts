import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition } from '../types';
import { asObject, podOf } from './pod-specs';

/** NSA/CISA Kubernetes Hardening Guide: resource limits keep one workload from starving the node. */
export const k8sResourceLimits: ResourceRuleDefinition = {
  id: 'K8S-ResourceLimits',
  description: 'every container has CPU and memory requests and limits (NSA/CISA Kubernetes hardening)',
  check(subject) {
    const pod = podOf(subject);
    if (!pod) return NOT_APPLICABLE;
    return outcome(
      pod.containers.flatMap(({ name, container }) => {
        const resources = asObject(container.resources);
        const missing = (['limits', 'requests'] as const).flatMap((kind) =>
          (['cpu', 'memory'] as const).filter((r) => asObject(resources?.[kind])?.[r] === undefined).map((r) => `${kind}.${r}`),
        );
        return missing.length === 0 ? [] : [{ message: `container "${name}" has no ${missing.join(', ')}`, fix: 'set resources.requests and resources.limits for cpu and memory' }];
      }),
    );
  },
};
