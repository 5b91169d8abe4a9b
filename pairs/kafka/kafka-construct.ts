import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { KAFKA_SYSTEM_USERS, KAFKA_VERSION, MIRROR_GROUPS_EXCLUDED, MIRROR_MAKER_OFFSET_FLUSH_MS, MIRROR_TOPICS_EXCLUDED, mirrorMakerConnectNames, type KafkaPairSettings } from './kafka-plan';
import { PORTS, TLS_SECRET_KEYS } from '../../model/middleware-model';
import { STRIMZI_IMAGE_PATH, strimziImages } from './kafka-images';
import { annotateResource, declareImages } from '../../constructs/annotations';
import { helmRelease } from '../../constructs/l1/helm';
import { configMapV1, manifest, serviceV1 } from '../../constructs/l1/kubernetes';
import { KAFKA_METRICS_CONFIG, KAFKA_METRICS_PORT, kafkaBrokerMetricsRules, kafkaMirrorMetricsRules, mirrorMakerName, mirrorMetricsServiceName } from './kafka-monitoring';
import { helmValues } from '../../constructs/middleware/chart-source';
import type { DrPairPlacement } from '../placement';

/** A Kafka user (SCRAM-SHA-512), the same at both sites, with its ACLs. */
/** `preventDestroy` covers the Kafka cluster and its node pool. */
export interface KafkaDrPairProps extends DrPairPlacement, KafkaPairSettings {}

/** MirrorMaker 2 keeps topic names as they are, so consumers need no change after a switchover. */
export const IDENTITY_REPLICATION_POLICY = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy';

/**
 * One datacenter's half of a Kafka DR pair (灾备组), with Strimzi (kafka.strimzi.io/v1): a KRaft cluster
 * at each site, reachable from the other site on an external listener at the site's VIP; at the standby
 * site a MirrorMaker 2 copies every topic from the active site's cluster into the local one and keeps
 * consumer-group offsets in step. Switching over moves MirrorMaker 2 to the other site, which mirrors into
 * its cluster rebuilt clean (Strimzi's DR guidance; a reverse mirror over old data duplicates records),
 * it is not a flag on the same object.
 *
 * Every client authenticates (SCRAM-SHA-512) and is authorized by ACLs (`simple`): the projects' users
 * reach their own topics and groups only (by prefix), MirrorMaker 2 and the switchover have users of
 * their own. The external listener, the only one the datacenter link carries, is TLS with the site's
 * certificate from an existing Secret; MirrorMaker 2 verifies it with the Secret's CA.
 */
export class KafkaDrPair extends Construct {
  private readonly cluster: TerraformResource;

  constructor(scope: Construct, id: string, props: KafkaDrPairProps) {
    super(scope, id);
    if (props.mode === 'standby' && !props.mirrorSource) {
      throw new Error(`KafkaDrPair ${this.node.path}: a standby needs mirrorSource (the active site's external listener)`);
    }
    const brokers = props.brokerAddresses.length;
    if (brokers === 0) throw new Error(`KafkaDrPair ${this.node.path}: brokerAddresses is empty; give one address per broker`);
    const protect = { preventDestroy: props.preventDestroy ?? true };
    const metadata = (name: string) => ({ name, namespace: props.namespace, labels: { 'strimzi.io/cluster': props.clusterName } });

    const operator = helmRelease(this, 'Operator', {
      name: 'strimzi',
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'strimzi-kafka-operator',
      version: props.operatorChartVersion,
      values: [helmValues({ defaultImageRegistry: props.source.imageRegistry, defaultImageRepository: `${props.source.imagePath}/${STRIMZI_IMAGE_PATH}`, watchNamespaces: [] })],
      atomic: true,
    });
    // The operator runs its own image and pulls the Kafka image for the brokers, MirrorMaker 2 and the
    // entity operator's sidecars.
    declareImages(operator, strimziImages(props.source.imageRegistry, props.source.imagePath, props.operatorChartVersion, KAFKA_VERSION));

    // The JMX exporter's rules (pairs/kafka/kafka-monitoring.ts): what the site's Prometheus reads on port 9404.
    configMapV1(this, 'MetricsConfig', {
      metadata: { name: KAFKA_METRICS_CONFIG.name, namespace: props.namespace },
      data: { [KAFKA_METRICS_CONFIG.brokerKey]: kafkaBrokerMetricsRules(), [KAFKA_METRICS_CONFIG.mirrorKey]: kafkaMirrorMetricsRules() },
    });
    const metricsConfig = (key: string) => ({ type: 'jmxPrometheusExporter', valueFrom: { configMapKeyRef: { name: KAFKA_METRICS_CONFIG.name, key } } });

    const nodePool = manifest(this, 'NodePool', {
      manifest: {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaNodePool',
        metadata: metadata('combined'),
        spec: {
          replicas: brokers,
          roles: ['controller', 'broker'],
          storage: { type: 'jbod', volumes: [{ id: 0, type: 'persistent-claim', size: `${props.storageGiB}Gi`, deleteClaim: false, kraftMetadata: 'shared' }] },
        },
      },
      dependsOn: [operator],
      lifecycle: protect,
    });

    this.cluster = manifest(this, 'Resource', {
      manifest: {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'Kafka',
        metadata: { name: props.clusterName, namespace: props.namespace },
        spec: {
          kafka: {
            version: KAFKA_VERSION,
            listeners: [
              // Inside the cluster: SCRAM authenticates without sending the password.
              { name: 'plain', port: PORTS.kafkaInternal, type: 'internal', tls: false, authentication: { type: 'scram-sha-512' } },
              {
                name: 'external',
                port: PORTS.kafkaExternal,
                type: 'loadbalancer',
                tls: true,
                authentication: { type: 'scram-sha-512' },
                // Every broker at its own pinned address, advertised as such: clients and the other
                // site's MirrorMaker 2 connect to each broker after the bootstrap.
                configuration: {
                  brokerCertChainAndKey: { secretName: props.tlsSecret, certificate: TLS_SECRET_KEYS.certificate, key: TLS_SECRET_KEYS.key },
                  bootstrap: { loadBalancerIP: props.address.host },
                  brokers: props.brokerAddresses.map((address, broker) => ({ broker, loadBalancerIP: address, advertisedHost: address, advertisedPort: PORTS.kafkaExternal })),
                },
              },
            ],
            authorization: { type: 'simple' },
            metricsConfig: metricsConfig(KAFKA_METRICS_CONFIG.brokerKey),
            config: {
              'default.replication.factor': Math.min(3, brokers),
              'min.insync.replicas': Math.min(2, brokers),
              'offsets.topic.replication.factor': Math.min(3, brokers),
              'transaction.state.log.replication.factor': Math.min(3, brokers),
              'transaction.state.log.min.isr': Math.min(2, brokers),
            },
          },
          entityOperator: { topicOperator: {}, userOperator: {} },
        },
      },
      dependsOn: [nodePool],
      lifecycle: protect,
    });
    annotateResource(this.cluster, {
      component: 'dr-pair',
      role: 'kafka',
      zone: props.zone,
      site: props.site,
      mode: props.mode,
      replication: 'asynchronous',
      ...(props.mirrorSource ? { source: `${props.mirrorSource.host}:${props.mirrorSource.port}` } : {}),
    });

    // Users at both sites alike: after a switchover every client logs in as before.
    const users = new Construct(this, 'Users');
    for (const user of props.users) {
      manifest(users, user.name, {
        manifest: {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'KafkaUser',
          metadata: metadata(user.name),
          spec: {
            authentication: { type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: props.usersSecret, key: user.name } } } },
            authorization: { type: 'simple', acls: user.acls },
          },
        },
        dependsOn: [this.cluster],
      });
    }

    if (props.mirrorSource) {
      const replicationPolicy = { 'replication.policy.class': IDENTITY_REPLICATION_POLICY };
      const mirrorMakerLogin = { type: 'scram-sha-512', username: KAFKA_SYSTEM_USERS.mirrorMaker, passwordSecret: { secretName: props.usersSecret, password: KAFKA_SYSTEM_USERS.mirrorMaker } };
      manifest(this, 'MirrorMaker', {
        manifest: {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'KafkaMirrorMaker2',
          metadata: { name: mirrorMakerName(props), namespace: props.namespace },
          spec: {
            version: KAFKA_VERSION,
            replicas: 2,
            metricsConfig: metricsConfig(KAFKA_METRICS_CONFIG.mirrorKey),
            // The target is also MirrorMaker 2's own Connect cluster: Strimzi 1.0 requires its group and
            // its three internal topics here (named per source, so a later reverse mirror never shares them).
            target: {
              alias: props.localAlias,
              bootstrapServers: `${props.clusterName}-kafka-bootstrap:${PORTS.kafkaInternal}`,
              authentication: mirrorMakerLogin,
              ...mirrorMakerConnectNames(props.sourceAlias),
              config: {
                'config.storage.replication.factor': -1,
                'offset.storage.replication.factor': -1,
                'status.storage.replication.factor': -1,
                'offset.flush.interval.ms': MIRROR_MAKER_OFFSET_FLUSH_MS,
              },
            },
            mirrors: [
              {
                // Across the datacenter link: TLS verified with the CA both sites' certificates come from.
                source: {
                  alias: props.sourceAlias,
                  bootstrapServers: `${props.mirrorSource.host}:${props.mirrorSource.port}`,
                  tls: { trustedCertificates: [{ secretName: props.tlsSecret, certificate: TLS_SECRET_KEYS.ca }] },
                  authentication: mirrorMakerLogin,
                },
                // New topics and consumer groups at the active site are picked up within 30 s; the
                // default (600 s) would leave a group created after MirrorMaker 2 started without
                // translated offsets at the standby for ten minutes (found by the Kafka drill).
                sourceConnector: {
                  tasksMax: 4,
                  // ACLs are not copied: the same KafkaUsers are declared at both sites.
                  config: {
                    ...replicationPolicy,
                    'replication.factor': -1,
                    'offset-syncs.topic.replication.factor': -1,
                    'sync.topic.configs.enabled': 'true',
                    'sync.topic.acls.enabled': 'false',
                    'refresh.topics.interval.seconds': 30,
                  },
                },
                checkpointConnector: {
                  tasksMax: 1,
                  config: {
                    ...replicationPolicy,
                    'checkpoints.topic.replication.factor': -1,
                    'sync.group.offsets.enabled': 'true',
                    'sync.group.offsets.interval.seconds': 10,
                    'emit.checkpoints.interval.seconds': 10,
                    'refresh.groups.interval.seconds': 30,
                  },
                },
                topicsPattern: '.*',
                topicsExcludePattern: MIRROR_TOPICS_EXCLUDED.join(','),
                groupsPattern: '.*',
                groupsExcludePattern: MIRROR_GROUPS_EXCLUDED.join(','),
              },
            ],
          },
        },
        dependsOn: [this.cluster],
      });
      // Strimzi gives MirrorMaker 2 no Service on its metrics port: a headless one lets Prometheus find
      // every worker by DNS (each runs its own tasks, so each must be scraped).
      serviceV1(this, 'MirrorMakerMetrics', {
        metadata: { name: mirrorMetricsServiceName(props), namespace: props.namespace },
        spec: {
          clusterIp: 'None',
          selector: { 'strimzi.io/cluster': mirrorMakerName(props), 'strimzi.io/kind': 'KafkaMirrorMaker2' },
          port: [{ name: 'tcp-prometheus', port: KAFKA_METRICS_PORT, targetPort: String(KAFKA_METRICS_PORT) }],
        },
      });
    }
  }
}
