import { outcome, type JsonObject, type ResourceRuleDefinition } from '../types';

/**
 * A tenant namespace enforces Pod Security Admission `restricted` (NSA/CISA Kubernetes hardening; GB/T
 * 22239-2019 access control): a hostNetwork, hostPath or privileged pod, which NetworkPolicy cannot see,
 * is refused at admission. `baseline` passes only with a recorded suppression saying which workload
 * needs it.
 */
export const k8sPodSecurityRestricted: ResourceRuleDefinition = {
  id: 'K8S-PodSecurityRestricted',
  description: 'every tenant namespace enforces Pod Security Admission "restricted"',
  check(subject) {
    if (subject.type !== 'kubernetes_namespace_v1') return { status: 'not-applicable' };
    const metadata = (subject.config.metadata ?? {}) as JsonObject;
    const labels = (metadata.labels ?? {}) as JsonObject;
    if (labels['hsa.gov.cn/tenant-kind'] === undefined) return { status: 'not-applicable' };
    const enforced = labels['pod-security.kubernetes.io/enforce'];
    return outcome(
      enforced === 'restricted'
        ? []
        : [
            {
              message: `tenant namespace ${String(metadata.name)} enforces Pod Security Admission ${enforced === undefined ? 'nothing' : `"${String(enforced)}"`}`,
              fix: 'label it pod-security.kubernetes.io/enforce: restricted (TenantNamespace does by default), or record why a workload needs baseline as a suppression of K8S-PodSecurityRestricted',
            },
          ],
    );
  },
};
