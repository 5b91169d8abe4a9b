import type { NetworkPolicyV1SpecEgress, NetworkPolicyV1SpecIngress } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { networkPolicyV1 } from '../l1/kubernetes';

/** Label every namespace carries with its own name (set by Kubernetes >= 1.21), used by policy selectors. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface NetworkPolicySetProps {
  /** Namespace name (a reference to the namespace resource, so Terraform creates it first). */
  readonly namespace: string;
}

/** Who an ingress rule admits: namespaces by name, addresses (CIDR or single address), or anyone. */
export type IngressPeer = { readonly namespaces: readonly string[] } | { readonly addresses: readonly string[] } | Record<string, never>;

export interface PortSpec {
  readonly port: number;
  /** @default "TCP" */
  readonly protocol?: 'TCP' | 'UDP';
}

/**
 * The network policies of one namespace (GB/T 22240 level 3: zoned network, least privilege): deny all
 * ingress and egress, then allow the same namespace and the cluster DNS. Everything else is opened by
 * intent methods, each one NetworkPolicy naming its peer and ports, so a review (and the zone-isolation
 * proof) reads every permitted path.
 */
export class NetworkPolicySet extends Construct {
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: NetworkPolicySetProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.add('DefaultDeny', 'default-deny', { policyTypes: ['Ingress', 'Egress'] });
    this.add('AllowSameNamespace', 'allow-same-namespace', {
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    });
    this.add('AllowDns', 'allow-cluster-dns', {
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { port: '53', protocol: 'UDP' },
            { port: '53', protocol: 'TCP' },
          ],
        },
      ],
    });
  }

  allowFromNamespace(id: string, sourceNamespace: string, ports: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, `allow-from-${sourceNamespace}`, {
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: sourceNamespace } } }], ports: portList(ports) }],
    });
  }

  allowToNamespace(id: string, targetNamespace: string, ports: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, `allow-to-${targetNamespace}`, {
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: targetNamespace } } }], ports: portList(ports) }],
    });
  }

  /** Egress to fixed addresses outside the cluster (VIPs of this zone, a gatekeeper). */
  allowToAddresses(id: string, name: string, addresses: readonly string[], ports: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, name, { policyTypes: ['Egress'], egress: [{ to: cidrs(addresses), ports: portList(ports) }] });
  }

  /** Ingress from fixed addresses outside the cluster (the other datacenter's middleware, a gatekeeper). */
  allowFromAddresses(id: string, name: string, addresses: readonly string[], ports?: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, name, { policyTypes: ['Ingress'], ingress: [{ from: cidrs(addresses), ...(ports ? { ports: portList(ports) } : {}) }] });
  }

  /**
   * One policy admitting several peers, each on its own ports (in the manner of cdk8s-plus `allowFrom`):
   * a peer is a namespace, a set of addresses, or anyone (`{}`).
   */
  allowIngress(id: string, name: string, rules: readonly { readonly from: IngressPeer; readonly ports: readonly (number | PortSpec)[] }[]): TerraformResource {
    return this.add(id, name, {
      policyTypes: ['Ingress'],
      ingress: rules.map((rule) => ({
        ...('namespaces' in rule.from ? { from: [...rule.from.namespaces].sort().map((ns) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } } })) } : {}),
        ...('addresses' in rule.from ? { from: cidrs(rule.from.addresses) } : {}),
        ports: portList(rule.ports),
      })),
    });
  }

  /** Ingress from each listed namespace on its own ports (one policy, one rule per namespace). */
  allowFromNamespaces(id: string, name: string, sources: readonly { readonly namespace: string; readonly ports: readonly (number | PortSpec)[] }[]): TerraformResource {
    return this.add(id, name, {
      policyTypes: ['Ingress'],
      ingress: [...sources]
        .sort((a, b) => (a.namespace < b.namespace ? -1 : 1))
        .map((source) => ({ from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: source.namespace } } }], ports: portList(source.ports) })),
    });
  }

  /** Ingress from any namespace carrying a label (e.g. every tenant namespace of the zone). */
  allowFromLabelledNamespaces(id: string, name: string, labelKey: string, ports?: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, name, {
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: labelKey, operator: 'Exists' }] } }], ...(ports ? { ports: portList(ports) } : {}) }],
    });
  }

  /** Egress to every namespace carrying a label. */
  allowToLabelledNamespaces(id: string, name: string, labelKey: string, ports: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, name, {
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: labelKey, operator: 'Exists' }] } }], ports: portList(ports) }],
    });
  }

  /** Ingress from anywhere on the given ports: the listeners of a load balancer. */
  allowFromAnywhere(id: string, name: string, ports: readonly (number | PortSpec)[]): TerraformResource {
    return this.add(id, name, { policyTypes: ['Ingress'], ingress: [{ ports: portList(ports) }] });
  }

  private add(id: string, name: string, rules: { policyTypes: string[]; ingress?: NetworkPolicyV1SpecIngress[]; egress?: NetworkPolicyV1SpecEgress[] }): TerraformResource {
    return networkPolicyV1(this, id, { metadata: { name, namespace: this.namespace }, spec: { podSelector: {}, ...rules } });
  }
}

function portList(ports: readonly (number | PortSpec)[]): { port: string; protocol: string }[] {
  return ports
    .map((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP' as const } : { port: p.port, protocol: p.protocol ?? ('TCP' as const) }))
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
    .filter((p, i, all) => i === 0 || p.port !== all[i - 1]!.port || p.protocol !== all[i - 1]!.protocol)
    .map((p) => ({ port: String(p.port), protocol: p.protocol }));
}

function cidrs(addresses: readonly string[]): { ipBlock: { cidr: string } }[] {
  return [...new Set(addresses)].sort().map((address) => ({ ipBlock: { cidr: address.includes('/') ? address : `${address}/32` } }));
}
