/**
 * What one cluster backs up, when, and where to (pure data; constructs/backup deploys it, compliance
 * reads what was synthesized).
 *
 * Velero backs up the middleware namespace every day: its Kubernetes objects, and every pod volume
 * through the node agent (file-system backup with kopia): Redis's append-only files, FastDFS's files, the
 * log service, Kafka's logs. Before it copies a Redis primary's volume, a pre-backup hook runs the
 * toolkit's Redis dump (pairs/redis/redis-backup.ts: `redis-cli --rdb` + `redis-check-rdb`) inside the
 * pod, so the volume holds a consistent, checked snapshot next to the live files; a failed dump fails
 * the backup. The backup goes to the other datacenter's object store: off site.
 */
import type { BackupSettings } from './backup-schema';
import type { Site, Zone } from './topology';
import { otherSite } from './topology';

export const BACKUP_DEFAULTS = { schedule: '0 2 * * *', retentionDays: 30, region: 'us-east-1', credentialsSecret: 'hsa-backup-s3' } as const;
/** Key of the credentials Secret: an AWS credentials file, as Velero's AWS plugin reads it. */
export const BACKUP_CREDENTIALS_KEY = 'cloud';
/** Velero chart (vmware-tanzu/velero) and what it runs. */
export const VELERO_CHART_VERSION = '12.1.0';
/** Where the Redis pre-backup hook writes its checked dump, on the primary's data volume. */
export const REDIS_HOOK_BACKUP_FILE = '/data/hsa-backup/dump.rdb';

export interface BackupStore {
  /** The datacenter the store is in: always the other one. */
  readonly site: Site;
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly bucket: string;
  readonly region: string;
  readonly credentialsSecret: string;
}

/** Where the database backup job keeps its work and the latest backup, on its own volume. */
export const DATABASE_BACKUP_MOUNT = '/backup';
export const DATABASE_BACKUP_DEFAULTS = { credentialsSecret: 'hsa-db-backup', volumeGiB: 100 } as const;

/**
 * How the business database is backed up: PostgreSQL with the toolkit's own command
 * (pairs/database/database-backup.ts), or another product with its vendor's tool, as its DBA declares it.
 */
export type DatabaseBackupTool =
  | { readonly kind: 'postgresql' }
  | {
      readonly kind: 'vendor';
      /** The product's name, e.g. "DM8". */
      readonly product: string;
      /** The tool's image under the mirror path (`registry.images`). */
      readonly image: { readonly name: string; readonly tag: string };
      /** Program and arguments (no shell); the variables it reads are in the environment schema. */
      readonly command: readonly string[];
    };

/**
 * The business database's daily backup at one site: its tool against this site's database, an hour
 * before Velero's backup, onto a volume of the middleware namespace that the Velero backup then copies
 * off site.
 */
export interface DatabaseBackupPlan {
  readonly tool: DatabaseBackupTool;
  /**
   * This site's database instance (its address at this site, `middlewareVips.database`), not the stable
   * name, which resolves to the active site: each site backs up its own copy, the standby's from the
   * streaming replica, so neither backup loads the other site or the link.
   */
  readonly host: string;
  readonly port: number;
  readonly schedule: string;
  readonly credentialsSecret: string;
  readonly volumeGiB: number;
}

/** What the environment says about one site's database backup, before defaults. */
export interface DatabaseBackupSource {
  readonly tool: DatabaseBackupTool;
  readonly host: string;
  readonly port: number;
  readonly settings?: { readonly credentialsSecret?: string; readonly volumeGiB?: number };
}

export interface BackupPlan {
  readonly store: BackupStore;
  /** `<env>/<zone>-<site>`: this cluster's backups inside the bucket. */
  readonly prefix: string;
  readonly schedule: string;
  readonly retentionDays: number;
  /** Namespaces backed up, objects and volumes. */
  readonly namespaces: readonly string[];
  /** Present where the zone uses the business database and the environment declares it. */
  readonly database?: DatabaseBackupPlan;
}

/**
 * An hour before a daily cron (`M H * * *` with a numeric hour), so a dump is on its volume when
 * Velero copies it; any other daily schedule is used as it is (the dump then waits a day).
 */
export function hourBefore(schedule: string): string {
  const [minute, hour, ...rest] = schedule.split(' ');
  if (!/^\d+$/.test(hour ?? '')) return schedule;
  return [minute, String((Number(hour) + 23) % 24), ...rest].join(' ');
}

export function planBackup(
  envName: string,
  settings: BackupSettings,
  zone: Zone,
  site: Site,
  namespaces: readonly string[],
  database?: DatabaseBackupSource,
): BackupPlan {
  const at = otherSite(site);
  const store = settings.stores[at];
  const url = new URL(store.endpoint);
  return {
    store: {
      site: at,
      endpoint: store.endpoint.replace(/\/$/, ''),
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      bucket: store.bucket,
      region: store.region ?? BACKUP_DEFAULTS.region,
      credentialsSecret: store.credentialsSecret ?? BACKUP_DEFAULTS.credentialsSecret,
    },
    prefix: `${envName}/${zone}-${site.toLowerCase()}`,
    schedule: settings.schedule ?? BACKUP_DEFAULTS.schedule,
    retentionDays: settings.retentionDays ?? BACKUP_DEFAULTS.retentionDays,
    namespaces,
    ...(database
      ? {
          database: {
            tool: database.tool,
            host: database.host,
            port: database.port,
            schedule: hourBefore(settings.schedule ?? BACKUP_DEFAULTS.schedule),
            credentialsSecret: database.settings?.credentialsSecret ?? DATABASE_BACKUP_DEFAULTS.credentialsSecret,
            volumeGiB: database.settings?.volumeGiB ?? DATABASE_BACKUP_DEFAULTS.volumeGiB,
          },
        }
      : {}),
  };
}
