import { Construct } from 'constructs';
import { databaseBackupJobCommand } from '../../model/backup-commands';
import { cronJobV1, persistentVolumeClaimV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';

/** Keys of the backup role's Secret. */
export const DATABASE_BACKUP_SECRET_KEYS = { username: 'username', password: 'password' } as const;

export interface DatabaseBackupProps {
  /** Namespace the job runs in: one Velero backs up, volumes included, so the backup goes off site. */
  readonly namespace: string;
  /** This site's database instance: its address at this site (a backup of a standby is taken from the replica) and port. */
  readonly host: string;
  readonly port: number;
  /** Cron (cluster time), daily. */
  readonly schedule: string;
  /** Existing Secret with `username` and `password` of a role with the REPLICATION attribute. */
  readonly credentialsSecret: string;
  /** Size of the backup volume. */
  readonly volumeGiB: number;
  /** Where the volume is mounted: the job works in `<mount>/work` and keeps `<mount>/database.tar.gz`. */
  readonly mountPath: string;
  /** The job's image, with pg_basebackup and pg_verifybackup of the database's major version or newer. */
  readonly image: string;
}

/**
 * The business database's daily backup at one site: a CronJob running the toolkit's PostgreSQL backup
 * command (pg_basebackup with a SHA-256 manifest, pg_verifybackup, one tar.gz; model/backup-commands.ts,
 * the same text the restore drill runs against a real PostgreSQL) onto a volume of its own. Only a
 * backup that passed its checks replaces the previous one; a failed run fails the job. Velero's daily
 * backup of the namespace copies the volume to the other datacenter's store. The password comes from
 * an existing Secret into the container's environment, never through Terraform.
 */
export class DatabaseBackup extends Construct {
  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    const labels = { 'app.kubernetes.io/name': 'database-backup', 'app.kubernetes.io/component': 'backup' };
    const volume = persistentVolumeClaimV1(this, 'Volume', {
      metadata: { name: 'database-backup', namespace: props.namespace, labels },
      waitUntilBound: false,
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${props.volumeGiB}Gi` } } },
      lifecycle: { preventDestroy: true },
    });
    const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: props.credentialsSecret, key } } });
    cronJobV1(this, 'Job', {
      metadata: { name: 'database-backup', namespace: props.namespace, labels },
      spec: {
        schedule: props.schedule,
        // One backup at a time; a day's run that cannot start in time is skipped, not stacked up.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: 6 * 3600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: '1001', runAsGroup: '1001', fsGroup: '1001', seccompProfile: { type: 'RuntimeDefault' } },
                container: [
                  {
                    name: 'backup',
                    image: props.image,
                    imagePullPolicy: 'IfNotPresent',
                    command: databaseBackupJobCommand(props.mountPath),
                    env: [
                      { name: 'PGHOST', value: props.host },
                      { name: 'PGPORT', value: String(props.port) },
                      secretEnv('PGUSER', DATABASE_BACKUP_SECRET_KEYS.username),
                      secretEnv('PGPASSWORD', DATABASE_BACKUP_SECRET_KEYS.password),
                    ],
                    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                    volumeMount: [{ name: 'backup', mountPath: props.mountPath }],
                  },
                ],
                volume: [{ name: 'backup', persistentVolumeClaim: { claimName: metadataNameOf(volume) } }],
              },
            },
          },
        },
      },
    });
  }
}
