import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { list, podOf } from './pod-specs';

/** NSA/CISA Kubernetes Hardening Guide: no host namespaces, no hostPath volumes. */
export const k8sNoHostAccess: ResourceRuleDefinition = {
  id: 'K8S-NoHostAccess',
  description: 'pods share no host namespace (network, PID, IPC) and mount no hostPath (NSA/CISA Kubernetes hardening)',
  check(subject) {
    const pod = podOf(subject);
    if (!pod) return NOT_APPLICABLE;
    const problems: RuleProblem[] = [];
    for (const field of ['host_network', 'host_pid', 'host_ipc'] as const) {
      if (pod.spec[field] === true) problems.push({ message: `pod sets ${field} = true`, fix: `remove ${field}: workloads must not share the node's namespaces` });
    }
    for (const volume of list(pod.spec.volume)) {
      if (volume.host_path !== undefined) {
        problems.push({ message: `volume "${String(volume.name)}" mounts a hostPath`, fix: 'use an emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim instead' });
      }
    }
    return outcome(problems);
  },
};
