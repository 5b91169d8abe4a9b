import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition } from '../types';
import { asObject, podOf } from './pod-specs';

/** NSA/CISA Kubernetes Hardening Guide: drop all Linux capabilities, add back only what is needed. */
export const k8sCapabilitiesDropped: ResourceRuleDefinition = {
  id: 'K8S-CapabilitiesDropped',
  description: 'every container drops ALL Linux capabilities (NSA/CISA Kubernetes hardening)',
  check(subject) {
    const pod = podOf(subject);
    if (!pod) return NOT_APPLICABLE;
    return outcome(
      pod.containers
        .filter(({ container }) => {
          const drop = asObject(asObject(container.security_context)?.capabilities)?.drop;
          return !(Array.isArray(drop) && drop.includes('ALL'));
        })
        .map(({ name }) => ({ message: `container "${name}" does not drop ALL capabilities`, fix: 'set securityContext.capabilities.drop = ["ALL"]' })),
    );
  },
};
