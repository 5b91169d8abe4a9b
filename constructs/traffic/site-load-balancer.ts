import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { LISTENER_PORT, LOAD_BALANCER_TLS, PEER_LISTENER_PORT, SERVICE_PORTS } from '../../model/load-balancer';
import type { ReleasePlacement } from '../placement';
import { IMAGES, imageReference } from '../../model/images';
import { annotateResource, declareImages } from '../annotations';
import { helmRelease } from '../l1/helm';
import { helmValues } from '../middleware/chart-source';

/** bitnami/nginx chart version the toolkit is tested with. */
export const NGINX_CHART_VERSION = '19.0.4';

export interface SiteLoadBalancerProps extends ReleasePlacement {
  /** The instance's external address (负载均衡实例), this unit's ingress VIP. */
  readonly address: string;
  /** nginx `server` configuration: its virtual server groups (`renderNginxConfig` of model/load-balancer.ts). */
  readonly serverBlock: string;
  /** @default 2 */
  readonly replicas?: number;
}

/**
 * The site load balancer (负载均衡) of one zone in one datacenter: nginx, deployed by Helm, with the
 * configuration it is given (model/load-balancer.ts renders it), at the unit's ingress VIP. Port 80 is the listener for
 * clients; port 8081 is for the other site's load balancer (mutual TLS, the certificate from the Secret
 * `hsa-lb-tls`) and serves this site's members only.
 */
export class SiteLoadBalancer extends Construct {
  private readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: SiteLoadBalancerProps) {
    super(scope, id);
    const values = {
      global: { imageRegistry: props.source.imageRegistry, security: { allowInsecureImages: true } },
      image: { repository: `${props.source.imagePath}/${IMAGES.nginx.name}`, tag: IMAGES.nginx.tag },
      replicaCount: props.replicas ?? 2,
      containerPorts: { http: LISTENER_PORT },
      extraContainerPorts: [{ name: 'peer', containerPort: PEER_LISTENER_PORT }],
      serverBlock: props.serverBlock,
      // The site certificate for the link to the other site (mutual TLS): the chart mounts the existing
      // Secret at /certs; nothing is generated, so no key is ever written by the chart or Terraform.
      tls: { enabled: true, existingSecret: LOAD_BALANCER_TLS.secret },
      service: {
        type: 'LoadBalancer',
        loadBalancerIP: props.address,
        ports: { http: SERVICE_PORTS.http },
        extraPorts: [{ name: 'peer', port: SERVICE_PORTS.peer, targetPort: 'peer' }],
        externalTrafficPolicy: 'Local',
      },
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '512Mi' } },
      podSecurityContext: { enabled: true, fsGroup: 1001 },
      containerSecurityContext: { enabled: true, runAsUser: 1001, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    };
    this.release = helmRelease(this, 'Resource', {
      name: 'site-load-balancer',
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'nginx',
      version: NGINX_CHART_VERSION,
      values: [helmValues(values)],
      atomic: true,
    });
    declareImages(this.release, [imageReference(props.source.imageRegistry, props.source.imagePath, 'nginx')]);
    annotateResource(this.release, { component: 'site-load-balancer', zone: props.zone, site: props.site });
  }
}
