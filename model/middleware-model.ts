/**
 * What every kind of middleware shares: the chart versions the toolkit is tested with, the names of the
 * existing Secrets, the one port table, and the words of a plan (DrMode, Endpoint). Each kind of DR pair
 * keeps its own plan in its folder (pairs/<kind>/<kind>-plan.ts); model/middleware-plan.ts composes them.
 */
import type { MiddlewareRole } from './catalog';
import type { MiddlewareSettings } from './middleware-schema';
import type { Site, Zone } from './topology';

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

/** What the model knows of the zone and site a middleware runs in: the input of its plan. */
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
  readonly kafkaClients?: readonly { readonly user: string; readonly prefix: string }[];
  readonly settings?: MiddlewareSettings;
}

/**
 * What every kind's planner reads (pairs/<kind>/<kind>-plan.ts): the zone and site, the environment's
 * middleware settings, and the decisions every kind shares, made here once.
 */
export interface PairPlanContext {
  readonly input: MiddlewarePlanInput;
  readonly zone: Zone;
  readonly site: Site;
  readonly activeSite: Site;
  readonly settings: MiddlewareSettings | undefined;
  /** Whether the zone runs this middleware (its applications use it). */
  uses(role: MiddlewareRole): boolean;
  /** Deployed at both sites without cross-site replication (`middleware.unpaired`). */
  unpaired(role: MiddlewareRole): boolean;
  /** Primary at the active site, standby at the other; an unpaired middleware is primary at both. */
  modeOf(role: MiddlewareRole): DrMode;
  /** The middleware's address at a site (`middlewareVips`). */
  vip(role: MiddlewareRole, at: Site): string;
  /** Chart versions, the environment's overrides applied. */
  readonly versions: { readonly [Chart in keyof typeof CHART_VERSIONS]: string };
  /** Existing Secrets' names, the environment's overrides applied. */
  readonly secrets: { readonly [Name in keyof typeof DEFAULT_SECRETS]: string };
}

export function pairPlanContext(input: MiddlewarePlanInput): PairPlanContext {
  const { zone, site, activeSite, settings } = input;
  const unpaired = new Set<MiddlewareRole>(settings?.unpaired ?? []);
  return {
    input,
    zone,
    site,
    activeSite,
    settings,
    uses: (role) => input.middleware.includes(role),
    unpaired: (role) => unpaired.has(role),
    // An unpaired middleware is primary at both sites and replicates nothing.
    modeOf: (role) => (site === activeSite || unpaired.has(role) ? 'primary' : 'standby'),
    vip: (role, at) => {
      const address = input.vips[at][role];
      // The schema requires an address for every middleware in use; reaching here is a toolkit bug.
      if (!address) throw new Error(`no middlewareVips.${role} for site ${at}, zone ${zone}`);
      return address;
    },
    versions: { ...CHART_VERSIONS, ...settings?.chartVersions },
    secrets: { ...DEFAULT_SECRETS, ...settings?.secrets },
  };
}
