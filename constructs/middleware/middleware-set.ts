import { Construct } from 'constructs';
import { imageReference } from '../../model/images';
import { PORTS, type Endpoint } from '../../model/middleware-model';
import { PLATFORM_NAMESPACES, type Site, type Zone } from '../../model/topology';
import { SITE_LABEL } from '../../model/platform-model';
import { addPlatformNamespace } from '../tenancy/platform-namespace';
import type { ChartSource } from './chart-source';
import { CLOUDNATIVE_PG_WEBHOOK_PORT, CloudNativePgDrPair, type CloudNativePgDrPairProps } from '../../pairs/database/cloudnative-pg-construct';
import { FastdfsDrPair, type FastdfsDrPairProps } from '../../pairs/fastdfs/fastdfs-construct';
import { KafkaDrPair, type KafkaDrPairProps } from '../../pairs/kafka/kafka-construct';
import { RedisDrPair, type RedisDrPairProps } from '../../pairs/redis/redis-construct';
import { PostgresqlExporter, type PostgresqlExporterProps } from '../../pairs/database/postgresql-exporter-construct';
import { DatabaseBackedService, type DatabaseBackedServiceProps } from './database-backed-service';
import { LogService, LOG_PASSWORD_KEY, type LogServiceProps } from './log-service';
import { LogGateway, type LogGatewayProps } from '../observability/log-gateway';
import { LOG_GATEWAY_CA_DIR, LOG_GATEWAY_CONFIG_DIR, LOG_PASSWORD_VARIABLE } from '../../model/log-shipping';
import { Peer } from '../tenancy/network-policy-set';
import type { DrPairSettings } from '../../pairs/placement';
import type { RegisteredPairRender } from '../../pairs/kind';

/** Nacos or XXL-JOB admin: its state is in the external database. */
export interface DatabaseBackedServerSettings {
  /** Kubernetes name (StatefulSet, Services). */
  readonly name: string;
  /** This site's VIP and the service's client port. */
  readonly address: Endpoint;
}

export interface MiddlewareSetProps {
  /** The zone's Redis pairs (cache, sessions), each at `Redis/<role>`. */
  readonly redis: readonly Omit<DrPairSettings<RedisDrPairProps>, 'backupFile'>[];
  /** The zone's Kafka pair, at `Kafka`. @default - none: the zone's applications use no Kafka */
  readonly kafka?: DrPairSettings<KafkaDrPairProps>;
  /** The zone's FastDFS pair, at `FastDFS`. @default - none: the zone's applications use no FastDFS */
  readonly fastdfs?: DrPairSettings<FastdfsDrPairProps>;
  /**
   * The business database's pair, when CloudNativePG runs it in the clusters (otherwise it is outside, at `databaseAddresses`).
   * @default - none: the database is outside the clusters, or not declared
   */
  readonly database?: DrPairSettings<CloudNativePgDrPairProps>;
  /**
   * The exporter of the business database when it runs outside the clusters (`product: postgresql`) and
   * the environment declares `observability`, at `DatabaseExporter`.
   * @default - none
   */
  readonly databaseExporter?: DrPairSettings<PostgresqlExporterProps>;
  /**
   * The pairs of the kinds the project registered (registerPairKind), each rendered at its kind's name.
   * @default - none
   */
  readonly registeredPairs?: readonly RegisteredPairRender[];
  /** Nacos (configuration and registry), at `nacos`. @default - none: not used in the zone */
  readonly nacos?: DatabaseBackedServerSettings;
  /** XXL-JOB's admin (scheduled jobs), at `xxl-job`. @default - none: not used in the zone */
  readonly xxlJob?: DatabaseBackedServerSettings;
  /** The log service (Elasticsearch), at `log`. @default - none: not used in the zone */
  readonly logService?: Pick<LogServiceProps, 'releaseName' | 'chartVersion' | 'address'>;
  /**
   * The log gateway beside the log service (every application's logs, per project), and the tenant
   * namespaces whose shippers send to it. @default - none: no logs shipped
   */
  readonly logGateway?: Omit<LogGatewayProps, 'namespace' | 'zone' | 'site' | 'password' | 'configDirectory' | 'caDirectory' | 'dependsOn'> & { readonly senders: readonly string[] };
  /** Existing Secrets: the login Nacos and XXL-JOB use at the database; the log service's `elastic` password. */
  readonly credentials: { readonly database: string; readonly log: string };
  /** lifecycle.prevent_destroy on everything that holds data. @default true */
  readonly preventDestroy?: boolean;
  /** The security zone the middleware serves. */
  readonly zone: Zone;
  /** The datacenter it runs in. */
  readonly site: Site;
  /** The province's chart repository and image mirror. */
  readonly source: ChartSource;
  /** The tenant namespaces admitted, each on the ports of the middleware its applications use. */
  readonly clients: readonly { readonly namespace: string; readonly ports: readonly number[] }[];
  /** Addresses of the same zone's middleware in the other datacenter (replication, both ways). */
  readonly peerAddresses: readonly string[];
  /**
   * Where the other datacenter's replication connections come from (its `egressCidrs`).
   * @default peerAddresses (cross-site traffic leaves from the VIPs)
   */
  readonly peerSources?: readonly string[];
  /** Ports replication uses between the datacenters. */
  readonly replicationPorts: readonly number[];
  /** Addresses of the external database at both sites (Nacos and XXL-JOB keep their state there). */
  readonly databaseAddresses: readonly string[];
  /** Stable name of the external database, and its port. */
  readonly databaseHost: string;
  /** The external database's port. */
  readonly databasePort: number;
  /** The cluster's API server as pods reach it (the Strimzi and CloudNativePG operators need it), and where it calls webhooks from. */
  readonly apiServer: { readonly host: string; readonly port: number };
  /**
   * When the cluster is backed up: each Redis primary dumps and checks its data here first (a Velero pre-backup hook).
   * @default - none: the cluster is not backed up
   */
  readonly redisBackupFile?: string;
  /** Exporter ports the site's Prometheus (namespace `hsa-monitoring`) scrapes here. @default - not scraped */
  readonly monitoringPorts?: readonly number[];
}

/**
 * All middleware of one zone in one datacenter, in namespace `hsa-middleware`: the DR pairs (Redis
 * cache and sessions, Kafka, FastDFS, and the business database where CloudNativePG runs it) and
 * Nacos, XXL-JOB and the log service. The namespace admits the
 * tenant namespaces on the ports of the middleware their applications use, and the other datacenter's
 * middleware addresses, nothing else.
 */
export class MiddlewareSet extends Construct {
  readonly namespaceName: string;

  constructor(scope: Construct, id: string, props: MiddlewareSetProps) {
    super(scope, id);
    // Released addresses: the namespace at `<set>/Namespace`, its policies at `<set>/NetworkPolicies/*`.
    const namespace = addPlatformNamespace(this, 'Namespace', {
      name: PLATFORM_NAMESPACES.middleware,
      labels: { 'hsa.gov.cn/zone': props.zone, [SITE_LABEL]: props.site },
    });
    this.namespaceName = namespace.namespaceName;
    const common = { zone: props.zone, site: props.site, namespace: this.namespaceName, source: props.source, preventDestroy: props.preventDestroy ?? true };

    // Clients: the tenant namespaces whose applications use a middleware here, on its ports only.
    // Replication: the same zone's middleware in the other datacenter, both ways (a standby pulls from
    // the active site).
    const clients = [...props.clients].sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
    namespace.policies.allowFromEach('AllowTenants', clients.map((client) => ({ peer: Peer.namespace(client.namespace), ports: client.ports })), { name: 'allow-from-tenants' });
    if (props.peerAddresses.length > 0) {
      namespace.policies.allowFrom('AllowPeerSite', Peer.addresses(props.peerSources ?? props.peerAddresses), props.replicationPorts, { name: 'allow-from-peer-datacenter' });
      namespace.policies.allowTo('AllowToPeerSite', Peer.addresses(props.peerAddresses), props.replicationPorts, { name: 'allow-to-peer-datacenter' });
    }
    if (props.monitoringPorts && props.monitoringPorts.length > 0) {
      namespace.policies.allowFrom('AllowMonitoring', Peer.namespace(PLATFORM_NAMESPACES.monitoring), props.monitoringPorts, { name: 'allow-from-monitoring' });
    }
    if (props.databaseAddresses.length > 0) {
      namespace.policies.allowTo('AllowToDatabase', Peer.addresses(props.databaseAddresses), [props.databasePort], { name: 'allow-to-database' });
    }

    // The Strimzi cluster operator and entity operator, CloudNativePG's operator and its instance
    // managers watch and write Kubernetes objects; the API server calls CloudNativePG's webhooks.
    if (props.kafka || props.database) {
      namespace.policies.allowTo('AllowToApiServer', Peer.addresses([props.apiServer.host]), [props.apiServer.port], { name: 'allow-to-api-server' });
    }
    if (props.database) {
      namespace.policies.allowFrom('AllowFromApiServer', Peer.addresses([props.apiServer.host]), [CLOUDNATIVE_PG_WEBHOOK_PORT], { name: 'allow-from-api-server' });
    }

    const redis = new Construct(this, 'Redis');
    for (const pair of props.redis) new RedisDrPair(redis, pair.role, { ...common, ...pair, ...(props.redisBackupFile ? { backupFile: props.redisBackupFile } : {}) });
    if (props.kafka) new KafkaDrPair(this, 'Kafka', { ...common, ...props.kafka });
    if (props.fastdfs) new FastdfsDrPair(this, 'FastDFS', { ...common, ...props.fastdfs });
    if (props.database) new CloudNativePgDrPair(this, 'Database', { ...common, ...props.database });
    if (props.databaseExporter) new PostgresqlExporter(this, 'DatabaseExporter', { ...common, ...props.databaseExporter });
    for (const pair of props.registeredPairs ?? []) pair.render(this, common);
    // Construct ids are the catalog's role names (Terraform state addresses).
    const basics = (settings: DatabaseBackedServerSettings, image: 'nacos' | 'xxlJobAdmin'): ServerBasics => ({
      name: settings.name,
      address: settings.address,
      namespace: this.namespaceName,
      image: imageReference(props.source.imageRegistry, props.source.imagePath, image),
      credentialsSecret: props.credentials.database,
    });
    if (props.nacos) new DatabaseBackedService(this, 'nacos', nacosServer(basics(props.nacos, 'nacos'), props.databaseHost, props.databasePort));
    if (props.xxlJob) new DatabaseBackedService(this, 'xxl-job', xxlJobAdmin(basics(props.xxlJob, 'xxlJobAdmin'), props.databaseHost, props.databasePort));
    if (props.logService) {
      const log = new LogService(this, 'log', { ...props.logService, namespace: this.namespaceName, source: props.source, credentialsSecret: props.credentials.log, preventDestroy: props.preventDestroy ?? true });
      if (props.logGateway) {
        const { senders, ...gateway } = props.logGateway;
        namespace.policies.allowFrom('AllowLogShippers', Peer.namespaces([...senders].sort()), [gateway.port], { name: 'allow-from-log-shippers' });
        new LogGateway(this, 'LogGateway', {
          ...gateway,
          namespace: this.namespaceName,
          zone: props.zone,
          site: props.site,
          configDirectory: LOG_GATEWAY_CONFIG_DIR,
          caDirectory: LOG_GATEWAY_CA_DIR,
          password: { secret: props.credentials.log, key: LOG_PASSWORD_KEY, variable: LOG_PASSWORD_VARIABLE },
          dependsOn: [log.release],
        });
      }
    }
  }
}

type ServerBasics = Pick<DatabaseBackedServiceProps, 'name' | 'namespace' | 'image' | 'address' | 'credentialsSecret'>;

/**
 * Nacos in cluster mode (3 members found by their stable names), its configuration in the external
 * PostgreSQL-protocol database. The Nacos image reads `/home/nacos/init.d/custom.properties` after its own
 * configuration; the mirrored image must carry Nacos's PostgreSQL datasource plugin (docs/conformance.md).
 */
function nacosServer(basics: ServerBasics, databaseHost: string, databasePort: number): DatabaseBackedServiceProps {
  const replicas = 3;
  const members = Array.from({ length: replicas }, (_, i) => `${basics.name}-${i}.${basics.name}-headless.${basics.namespace}.svc.cluster.local:${PORTS.nacos}`);
  return {
    ...basics,
    replicas,
    // Nacos 2 clients also use gRPC at the client port + 1000; members talk Raft at - 1000 and gRPC at + 1001.
    extraPorts: [{ name: 'grpc', port: PORTS.nacos + 1000 }],
    peerPorts: [{ name: 'raft', port: PORTS.nacos - 1000 }, { name: 'peer-grpc', port: PORTS.nacos + 1001 }],
    env: { MODE: 'cluster', NACOS_SERVERS: members.join(' '), PREFER_HOST_MODE: 'hostname', NACOS_APPLICATION_PORT: String(PORTS.nacos) },
    configFiles: {
      'custom.properties': [
        'spring.sql.init.platform=postgresql',
        'db.num=1',
        `db.url.0=jdbc:postgresql://${databaseHost}:${databasePort}/nacos`,
        'db.user.0=${DB_USERNAME}',
        'db.password.0=${DB_PASSWORD}',
        'db.pool.config.driverClassName=org.postgresql.Driver',
        '',
      ].join('\n'),
    },
    configMountPath: '/home/nacos/init.d',
    writablePaths: ['/tmp', '/home/nacos/logs', '/home/nacos/data'],
    readinessPath: '/nacos/v1/console/health/readiness',
  };
}

/** XXL-JOB admin (2 members, coordinated through the database), configured through Spring's environment. */
function xxlJobAdmin(basics: ServerBasics, databaseHost: string, databasePort: number): DatabaseBackedServiceProps {
  return {
    ...basics,
    replicas: 2,
    env: {
      SPRING_DATASOURCE_URL: `jdbc:postgresql://${databaseHost}:${databasePort}/xxl_job`,
      SPRING_DATASOURCE_DRIVER_CLASS_NAME: 'org.postgresql.Driver',
      // Spring resolves these from the Secret-backed variables the construct sets.
      SPRING_DATASOURCE_USERNAME: '${DB_USERNAME}',
      SPRING_DATASOURCE_PASSWORD: '${DB_PASSWORD}',
    },
    writablePaths: ['/tmp', '/data/applogs'],
    readinessPath: '/xxl-job-admin/actuator/health',
  };
}
