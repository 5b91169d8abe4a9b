import { Construct } from 'constructs';
import { limitRangeV1, namespaceV1, resourceQuotaV1, roleBindingV1, roleV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';
import { countQuantity, cpuQuantity, memoryQuantity } from '../../model/quantity';
import { NetworkPolicySet, type Peer, type PolicyOptions, type Port } from './network-policy-set';

/** Anything that lives in a namespace takes this, not a provider resource. */
export interface INamespace {
  /** Namespace name, as a reference to the namespace resource (so Terraform creates it first). */
  readonly namespaceName: string;
}

/** A project (项目) owns applications and is operated; a team (开发团队) develops. */
export type TenantKind = 'project' | 'team';

export interface TenantQuota {
  readonly cpu: number;
  readonly memoryGiB: number;
  readonly pods: number;
}

/** Pod Security Admission labels: enforce a level, and warn and audit at the same one. */
export function podSecurityLabels(level: 'restricted' | 'baseline'): Record<string, string> {
  return { 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/warn': level, 'pod-security.kubernetes.io/audit': level };
}

export interface TenantNamespaceProps {
  /** `project` (项目, `proj-<id>`) or `team` (开发团队, `team-<id>`): who operates it and how. */
  readonly kind: TenantKind;
  /** Namespace name, e.g. `proj-hxjb` or `team-settlement`. */
  readonly namespace: string;
  /** Human name, kept as an annotation (e.g. "核心经办"). */
  readonly displayName: string;
  /** Identity-provider group bound to the namespace role. */
  readonly group: string;
  /** CPU, memory and pods the namespace may use at most (ResourceQuota). */
  readonly quota: TenantQuota;
  /** Labels added to the namespace (zone, site, province). @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Pod Security Admission level enforced on the namespace. `baseline` only where a workload needs it,
   * with the reason recorded as a suppression of K8S-PodSecurityRestricted. @default "restricted"
   */
  readonly podSecurity?: 'restricted' | 'baseline';
  /**
   * Default requests/limits for containers that declare none (LimitRange).
   * @default { cpuMilli: 250, memoryMiB: 512 } requests, { cpuMilli: 1000, memoryMiB: 1024 } limits
   */
  readonly containerDefaults?: {
    readonly requests: { readonly cpuMilli: number; readonly memoryMiB: number };
    readonly limits: { readonly cpuMilli: number; readonly memoryMiB: number };
  };
}

/**
 * An isolated tenant namespace (GB/T 22240 level 3: least privilege, zoned network): the namespace, a
 * Role bound to the tenant's group, a ResourceQuota, a LimitRange, and a default-deny NetworkPolicy
 * with explicit allows (same namespace, cluster DNS). Further traffic is opened with `allowFrom...`.
 */
export class TenantNamespace extends Construct implements INamespace {
  readonly namespaceName: string;
  private readonly policies: NetworkPolicySet;

  constructor(scope: Construct, id: string, props: TenantNamespaceProps) {
    super(scope, id);
    const limits = props.containerDefaults ?? { requests: { cpuMilli: 250, memoryMiB: 512 }, limits: { cpuMilli: 1000, memoryMiB: 1024 } };

    const namespace = namespaceV1(this, 'Resource', {
      metadata: {
        name: props.namespace,
        // What NetworkPolicy cannot see (a hostNetwork or privileged pod) Pod Security Admission refuses.
        labels: { ...props.labels, 'hsa.gov.cn/tenant-kind': props.kind, ...podSecurityLabels(props.podSecurity ?? 'restricted') },
        annotations: { 'hsa.gov.cn/display-name': props.displayName },
      },
    });
    this.namespaceName = metadataNameOf(namespace);
    const metadata = (name: string) => ({ name, namespace: this.namespaceName });

    const role = roleV1(this, 'Role', { metadata: metadata(`${props.kind}-${props.kind === 'project' ? 'operator' : 'developer'}`), rule: roleRules(props.kind) });
    const roleName = metadataNameOf(role);
    roleBindingV1(this, 'RoleBinding', {
      metadata: metadata(roleName),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subject: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: props.group }],
    });

    resourceQuotaV1(this, 'Quota', {
      metadata: metadata('tenant-quota'),
      spec: {
        hard: {
          'requests.cpu': cpuQuantity(props.quota.cpu * 1000),
          'limits.cpu': cpuQuantity(props.quota.cpu * 2000),
          'requests.memory': memoryQuantity(props.quota.memoryGiB, 'Gi'),
          'limits.memory': memoryQuantity(props.quota.memoryGiB * 2, 'Gi'),
          pods: countQuantity(props.quota.pods),
        },
      },
    });
    limitRangeV1(this, 'Limits', {
      metadata: metadata('container-defaults'),
      spec: {
        limit: [
          {
            type: 'Container',
            defaultRequest: { cpu: cpuQuantity(limits.requests.cpuMilli), memory: memoryQuantity(limits.requests.memoryMiB, 'Mi') },
            default: { cpu: cpuQuantity(limits.limits.cpuMilli), memory: memoryQuantity(limits.limits.memoryMiB, 'Mi') },
          },
        ],
      },
    });

    this.policies = new NetworkPolicySet(this, 'NetworkPolicies', { namespace: this.namespaceName });
  }

  /** Allows traffic into this namespace from a peer (`Peer.namespace(...)`, `Peer.addresses(...)`...), on the given ports. */
  allowFrom(id: string, peer: Peer, ports: readonly Port[], options: PolicyOptions = {}): void {
    this.policies.allowFrom(id, peer, ports, options);
  }

  /**
   * Allows traffic from this namespace to a peer, on the given ports: another namespace, or fixed addresses
   * (e.g. the middleware VIPs of both datacenters: stable names resolve to the active one).
   */
  allowTo(id: string, peer: Peer, ports: readonly Port[], options: PolicyOptions = {}): void {
    this.policies.allowTo(id, peer, ports, options);
  }
}

/** Least privilege: operators read and scale; developers manage workloads but never read Secrets. */
function roleRules(kind: TenantKind): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
  const read = ['get', 'list', 'watch'];
  if (kind === 'project') {
    return [
      { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'configmaps', 'events', 'endpoints'], verbs: read },
      { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: read },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: read },
    ];
  }
  return [
    { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'configmaps', 'events', 'endpoints'], verbs: read },
    { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
    { apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['create', 'update', 'patch', 'delete'] },
    { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: [...read, 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: [...read, 'create', 'update', 'patch', 'delete'] },
  ];
}
