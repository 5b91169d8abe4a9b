/**
 * The business database's DR pair plan (one per zone): PostgreSQL outside the clusters, another product
 * checked by its DBA's command, or CloudNativePG's two Clusters in a distributed topology.
 */
import { middlewarePorts, type DrMode, type Endpoint, type PairPlanContext } from '../../model/middleware-model';
import { DATABASE_BACKUP_DEFAULTS } from '../../model/backup-plan';
import { otherSite, type Site } from '../../model/topology';

/**
 * One site's CloudNativePG Cluster in a distributed topology of two: both Clusters name each other in
 * `externalClusters`; the one named `primary` (the active site's) takes writes, the other is a replica
 * cluster streaming from it. The names differ per site, as the topology requires.
 */
export interface CloudNativePgPlan {
  /** cloudnative-pg chart version (the operator's and the CRDs'). */
  readonly operatorChartVersion: string;
  /** The Cluster name of each site; they must differ (a distributed topology names both). */
  readonly clusterNames: Readonly<Record<Site, string>>;
  /** This site's Cluster: `clusterNames` at this site. */
  readonly self: string;
  /**
   * The Cluster that takes writes (`replica.primary`): the active site's. The other site's Cluster is a
   * replica cluster streaming from it, created with pg_basebackup from it.
   */
  readonly primary: string;
  /** The other site's Cluster, the one this site's streams from when it is the replica cluster. */
  readonly sourceCluster: string;
  /** `primary` at the active site, `standby` (a replica cluster) at the other. */
  readonly mode: DrMode;
  /** Each site's database VIP: the LoadBalancer service on its Cluster's (designated) primary. */
  readonly addresses: Readonly<Record<Site, string>>;
  /** PostgreSQL instances of this site's Cluster (one primary, the rest local standbys). */
  readonly instances: number;
  /** Each instance's data volume. */
  readonly storageGiB: number;
  /** Databases the active site's Cluster creates: the first by `initdb`, the rest after it, all owned by CLOUDNATIVE_PG_ROLES.owner. */
  readonly databases: readonly string[];
  /** Existing Secrets, by what they hold. */
  readonly secrets: {
    /** The server certificate, and the CA both sites' certificates come from (cert-manager keys). */
    readonly tls: string;
    /** `streaming_replica`'s client certificate. */
    readonly replicationTls: string;
    /** The owner's login (basic-auth keys). */
    readonly owner: string;
    /** Passwords of the switchover's and the backup job's roles (basic-auth keys). */
    readonly switchover: string;
    readonly backup: string;
  };}

/** Names of the roles CloudNativePG manages for the toolkit. */
export const CLOUDNATIVE_PG_ROLES = { owner: 'hsa', backup: 'hsa_backup', switchover: 'hsa_switchover' } as const;

/** What the reports and the journal call a database product. */
export function databaseProductName(product: DatabasePlan['product']): string {
  return product.kind === 'postgresql' ? 'PostgreSQL' : product.kind === 'cloudnative-pg' ? 'PostgreSQL (CloudNativePG)' : product.name;
}

/** prometheus-community/prometheus-postgres-exporter: its appVersion (postgres_exporter 0.19.1) is the one Debian ships, which the drill runs. */
export const POSTGRES_EXPORTER_CHART_VERSION = '8.0.0';
/** The port postgres_exporter listens on (the chart's `service.targetPort`); its Service serves it on the same port. */
export const POSTGRES_EXPORTER_PORT = 9187;
/** The Helm release (and, through `fullnameOverride`, the Deployment and Service) of a site's exporter. */
export const POSTGRES_EXPORTER_RELEASE = 'hsa-db-exporter';
/** What `middleware.database.monitoring` leaves out (the schema documents the same). */
export const DATABASE_MONITORING_DEFAULTS = { credentialsSecret: 'hsa-db-monitor', sslMode: 'require' } as const;

/**
 * How a site's postgres_exporter reads a PostgreSQL outside the clusters: this site's server at its
 * address, as the role of `credentialsSecret` (pg_monitor), over TLS unless the environment says not.
 */
export interface PostgresqlMonitoringPlan {
  /** prometheus-postgres-exporter chart version. */
  readonly chartVersion: string;
  /** This site's server. */
  readonly server: Endpoint;
  /** Existing Secret (`username`, `password`) in the middleware namespace. */
  readonly credentialsSecret: string;
  /** libpq's sslmode of the exporter's connection. */
  readonly sslMode: 'require' | 'disable';
  /** Primary at the active site, standby at the other. */
  readonly mode: DrMode;
}

/** The business database of a zone as a DR pair (PostgreSQL streaming replication, promoted by its DBA). */
export interface DatabasePlan {
  /** This site's database address (`middlewareVips.database`) and its port. */
  readonly address: Endpoint;
  /** What the database is; `other` is checked through the command its DBA supplies; `cloudnative-pg` runs in the cluster. */
  readonly product:
    | { readonly kind: 'postgresql'; readonly monitoring: PostgresqlMonitoringPlan }
    | { readonly kind: 'other'; readonly name: string; readonly checkCommand: readonly string[] }
    | { readonly kind: 'cloudnative-pg'; readonly cluster: CloudNativePgPlan };
}

/** The zone's database pair at this site, where the environment declares the database (`middleware.database`). */
export function planDatabase(context: PairPlanContext): DatabasePlan | undefined {
  const { site, activeSite, settings, modeOf, uses, vip, versions, secrets } = context;
  const databaseSettings = settings?.database;
  const databaseProduct = (): DatabasePlan['product'] | undefined => {
    switch (databaseSettings?.product) {
      case undefined:
        return undefined;
      case 'postgresql':
        return {
          kind: 'postgresql',
          monitoring: {
            chartVersion: POSTGRES_EXPORTER_CHART_VERSION,
            server: { host: vip('database', site), port: middlewarePorts(settings).database },
            credentialsSecret: databaseSettings.monitoring?.credentialsSecret ?? DATABASE_MONITORING_DEFAULTS.credentialsSecret,
            sslMode: databaseSettings.monitoring?.sslMode ?? DATABASE_MONITORING_DEFAULTS.sslMode,
            mode: modeOf('database'),
          },
        };
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
            sourceCluster: clusterNames[otherSite(site)],
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
  return product ? { address: { host: vip('database', site), port: middlewarePorts(settings).database }, product } : undefined;
}
