import { Construct } from 'constructs';
import type { MiddlewarePlan } from '../../model/middleware-model';
import { PLATFORM_NAMESPACES, type Site, type Zone } from '../../model/topology';
import { MIDDLEWARE_PORTS } from '../../model/platform-model';
import { addPlatformNamespace } from '../tenancy/platform-namespace';
import type { ChartSource } from './chart-source';
import { FastdfsDrPair } from './fastdfs-dr-pair';
import { KafkaDrPair } from './kafka-dr-pair';
import { RedisDrPair } from './redis-dr-pair';
import { SupportingRelease } from './supporting-release';

export interface MiddlewareSetProps {
  readonly plan: MiddlewarePlan;
  readonly zone: Zone;
  readonly site: Site;
  readonly source: ChartSource;
  /** Addresses of the same zone's middleware in the other datacenter (replication, both ways). */
  readonly peerAddresses: readonly string[];
  /** Ports replication uses between the datacenters. */
  readonly replicationPorts: readonly number[];
  /** Addresses of the external database at both sites (Nacos and XXL-JOB keep their state there). */
  readonly databaseAddresses: readonly string[];
  /** Stable name of the external database. */
  readonly databaseHost: string;
}

/**
 * All middleware of one zone in one datacenter, in namespace `hsa-middleware`: the DR pairs (Redis
 * cache and sessions, Kafka, FastDFS) and Nacos, XXL-JOB and the log service. The namespace admits the
 * zone's tenant namespaces and the other datacenter's middleware addresses, nothing else.
 */
export class MiddlewareSet extends Construct {
  readonly namespaceName: string;

  constructor(scope: Construct, id: string, props: MiddlewareSetProps) {
    super(scope, id);
    const { plan } = props;
    // Released addresses: the namespace at `<set>/Namespace`, its policies at `<set>/NetworkPolicies/*`.
    const namespace = addPlatformNamespace(this, 'Namespace', {
      name: PLATFORM_NAMESPACES.middleware,
      labels: { 'hsa.gov.cn/zone': props.zone, 'hsa.gov.cn/site': props.site },
    });
    this.namespaceName = namespace.namespaceName;
    const common = { zone: props.zone, site: props.site, namespace: this.namespaceName, source: props.source, preventDestroy: plan.preventDestroy };

    // Clients: the zone's tenant namespaces. Replication: the same zone's middleware in the other
    // datacenter, both ways (a standby pulls from the active site).
    namespace.policies.allowFromLabelledNamespaces('AllowTenants', 'allow-from-tenants', 'hsa.gov.cn/tenant-kind');
    if (props.peerAddresses.length > 0) {
      namespace.policies.allowFromAddresses('AllowPeerSite', 'allow-from-peer-datacenter', props.peerAddresses, props.replicationPorts);
      namespace.policies.allowToAddresses('AllowToPeerSite', 'allow-to-peer-datacenter', props.peerAddresses, props.replicationPorts);
    }
    if (props.databaseAddresses.length > 0) {
      namespace.policies.allowToAddresses('AllowToDatabase', 'allow-to-database', props.databaseAddresses, [MIDDLEWARE_PORTS.database]);
    }

    const redis = new Construct(this, 'Redis');
    for (const redisPlan of plan.redis) new RedisDrPair(redis, redisPlan.role, { ...common, plan: redisPlan });
    if (plan.kafka) new KafkaDrPair(this, 'Kafka', { ...common, plan: plan.kafka });
    if (plan.fastdfs) new FastdfsDrPair(this, 'FastDFS', { ...common, plan: plan.fastdfs });
    for (const supporting of plan.supporting) {
      new SupportingRelease(this, supporting.role, {
        plan: supporting,
        namespace: this.namespaceName,
        source: props.source,
        credentialsSecret: supporting.role === 'log' ? plan.secrets.log : plan.secrets.database,
        databaseHost: props.databaseHost,
        ...(supporting.role === 'log' ? { preventDestroy: plan.preventDestroy } : {}),
      });
    }
  }
}
