import { Construct } from 'constructs';
import { namespaceV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';
import { NetworkPolicySet } from './network-policy-set';

export interface PlatformNamespaceProps {
  /** e.g. `hsa-middleware`, `hsa-ingress`. */
  readonly name: string;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A namespace the toolkit itself runs components in (middleware, load balancer, gateway, DNS
 * controller), denied by default like every tenant namespace; `policies` opens exactly what the
 * component needs.
 */
export class PlatformNamespace extends Construct {
  readonly namespaceName: string;
  readonly policies: NetworkPolicySet;

  constructor(scope: Construct, id: string, props: PlatformNamespaceProps) {
    super(scope, id);
    const namespace = namespaceV1(this, 'Resource', { metadata: { name: props.name, labels: { ...props.labels, 'hsa.gov.cn/platform-component': props.name } } });
    this.namespaceName = metadataNameOf(namespace);
    this.policies = new NetworkPolicySet(this, 'NetworkPolicies', { namespace: this.namespaceName });
  }
}
