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
    ({ namespaceName: this.namespaceName, policies: this.policies } = addPlatformNamespace(this, 'Resource', props));
  }
}

/**
 * The namespace (`namespaceId`) and its policy set (`NetworkPolicies`) placed directly in `scope`, for a
 * construct whose namespace already has a Terraform state address at that place: MiddlewareSet's was
 * deployed as `<set>/Namespace` with its policies at `<set>/NetworkPolicies/*`, before PlatformNamespace
 * existed, and moving it would destroy the namespace and everything in it.
 */
export function addPlatformNamespace(scope: Construct, namespaceId: string, props: PlatformNamespaceProps): { namespaceName: string; policies: NetworkPolicySet } {
  const namespace = namespaceV1(scope, namespaceId, { metadata: { name: props.name, labels: { ...props.labels, 'hsa.gov.cn/platform-component': props.name } } });
  const namespaceName = metadataNameOf(namespace);
  return { namespaceName, policies: new NetworkPolicySet(scope, 'NetworkPolicies', { namespace: namespaceName }) };
}
