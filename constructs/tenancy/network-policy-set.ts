import type { NetworkPolicyV1SpecEgress, NetworkPolicyV1SpecIngress } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { Construct } from 'constructs';
import { networkPolicyV1 } from '../l1/kubernetes';

/** Label every namespace carries with its own name (set by Kubernetes >= 1.21), used by policy selectors. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface NetworkPolicySetProps {
  /** Namespace name (a reference to the namespace resource, so Terraform creates it first). */
  readonly namespace: string;
}

/**
 * The other side of a network policy rule (as cdk8s-plus's `IPeer`): namespaces by name, every namespace
 * carrying a label, fixed addresses (CIDR or single address) outside the cluster, or anyone.
 */
export type Peer =
  | { readonly namespaces: readonly string[] }
  | { readonly namespacesLabelled: string }
  | { readonly addresses: readonly string[] }
  | { readonly anyone: true };

export const Peer = {
  namespace: (name: string): Peer => ({ namespaces: [name] }),
  namespaces: (names: readonly string[]): Peer => ({ namespaces: names }),
  /** Every namespace carrying the label (any value), e.g. every tenant namespace of the zone. */
  labelledNamespaces: (labelKey: string): Peer => ({ namespacesLabelled: labelKey }),
  addresses: (addresses: readonly string[]): Peer => ({ addresses }),
  anyone: (): Peer => ({ anyone: true }),
};

export interface PortSpec {
  readonly port: number;
  /** @default "TCP" */
  readonly protocol?: 'TCP' | 'UDP';
}

/** A port, TCP when given as a number. */
export type Port = number | PortSpec;

export interface PolicyOptions {
  /** The NetworkPolicy's name. @default `allow-from-<namespace>` / `allow-to-<namespace>` for a single-namespace peer; required otherwise */
  readonly name?: string;
  /**
   * Only the namespace's pods carrying these labels may use the path (the policy's podSelector): the
   * component that needs it, not its neighbours. The conformance procedure checks that each such
   * selector matches a pod the namespace's charts render.
   * @default - every pod of the namespace
   */
  readonly pods?: Readonly<Record<string, string>>;
}

/** One rule of a policy that admits several peers, each on its own ports. */
export interface PeerRule {
  readonly peer: Peer;
  readonly ports: readonly Port[];
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

  /** Allows traffic into this namespace from a peer, on the given ports (one NetworkPolicy). */
  allowFrom(id: string, peer: Peer, ports: readonly Port[], options: PolicyOptions = {}): void {
    this.allowFromEach(id, [{ peer, ports }], { name: options.name ?? this.defaultName('from', peer) });
  }

  /** Allows traffic from this namespace to a peer, on the given ports (one NetworkPolicy). */
  allowTo(id: string, peer: Peer, ports: readonly Port[], options: PolicyOptions = {}): void {
    const name = options.name ?? this.defaultName('to', peer);
    this.add(id, name, { policyTypes: ['Egress'], egress: [{ ...peerSelector(peer, 'to'), ports: portList(ports, name) }] }, options.pods);
  }

  /** One policy admitting several peers, each on its own ports, in the order given. */
  allowFromEach(id: string, rules: readonly PeerRule[], options: { readonly name: string }): void {
    this.add(id, options.name, { policyTypes: ['Ingress'], ingress: rules.map((rule) => ({ ...peerSelector(rule.peer, 'from'), ports: portList(rule.ports, options.name) })) });
  }

  private defaultName(direction: 'from' | 'to', peer: Peer): string {
    if ('namespaces' in peer && peer.namespaces.length === 1) return `allow-${direction}-${peer.namespaces[0]!}`;
    throw new Error(`${this.node.path}: a policy ${direction} ${JSON.stringify(peer)} needs a name (options.name); only a single namespace gives one by default`);
  }

  private add(id: string, name: string, rules: { policyTypes: string[]; ingress?: NetworkPolicyV1SpecIngress[]; egress?: NetworkPolicyV1SpecEgress[] }, pods?: Readonly<Record<string, string>>): void {
    networkPolicyV1(this, id, { metadata: { name, namespace: this.namespace }, spec: { podSelector: pods ? { matchLabels: { ...pods } } : {}, ...rules } });
  }
}

/** The selector of a rule for a peer: `from`/`to` entries, none for anyone. */
function peerSelector(peer: Peer, key: 'from' | 'to'): { from?: NetworkPolicyV1SpecIngress['from']; to?: NetworkPolicyV1SpecEgress['to'] } {
  if ('anyone' in peer) return {};
  if ('addresses' in peer) return { [key]: cidrs(peer.addresses) };
  if ('namespacesLabelled' in peer) return { [key]: [{ namespaceSelector: { matchExpressions: [{ key: peer.namespacesLabelled, operator: 'Exists' }] } }] };
  return { [key]: [...peer.namespaces].sort().map((ns) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } } })) };
}

/** Sorted, without duplicates. An empty list would admit every port (Kubernetes' rule): refused. */
function portList(ports: readonly Port[], policy: string): { port: string; protocol: string }[] {
  if (ports.length === 0) throw new Error(`network policy ${policy}: no ports given; an empty port list admits every port, so name the ports`);
  return ports
    .map((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP' as const } : { port: p.port, protocol: p.protocol ?? ('TCP' as const) }))
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
    .filter((p, i, all) => i === 0 || p.port !== all[i - 1]!.port || p.protocol !== all[i - 1]!.protocol)
    .map((p) => ({ port: String(p.port), protocol: p.protocol }));
}

function cidrs(addresses: readonly string[]): { ipBlock: { cidr: string } }[] {
  return [...new Set(addresses)].sort().map((address) => ({ ipBlock: { cidr: address.includes('/') ? address : `${address}/32` } }));
}
