import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition } from '../types';
import { asObject, podOf } from './pod-specs';

/** NSA/CISA Kubernetes Hardening Guide: immutable container filesystems where the workload allows. */
export const k8sReadOnlyRootFilesystem: ResourceRuleDefinition = {
  id: 'K8S-ReadOnlyRootFilesystem',
  description: 'containers mount their root filesystem read-only where the workload allows (NSA/CISA Kubernetes hardening)',
  check(subject) {
    const pod = podOf(subject);
    if (!pod) return NOT_APPLICABLE;
    return outcome(
      pod.containers
        .filter(({ container }) => asObject(container.security_context)?.read_only_root_filesystem !== true)
        .map(({ name }) => ({
          message: `container "${name}" has a writable root filesystem`,
          fix: 'set securityContext.readOnlyRootFilesystem = true and mount an emptyDir where it must write (e.g. /tmp); suppress with a reason if it cannot',
        })),
    );
  },
};
