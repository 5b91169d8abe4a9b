import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition } from '../types';
import { asObject, podOf } from './pod-specs';

/** NSA/CISA Kubernetes Hardening Guide: containers run as a non-root user. */
export const k8sRunAsNonRoot: ResourceRuleDefinition = {
  id: 'K8S-RunAsNonRoot',
  description: 'every container runs as non-root (NSA/CISA Kubernetes hardening: non-root containers)',
  check(subject) {
    const pod = podOf(subject);
    if (!pod) return NOT_APPLICABLE;
    const podLevel = asObject(pod.spec.security_context)?.run_as_non_root === true;
    return outcome(
      pod.containers
        .filter(({ container }) => {
          const own = asObject(container.security_context)?.run_as_non_root;
          return own === false || (own !== true && !podLevel);
        })
        .map(({ name }) => ({
          message: `container "${name}" may run as root: run_as_non_root is not true for it or its pod`,
          fix: 'set securityContext.runAsNonRoot = true (and a non-zero runAsUser) on the pod or the container',
        })),
    );
  },
};
