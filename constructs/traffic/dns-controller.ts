import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { ReleasePlacement } from '../placement';
import { IMAGES, imageReference } from '../../model/images';
import { annotateResource, declareImages } from '../annotations';
import { helmRelease } from '../l1/helm';
import { helmValues } from '../middleware/chart-source';

/** coredns/coredns chart version the toolkit is tested with. */
export const COREDNS_CHART_VERSION = '1.43.0';

/** The DNS controller of one zone in one datacenter; its namespace is `hsa-dns`. */
export interface DnsControllerProps extends ReleasePlacement {
  /** Zone served, e.g. `core.demo.hsa.demo.internal`. */
  readonly zoneName: string;
  /** RFC 1035 zone file (model/dns-zone.ts). */
  readonly zoneFile: string;
  /** Address of the controller's LoadBalancer Service (UDP and TCP 53), named by the zone's NS records. */
  readonly address: string;
  /** @default 2 */
  readonly replicas?: number;
}

/**
 * The DNS controller (DNS控制器) of one cluster: a CoreDNS, deployed by Helm, authoritative for the
 * platform's zone with the `file` plugin. The cluster DNS forwards the zone to it (a stub domain, see
 * docs/traffic.md). Both datacenters serve the same zone data, so clients anywhere resolve to the
 * active site, and a switchover is a change of records.
 */
export class DnsController extends Construct {
  private readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: DnsControllerProps) {
    super(scope, id);
    const fileName = `db.${props.zoneName}`;
    const values = {
      image: { repository: `${props.source.imageRegistry}/${props.source.imagePath}/${IMAGES.coredns.name}`, tag: IMAGES.coredns.tag },
      replicaCount: props.replicas ?? 2,
      isClusterService: false,
      serviceType: 'LoadBalancer',
      service: { loadBalancerIP: props.address },
      securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      servers: [
        {
          // DNS answers larger than a UDP datagram, and resolvers that retry over TCP, need TCP 53 too.
          zones: [{ zone: `${props.zoneName}.`, use_tcp: true }],
          port: 53,
          plugins: [
            { name: 'errors' },
            { name: 'health', configBlock: 'lameduck 5s' },
            { name: 'ready' },
            { name: 'file', parameters: `/etc/coredns/${fileName}`, configBlock: 'reload 10s' },
            { name: 'prometheus', parameters: '0.0.0.0:9153' },
            { name: 'loadbalance' },
          ],
        },
      ],
      zoneFiles: [{ filename: fileName, domain: props.zoneName, contents: props.zoneFile }],
    };
    this.release = helmRelease(this, 'Resource', {
      name: 'dns-controller',
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'coredns',
      version: COREDNS_CHART_VERSION,
      values: [helmValues(values)],
      atomic: true,
    });
    declareImages(this.release, [imageReference(props.source.imageRegistry, props.source.imagePath, 'coredns')]);
    annotateResource(this.release, { component: 'dns-controller', zone: props.zone, site: props.site });
  }
}
