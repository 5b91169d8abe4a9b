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

/** The zone's database pair at this site, where the environment declares the database (`middleware.database`). */
export function planDatabase(context: PairPlanContext): DatabasePlan | undefined {
  const { site, activeSite, settings, modeOf, uses, vip, versions, secrets } = context;
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
  return product ? { address: { host: vip('database', site), port: middlewarePorts(settings).database }, product } : undefined;
}
