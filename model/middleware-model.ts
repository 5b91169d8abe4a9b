/**
 * What middleware one zone of one datacenter runs, and the role each DR pair (灾备组) plays there.
 *
 * Pure data, derived from the environment and the active site: the constructs deploy it, the runbook
 * and the drills read the same plan, so "what is deployed" and "what the switchover does" cannot drift.
 * Changing the active site flips every pair: the active site's instance is primary; the standby's
 * replicates from the active site's cross-datacenter address (`middlewareVips`), never from a
 * reference to the other stack.
 */
import type { MiddlewareRole } from './catalog';
import type { MiddlewareSettings } from './middleware-schema';
import { DATABASE_BACKUP_DEFAULTS } from './backup-plan';
import { otherSite, type Site, type Zone } from './topology';

/** Chart versions the toolkit is tested with; an environment may override them (`middleware.chartVersions`). */
export const CHART_VERSIONS = {
  /** bitnami/redis */
  redis: '20.6.2',
  /** strimzi/strimzi-kafka-operator: 1.0 serves only kafka.strimzi.io/v1 */
  strimzi: '1.0.0',
  /** bitnami/elasticsearch (log service) */
  log: '21.4.0',
  /** cloudnative-pg/charts cloudnative-pg: the CloudNativePG operator 1.30.0 */
  cloudNativePg: '0.29.0',
} as const;

/** Application versions inside those releases, where the toolkit writes the manifests itself. */
export const KAFKA_VERSION = '4.1.0';
export const FASTDFS_IMAGE_TAG = 'V6.13.0';
/** Where a FastDFS storage server keeps its data (`base_path`, `store_path0`, the volume's mount path). */
export const FASTDFS_STORAGE_BASE_PATH = '/var/fdfs/storage';
/** A FastDFS storage server's heartbeat to its trackers (`heart_beat_interval`; FastDFS's default is 30 s). */
export const FASTDFS_HEARTBEAT_SECONDS = 5;

export const DEFAULT_SECRETS = {
  redis: 'hsa-redis-auth',
  redisTls: 'hsa-redis-tls',
  kafkaTls: 'hsa-kafka-tls',
  kafkaUsers: 'hsa-kafka-users',
  log: 'hsa-log-auth',
  database: 'hsa-db-auth',
  /** CloudNativePG: each site's server certificate (naming its database VIP) and the one CA of both sites. */
  databaseTls: 'hsa-db-tls',
  /** CloudNativePG: client certificate of `streaming_replica`, from the same CA, the other site's replica cluster logs in with. */
  databaseReplicationTls: 'hsa-db-replication-tls',
  /** CloudNativePG: login (`username`, `password`; type basic-auth) of the application database's owner. */
  databaseOwner: 'hsa-db-owner',
  /** CloudNativePG: login of `hsa_switchover` (pg_monitor), the role the switchover reads replication state as. */
  databaseSwitchover: 'hsa-db-switchover',
} as const;
export const REDIS_PASSWORD_KEY = 'redis-password';
/** Keys of a TLS Secret as cert-manager writes them. */
export const TLS_SECRET_KEYS = { certificate: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** The toolkit's one port table: every middleware port, by component. */
export const PORTS = {
  redis: 6379,
  kafkaInternal: 9092,
  /** Listener the other datacenter's MirrorMaker 2 reads from. */
  kafkaExternal: 9094,
  fastdfsTracker: 22122,
  fastdfsStorage: 23000,
  nacos: 8848,
  xxlJob: 8080,
  log: 9200,
  /** The business database's default; `middleware.database.port` of the environment changes it. */
  database: 5432,
} as const;

/** The port applications reach each middleware at behind its stable name, from the one table (the database's as the environment declares). */
export function middlewarePorts(settings: MiddlewareSettings | undefined): Readonly<Record<MiddlewareRole, number>> {
  return {
    'redis-cache': PORTS.redis,
    'redis-session': PORTS.redis,
    // Kafka's external listener at each site's VIP (clients and the other site's MirrorMaker 2)
    kafka: PORTS.kafkaExternal,
    fastdfs: PORTS.fastdfsTracker,
    nacos: PORTS.nacos,
    'xxl-job': PORTS.xxlJob,
    log: PORTS.log,
    database: (settings?.database && 'port' in settings.database ? settings.database.port : undefined) ?? PORTS.database,
  };
}

export type DrMode = 'primary' | 'standby';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Redis's `min-replicas-to-write` and `min-replicas-max-lag` of an active primary. */
export interface RedisLagBound {
  /** The local read replicas plus the other datacenter's server: Redis counts replicas, not sites. */
  readonly minReplicas: number;
  readonly maxLagSeconds: number;
}

export interface RedisPlan {
  readonly role: 'redis-cache' | 'redis-session';
  /** Helm release name, also the Kubernetes name prefix. */
  readonly releaseName: string;
  readonly mode: DrMode;
  /** This site's address (LoadBalancer VIP) for clients and for the other site. */
  readonly address: Endpoint;
  /** The active site's address, which a standby's primary replicates from. */
  readonly replicationSource?: Endpoint;
  /** The other datacenter's address of the same pair; absent when the pair is unpaired. */
  readonly peerAddress?: Endpoint;
  readonly replicas: number;
  /**
   * The pair's RPO bound (`maxLagSeconds`): the active primary needs every replica, the other site's
   * included, within `maxLagSeconds` to take a write. Absent: asynchronous, no bound.
   */
  readonly lagBound?: RedisLagBound;
  readonly memoryMiB: number;
  readonly storageGiB: number;
  /** Cache evicts; sessions must not lose live logins to eviction. */
  readonly evictionPolicy: 'allkeys-lru' | 'volatile-lru';
  readonly authSecret: string;
  /** Existing Secret with this site's certificate (TLS_SECRET_KEYS): Redis listens and replicates over TLS only. */
  readonly tlsSecret: string;
  readonly chartVersion: string;
}

/**
 * The names MirrorMaker 2 uses at its target cluster for the mirror from `sourceAlias`: its Kafka
 * Connect group and Connect's three storage topics (named per source, so a later reverse mirror never
 * shares them). The switchover reads the offset storage topic to see how far the mirror has copied.
 */
export function mirrorMakerConnectNames(sourceAlias: string) {
  return {
    groupId: `mirrormaker2-${sourceAlias}`,
    configStorageTopic: `mirrormaker2-${sourceAlias}-configs`,
    statusStorageTopic: `mirrormaker2-${sourceAlias}-status`,
    offsetStorageTopic: `mirrormaker2-${sourceAlias}-offsets`,
  } as const;
}

/**
 * MirrorMaker 2's own topics of the mirror from `sourceAlias` into `targetAlias` (Kafka's defaults):
 * at the target, Connect's storage topics and the checkpoints; at the source, the offset syncs.
 */
export function mirrorMakerStateTopics(sourceAlias: string, targetAlias: string): { readonly atTarget: readonly string[]; readonly atSource: readonly string[] } {
  const connect = mirrorMakerConnectNames(sourceAlias);
  return {
    atTarget: [connect.configStorageTopic, connect.statusStorageTopic, connect.offsetStorageTopic, `${sourceAlias}.checkpoints.internal`],
    atSource: [`mm2-offset-syncs.${targetAlias}.internal`],
  };
}

/**
 * Topics and consumer groups MirrorMaker 2 never copies: its own defaults (`topics.exclude`,
 * `groups.exclude`, which a pattern replaces), plus the Connect storage topics of any mirror (a reverse
 * mirror would otherwise copy the old direction's storage topics) and the switchover's short-lived
 * reading groups. Regular expressions matched against the whole name.
 */
export const MIRROR_TOPICS_EXCLUDED = ['.*[\\-\\.]internal', '.*\\.replica', '__.*', 'mirrormaker2-.*-(configs|status|offsets)'] as const;
export const MIRROR_GROUPS_EXCLUDED = ['console-consumer-.*', 'connect-.*', '__.*', 'hsa-switchover-read-.*'] as const;

/**
 * How often MirrorMaker 2's Connect workers store how far they have copied (Connect's default is 60 s).
 * The switchover's caught-up check and its count of the records only the old site holds read that
 * progress, so it must be fresh within seconds.
 */
export const MIRROR_MAKER_OFFSET_FLUSH_MS = 5000;

/**
 * Kafka users of the toolkit's own machinery. MirrorMaker 2 reads the other site's cluster and writes
 * the local one as `mirrorMaker`; the switchover reads offsets and rebuilds a cluster as `switchover`.
 */
export const KAFKA_SYSTEM_USERS = { mirrorMaker: 'hsa-mirror-maker', switchover: 'hsa-switchover' } as const;

export type KafkaAclOperation = 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'DescribeConfigs' | 'AlterConfigs';

/** One ACL rule as Strimzi's KafkaUser states it (`spec.authorization.acls[]`). */
export interface KafkaAcl {
  readonly resource: { readonly type: 'topic' | 'group'; readonly name: string; readonly patternType: 'literal' | 'prefix' } | { readonly type: 'cluster' };
  readonly operations: readonly KafkaAclOperation[];
}

/**
 * A SCRAM-SHA-512 user of a Kafka pair, the same at both sites (its password is the key `<name>` of the
 * users Secret, so clients keep working after a switchover), with the ACLs it needs and no more.
 */
export interface KafkaUserPlan {
  readonly name: string;
  readonly acls: readonly KafkaAcl[];
}

/** A tenant whose applications use Kafka: its user is named after its namespace, its topics and groups by prefix. */
export interface KafkaClient {
  readonly user: string;
  /** `<tenant id>.`: the project's topics and consumer groups start with it. */
  readonly prefix: string;
}

/** Every Kafka user of a zone: the toolkit's two and one per project that uses Kafka. */
export function kafkaUsers(clients: readonly KafkaClient[]): KafkaUserPlan[] {
  const all = (type: 'topic' | 'group') => ({ type, name: '*', patternType: 'literal' }) as const;
  return [
    {
      // Source side: read topics, their configs and consumer-group offsets. Target side: create and write
      // the mirrored topics, its Connect group and storage topics, translated group offsets.
      name: KAFKA_SYSTEM_USERS.mirrorMaker,
      acls: [
        { resource: all('topic'), operations: ['Read', 'Write', 'Create', 'Describe', 'DescribeConfigs', 'AlterConfigs'] },
        { resource: all('group'), operations: ['Read', 'Describe'] },
        { resource: { type: 'cluster' }, operations: ['Describe', 'DescribeConfigs'] },
      ],
    },
    {
      // Reads end offsets, group offsets and MirrorMaker 2's progress; deletes mirrored topics and groups
      // when it rebuilds the old site clean.
      name: KAFKA_SYSTEM_USERS.switchover,
      acls: [
        { resource: all('topic'), operations: ['Read', 'Describe', 'Delete'] },
        { resource: all('group'), operations: ['Read', 'Describe', 'Delete'] },
        { resource: { type: 'cluster' }, operations: ['Describe'] },
      ],
    },
    ...clients.map((client) => ({
      name: client.user,
      acls: [
        { resource: { type: 'topic', name: client.prefix, patternType: 'prefix' }, operations: ['Read', 'Write', 'Create', 'Describe'] },
        { resource: { type: 'group', name: client.prefix, patternType: 'prefix' }, operations: ['Read', 'Describe'] },
      ] satisfies KafkaAcl[],
    })),
  ];
}

export interface KafkaPlan {
  readonly clusterName: string;
  readonly mode: DrMode;
  readonly address: Endpoint;
  /** The active site's external listener, mirrored by MirrorMaker 2 at the standby site. */
  readonly mirrorSource?: Endpoint;
  /**
   * This site's broker addresses, one per broker (node id = index): pinned on each broker's Service and
   * advertised, so clients and the other site's MirrorMaker 2 reach every broker.
   */
  readonly brokerAddresses: readonly string[];
  /** The other site's broker addresses (replication in both directions crosses to them). */
  readonly peerBrokerAddresses: readonly string[];
  /** Alias of each site's cluster in MirrorMaker 2 (`<zone>-a`, `<zone>-b`). */
  readonly localAlias: string;
  readonly sourceAlias: string;
  readonly brokers: number;
  readonly storageGiB: number;
  readonly operatorChartVersion: string;
  /** Existing Secret with this site's external listener certificate (TLS_SECRET_KEYS); its ca.crt verifies the other site. */
  readonly tlsSecret: string;
  /** Existing Secret holding each user's SCRAM password under the user's name, the same at both sites. */
  readonly usersSecret: string;
  readonly users: readonly KafkaUserPlan[];
}

export interface FastdfsPlan {
  readonly name: string;
  readonly mode: DrMode;
  /** Storage group both sites' storage servers belong to: the unit of cross-site sync. */
  readonly group: string;
  /** Both sites' storage servers, in site order, with the access mode clients get on each. */
  readonly storageServers: readonly { readonly id: number; readonly site: Site; readonly host: string; readonly access: 'both' | 'none' }[];
  /** Trackers of both datacenters: each storage reports to all of them. */
  readonly trackers: readonly Endpoint[];
  readonly address: Endpoint;
  readonly storageGiB: number;
}

/**
 * A middleware that is not DR-paired because its state lives elsewhere. The log service is a chart
 * release (bitnami/elasticsearch); Nacos and XXL-JOB keep their state in the external database and are
 * written as Kubernetes objects by the toolkit: no upstream chart exists at a version a mirror could
 * hold (XXL-JOB has none; nacos-group's only chart, 1.0.0, speaks MySQL only and pulls a Docker Hub image).
 */
export type SupportingServicePlan =
  | { readonly role: 'log'; readonly releaseName: string; readonly chart: 'elasticsearch'; readonly chartVersion: string; readonly address: Endpoint }
  | { readonly role: 'nacos' | 'xxl-job'; readonly name: string; readonly address: Endpoint };

/**
 * One site's CloudNativePG Cluster in a distributed topology of two: both Clusters name each other in
 * `externalClusters`; the one named `primary` (the active site's) takes writes, the other is a replica
 * cluster streaming from it. The names differ per site, as the topology requires.
 */
export interface CloudNativePgPlan {
  readonly operatorChartVersion: string;
  /** Cluster name of each site. */
  readonly clusterNames: Readonly<Record<Site, string>>;
  /** This site's Cluster, and the active site's. */
  readonly self: string;
  readonly primary: string;
  /** The other site's Cluster, the one a replica cluster streams from. */
  readonly source: string;
  readonly mode: DrMode;
  /** Each site's database VIP: the LoadBalancer service on its Cluster's (designated) primary. */
  readonly addresses: Readonly<Record<Site, string>>;
  readonly instances: number;
  readonly storageGiB: number;
  /** The application database and the databases Nacos and XXL-JOB keep their state in. */
  readonly databases: readonly string[];
  /** Existing Secrets, by what they hold. */
  readonly secrets: { readonly tls: string; readonly replicationTls: string; readonly owner: string; readonly switchover: string; readonly backup: string };
}

/** Names of the roles CloudNativePG manages for the toolkit. */
export const CLOUDNATIVE_PG_ROLES = { owner: 'hsa', backup: 'hsa_backup', switchover: 'hsa_switchover' } as const;

/** What the reports and the journal call a database product. */
export function databaseProductName(product: DatabasePlan['product']): string {
  return product.kind === 'postgresql' ? 'PostgreSQL' : product.kind === 'cloudnative-pg' ? 'PostgreSQL (CloudNativePG)' : product.name;
}

/** The business database of a zone as a DR pair (PostgreSQL streaming replication, promoted by its DBA). */
export interface DatabasePlan {
  readonly address: Endpoint;
  /** What the database is; `other` is checked through the command its DBA supplies; `cloudnative-pg` runs in the cluster. */
  readonly product:
    | { readonly kind: 'postgresql' }
    | { readonly kind: 'other'; readonly name: string; readonly checkCommand: readonly string[] }
    | { readonly kind: 'cloudnative-pg'; readonly cluster: CloudNativePgPlan };
}

export interface MiddlewarePlan {
  readonly zone: Zone;
  readonly site: Site;
  readonly activeSite: Site;
  readonly preventDestroy: boolean;
  readonly redis: readonly RedisPlan[];
  readonly kafka?: KafkaPlan;
  readonly fastdfs?: FastdfsPlan;
  readonly database?: DatabasePlan;
  readonly supporting: readonly SupportingServicePlan[];
  readonly secrets: { readonly [Name in keyof typeof DEFAULT_SECRETS]: string };
}

export interface MiddlewarePlanInput {
  readonly zone: Zone;
  readonly site: Site;
  readonly activeSite: Site;
  readonly middleware: readonly MiddlewareRole[];
  /** Addresses of this zone's middleware, per datacenter. */
  readonly vips: Readonly<Record<Site, Readonly<Partial<Record<MiddlewareRole, string>>>>>;
  /** Kafka broker addresses per datacenter, one per broker. Required when the zone runs Kafka. */
  readonly kafkaBrokerVips?: Readonly<Record<Site, readonly string[]>>;
  /** The zone's tenants whose applications use Kafka. */
  readonly kafkaClients?: readonly KafkaClient[];
  readonly settings?: MiddlewareSettings;
}

export function planMiddleware(input: MiddlewarePlanInput): MiddlewarePlan {
  const { zone, site, activeSite, settings } = input;
  const unpaired = new Set<MiddlewareRole>(settings?.unpaired ?? []);
  // An unpaired middleware is primary at both sites and replicates nothing.
  const modeOf = (role: MiddlewareRole): DrMode => (site === activeSite || unpaired.has(role) ? 'primary' : 'standby');
  const uses = (role: MiddlewareRole) => input.middleware.includes(role);
  const vip = (role: MiddlewareRole, at: Site): string => {
    const address = input.vips[at][role];
    // The schema requires an address for every middleware in use; reaching here is a toolkit bug.
    if (!address) throw new Error(`no middlewareVips.${role} for site ${at}, zone ${zone}`);
    return address;
  };
  const versions = { ...CHART_VERSIONS, ...settings?.chartVersions };
  const secrets = { ...DEFAULT_SECRETS, ...settings?.secrets };

  const redis: RedisPlan[] = (['redis-cache', 'redis-session'] as const).filter(uses).map((role) => {
    const size = role === 'redis-cache' ? settings?.redisCache : settings?.redisSession;
    const mode = modeOf(role);
    return {
      role,
      releaseName: role,
      mode,
      address: { host: vip(role, site), port: PORTS.redis },
      ...(mode === 'standby' ? { replicationSource: { host: vip(role, activeSite), port: PORTS.redis } } : {}),
      ...(unpaired.has(role) ? {} : { peerAddress: { host: vip(role, site === 'A' ? 'B' : 'A'), port: PORTS.redis } }),
      replicas: size?.replicas ?? 2,
      ...(size?.maxLagSeconds !== undefined && !unpaired.has(role) ? { lagBound: { minReplicas: (size.replicas ?? 2) + 1, maxLagSeconds: size.maxLagSeconds } } : {}),
      memoryMiB: size?.memoryMiB ?? 2048,
      storageGiB: size?.storageGiB ?? 20,
      evictionPolicy: role === 'redis-cache' ? 'allkeys-lru' : 'volatile-lru',
      authSecret: secrets.redis,
      tlsSecret: secrets.redisTls,
      chartVersion: versions.redis,
    };
  });

  const brokers = settings?.kafka?.brokers ?? 3;
  const brokerVips = (at: Site): readonly string[] => {
    const addresses = input.kafkaBrokerVips?.[at] ?? [];
    // The schema requires one address per broker; reaching here is a toolkit bug.
    if (addresses.length !== brokers) throw new Error(`expected ${brokers} kafkaBrokerVips for site ${at}, zone ${zone}; received ${addresses.length}`);
    return addresses;
  };
  const kafka: KafkaPlan | undefined = uses('kafka')
    ? {
        clusterName: 'hsa-kafka',
        mode: modeOf('kafka'),
        address: { host: vip('kafka', site), port: PORTS.kafkaExternal },
        ...(modeOf('kafka') === 'standby' ? { mirrorSource: { host: vip('kafka', activeSite), port: PORTS.kafkaExternal } } : {}),
        localAlias: `${zone}-${site.toLowerCase()}`,
        sourceAlias: `${zone}-${activeSite.toLowerCase()}`,
        brokerAddresses: brokerVips(site),
        peerBrokerAddresses: brokerVips(site === 'A' ? 'B' : 'A'),
        brokers,
        storageGiB: settings?.kafka?.storageGiB ?? 100,
        operatorChartVersion: versions.strimzi,
        tlsSecret: secrets.kafkaTls,
        usersSecret: secrets.kafkaUsers,
        users: kafkaUsers(input.kafkaClients ?? []),
      }
    : undefined;

  const fastdfs: FastdfsPlan | undefined = uses('fastdfs')
    ? {
        name: 'fastdfs',
        mode: modeOf('fastdfs'),
        group: 'group1',
        // Unpaired: each site's storage is alone in its group and reports to its own tracker only.
        storageServers: (['A', 'B'] as const)
          .map((s, i) => ({ id: 100001 + i, site: s, host: vip('fastdfs', s), access: s === activeSite || unpaired.has('fastdfs') ? ('both' as const) : ('none' as const) }))
          .filter((s) => !unpaired.has('fastdfs') || s.site === site),
        trackers: (['A', 'B'] as const).filter((s) => !unpaired.has('fastdfs') || s === site).map((s) => ({ host: vip('fastdfs', s), port: PORTS.fastdfsTracker })),
        address: { host: vip('fastdfs', site), port: PORTS.fastdfsTracker },
        storageGiB: settings?.fastdfs?.storageGiB ?? 200,
      }
    : undefined;

  const databaseSettings = settings?.database;
  const databaseProduct = (): DatabasePlan['product'] | undefined => {
    switch (databaseSettings?.product) {
      case undefined:
        return undefined;
      case 'postgresql':
        return { kind: 'postgresql' };
      case 'other':
        return { kind: 'other', name: databaseSettings.name, checkCommand: databaseSettings.check.command };
      case 'cloudnative-pg': {
        const clusterNames = { A: 'hsa-db-a', B: 'hsa-db-b' } as const;
        return {
          kind: 'cloudnative-pg',
          cluster: {
            operatorChartVersion: versions.cloudNativePg,
            clusterNames,
            self: clusterNames[site],
            primary: clusterNames[activeSite],
            source: clusterNames[otherSite(site)],
            mode: modeOf('database'),
            addresses: { A: vip('database', 'A'), B: vip('database', 'B') },
            instances: databaseSettings.instances ?? 2,
            storageGiB: databaseSettings.storageGiB ?? 100,
            databases: ['hsa', 'nacos', 'xxl_job'],
            secrets: { tls: secrets.databaseTls, replicationTls: secrets.databaseReplicationTls, owner: secrets.databaseOwner, switchover: secrets.databaseSwitchover, backup: databaseSettings.backup?.credentialsSecret ?? DATABASE_BACKUP_DEFAULTS.credentialsSecret },
          },
        };
      }
    }
  };
  const product = uses('database') ? databaseProduct() : undefined;
  const database: DatabasePlan | undefined = product ? { address: { host: vip('database', site), port: middlewarePorts(settings).database }, product } : undefined;

  const supporting: SupportingServicePlan[] = [];
  if (uses('nacos')) supporting.push({ role: 'nacos', name: 'nacos', address: { host: vip('nacos', site), port: PORTS.nacos } });
  if (uses('xxl-job')) supporting.push({ role: 'xxl-job', name: 'xxl-job-admin', address: { host: vip('xxl-job', site), port: PORTS.xxlJob } });
  if (uses('log')) supporting.push({ role: 'log', releaseName: 'log', chart: 'elasticsearch', chartVersion: versions.log, address: { host: vip('log', site), port: PORTS.log } });

  return {
    zone,
    site,
    activeSite,
    preventDestroy: settings?.preventDestroy ?? true,
    redis,
    ...(kafka ? { kafka } : {}),
    ...(fastdfs ? { fastdfs } : {}),
    ...(database ? { database } : {}),
    supporting,
    secrets,
  };
}

/**
 * redis.conf lines of one site's Redis primary (bitnami `master.configuration`). At the standby site the
 * primary is itself a replica of the active site (`replicaof`): the declarative state survives restarts,
 * and promotion (`REPLICAOF NO ONE`, then this file without `replicaof`) keeps the data.
 */
export function redisPrimaryConfiguration(plan: Pick<RedisPlan, 'role' | 'mode' | 'replicationSource' | 'lagBound'>): string {
  const lines = [`# ${plan.role}: ${plan.mode} (managed by hsa-dr-toolkit)`];
  if (plan.replicationSource) lines.push(`replicaof ${plan.replicationSource.host} ${plan.replicationSource.port}`, 'replica-read-only yes', 'replica-serve-stale-data yes');
  // The RPO bound holds at the active primary only: a promoted standby must take writes without the
  // site it lost (the switchover puts the bound back once that site follows again).
  if (plan.mode === 'primary' && plan.lagBound) lines.push(`min-replicas-to-write ${plan.lagBound.minReplicas}`, `min-replicas-max-lag ${plan.lagBound.maxLagSeconds}`);
  return `${lines.join('\n')}\n`;
}

/** Seconds between the primary's pings to its replicas (redis.conf `repl-ping-replica-period`). */
export const REDIS_REPLICATION_PING_SECONDS = 2;
/** Seconds without data after which either side drops the replication link (`repl-timeout`). */
export const REDIS_REPLICATION_TIMEOUT_SECONDS = 10;

/** redis.conf lines shared by every Redis server of a pair (bitnami `commonConfiguration`). */
export function redisCommonConfiguration(plan: Pick<RedisPlan, 'memoryMiB' | 'evictionPolicy'>): string {
  return [
    `maxmemory ${plan.memoryMiB}mb`,
    `maxmemory-policy ${plan.evictionPolicy}`,
    'appendonly yes',
    'appendfsync everysec',
    // Replication of the large cross-site link: a generous backlog avoids full resyncs after short cuts.
    'repl-backlog-size 256mb',
    'repl-diskless-sync yes',
    // The chart's TLS mode closes the plaintext port; replicas, the other datacenter's included, must
    // then replicate over TLS too.
    'tls-replication yes',
    // A dead cross-site link must show within seconds: by default a replica reports
    // master_link_status:up for repl-timeout (60 s) after the link dies. The primary pings its replicas
    // every 2 s, and either side drops the link after 10 s without data; TCP keepalive every 10 s
    // finds half-open connections.
    `repl-ping-replica-period ${REDIS_REPLICATION_PING_SECONDS}`,
    `repl-timeout ${REDIS_REPLICATION_TIMEOUT_SECONDS}`,
    'tcp-keepalive 10',
    '',
  ].join('\n');
}

/**
 * More replicas than any pair has: a primary told to wait for this many refuses every write with
 * `NOREPLICAS` and still serves reads. That is the fence (隔离) of an old primary: its data stays
 * readable for the divergence report, and no client can write to it.
 */
export const REDIS_FENCE_MIN_REPLICAS = 1000;

/**
 * The key the switchover's fence writes into the old primary's own data: it lives in the server's
 * append-only files, survives any restart, and is gone once the server is re-pointed (a replica's data
 * is replaced by its primary's). The start-up gate finds it there and starts the server fenced again.
 */
export const REDIS_FENCE_MARKER_KEY = 'hsa-dr:fenced-by-switchover';

/**
 * A paired storage server's join gate (an init container's shell script), or undefined when unpaired.
 * FastDFS V6.13's tracker gives a storage server that joins a group for the first time a sync source
 * only among the group's *writable* members (`tracker_get_group_sync_src_server`): if the standby
 * (`rw=none`) joined first, the active site's new storage server would never get one and would stay
 * `INIT` for good, and uploads would fail (found by the FastDFS drill, the standby's servers started
 * first). So a storage server that has not yet finished a first sync (no `sync_old_done=1` in its
 * `.data_init_flag`) and is not the active one waits until the active one is ACTIVE at the active
 * site's tracker; one that has synced before starts at once, also while the other site is away. The
 * active one is read from storage_ids.conf at start, so the script is the same whichever site is active:
 * a switchover does not change the storage server's pod, and does not restart it.
 */
export function fastdfsJoinGate(plan: Pick<FastdfsPlan, 'group' | 'address'> & { readonly storageServers: readonly unknown[] }): string | undefined {
  if (plan.storageServers.length < 2) return undefined;
  return [
    `grep -qx 'sync_old_done=1' ${FASTDFS_STORAGE_BASE_PATH}/data/.data_init_flag 2>/dev/null && exit 0`,
    `active=$(awk '$2 == "${plan.group}" && $4 == "rw=both" { print $3; exit }' /etc/fdfs/storage_ids.conf)`,
    `[ "$active" = "${plan.address.host}" ] && exit 0`,
    `pattern="^[[:space:]]*ip_addr = $(printf '%s' "$active" | sed 's/[.]/[.]/g')[^ ]*  ACTIVE$"`,
    `until fdfs_monitor /etc/fdfs/storage.conf -h "$active:${PORTS.fastdfsTracker}" list ${plan.group} 2>/dev/null | grep -Eq "$pattern"; do`,
    `  echo "hsa-dr: first join of ${plan.group}: waiting until the active site's storage server ($active) is ACTIVE" >&2`,
    '  sleep 5',
    'done',
    '',
  ].join('\n');
}

/**
 * Start-up gate of a primary (bitnami `master.preExecCmds`, run by the chart's start script just before
 * `exec redis-server "${ARGS[@]}"`). Whatever restarts the server (a crash, a node reboot, the
 * datacenter coming back) goes through it, and it starts the server fenced, its writes refused until the
 * switchover has saved what only it holds and re-pointed it, when either
 * - its own data holds the switchover's fence marker (`REDIS_FENCE_MARKER_KEY`, looked for in the files
 *   of the `dir` its included configuration names): it was fenced before this restart, whether or not
 *   the other datacenter answers now; or
 * - the other datacenter's server of the pair answers as a primary itself: this site was failed over
 *   while it was away.
 * When neither holds (never fenced, and the other datacenter silent for 3 s) the primary starts
 * writable: the standby site's outage must not stop the active site.
 */
export function redisStartupGate(plan: Pick<RedisPlan, 'role' | 'mode' | 'peerAddress'>): string[] {
  if (plan.mode !== 'primary' || !plan.peerAddress) return [];
  const { host, port } = plan.peerAddress;
  return [
    [
      // The data directory: the last `dir` of the configuration files the start script includes.
      'HSA_DR_DIR=""',
      'for (( i = 0; i + 1 < ${#ARGS[@]}; i++ )); do',
      '  if [ "${ARGS[$i]}" = "--include" ]; then d="$(awk \'$1 == "dir" { print $2 }\' "${ARGS[$((i + 1))]}" 2>/dev/null | tail -n 1)"; [ -n "$d" ] && HSA_DR_DIR="$d"; fi',
      'done',
      `if [ -n "$HSA_DR_DIR" ] && grep -rqaF '${REDIS_FENCE_MARKER_KEY}' "$HSA_DR_DIR/appendonlydir" "$HSA_DR_DIR/dump.rdb" 2>/dev/null; then`,
      `  echo "hsa-dr: ${plan.role} was fenced by a switchover before this restart (its data holds the fence marker): starting fenced, writes refused until the switchover re-points this server" >&2`,
      `  ARGS+=("--min-replicas-to-write" "${REDIS_FENCE_MIN_REPLICAS}")`,
      // REDIS_TLS_CA_FILE is set by the chart's TLS mode: the other site's certificate comes from the same CA.
      // The password reaches redis-cli in REDISCLI_AUTH, as it reads it, never on its command line (ps).
      `elif [ "$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 3 redis-cli --tls --cacert "$REDIS_TLS_CA_FILE" -h ${host} -p ${port} ROLE 2>/dev/null | head -n 1)" = "master" ]; then`,
      `  echo "hsa-dr: ${plan.role} at ${host}:${port} (the other datacenter) is a primary: starting fenced, writes refused until the switchover re-points this server" >&2`,
      `  ARGS+=("--min-replicas-to-write" "${REDIS_FENCE_MIN_REPLICAS}")`,
      'fi',
    ].join('\n'),
  ];
}
