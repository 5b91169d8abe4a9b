import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition } from '../types';
import { asObject, podOf } from './pod-specs';

/** NSA/CISA Kubernetes Hardening Guide: no privilege escalation, no privileged containers. */
export const k8sNoPrivilegeEscalation: ResourceRuleDefinition = {
  id: 'K8S-NoPrivilegeEscalation',
  description: 'containers are not privileged and cannot escalate privileges (NSA/CISA Kubernetes hardening)',
  check(subject) {
    const pod = podOf(subject);
    if (!pod) return NOT_APPLICABLE;
    return outcome(
      pod.containers.flatMap(({ name, container }) => {
        const context = asObject(container.security_context);
        const problems = [];
        if (context?.allow_privilege_escalation !== false) {
          problems.push({ message: `container "${name}" allows privilege escalation (allow_privilege_escalation is not false)`, fix: 'set securityContext.allowPrivilegeEscalation = false' });
        }
        if (context?.privileged === true) {
          problems.push({ message: `container "${name}" is privileged`, fix: 'remove securityContext.privileged' });
        }
        return problems;
      }),
    );
  },
};
