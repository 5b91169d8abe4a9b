import { Construct } from 'constructs';
import type { MiddlewarePlan } from '../../model/middleware-model';
import { PLATFORM_NAMESPACES, type Site, type Zone } from '../../model/topology';
import { namespaceV1, networkPolicyV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';
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
  /** Address of the same zone's middleware in the other datacenter (allowed in for replication). */
  readonly peerAddresses: readonly string[];
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
    const namespace = namespaceV1(this, 'Namespace', {
      metadata: { name: PLATFORM_NAMESPACES.middleware, labels: { 'hsa.gov.cn/zone': props.zone, 'hsa.gov.cn/site': props.site } },
    });
    this.namespaceName = metadataNameOf(namespace);
    const common = { zone: props.zone, site: props.site, namespace: this.namespaceName, source: props.source, preventDestroy: plan.preventDestroy };

    const policies = new Construct(this, 'NetworkPolicies');
    networkPolicyV1(policies, 'DefaultDeny', {
      metadata: { name: 'default-deny-ingress', namespace: this.namespaceName },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    networkPolicyV1(policies, 'AllowTenants', {
      metadata: { name: 'allow-from-tenants', namespace: this.namespaceName },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'hsa.gov.cn/tenant-kind', operator: 'Exists' }] } }, { podSelector: {} }] }],
      },
    });
    if (props.peerAddresses.length > 0) {
      networkPolicyV1(policies, 'AllowPeerSite', {
        metadata: { name: 'allow-from-peer-datacenter', namespace: this.namespaceName },
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [...new Set(props.peerAddresses)].sort().map((cidr) => ({ ipBlock: { cidr: `${cidr}/32` } })) }],
        },
      });
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
