import { Construct } from 'constructs';
import { databaseBackupJobCommand, vendorBackupSteps } from './database-backup';
import type { SitePlacement } from '../../constructs/placement';
import { annotateResource } from '../../constructs/annotations';
import type { CronJobV1SpecJobTemplateSpecTemplateSpecContainer as Container, CronJobV1SpecJobTemplateSpecTemplateSpecContainerEnv } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { cronJobV1, persistentVolumeClaimV1 } from '../../constructs/l1/kubernetes';
import { metadataNameOf } from '../../constructs/l1/light-resource';

/** Keys of the backup role's Secret. */
export const DATABASE_BACKUP_SECRET_KEYS = { username: 'username', password: 'password' } as const;

/**
 * The tool that takes the backup: PostgreSQL's own (the toolkit's command, in an image with
 * pg_basebackup and pg_verifybackup of the database's major version or newer), or another product's
 * vendor tool with the command its DBA declares, run between two steps of the toolkit in `shellImage`.
 */
export type DatabaseBackupMethod =
  | { readonly kind: 'postgresql'; readonly image: string }
  | { readonly kind: 'vendor'; readonly product: string; readonly image: string; readonly command: readonly string[]; readonly shellImage: string };

export interface DatabaseBackupProps extends SitePlacement {
  /** Namespace the job runs in: one Velero backs up, volumes included, so the backup goes off site. A reference to the namespace resource, so Terraform creates that first. */
  readonly namespace: string;
  /** The same namespace's name, written into the job's annotation for compliance (the reference above is a token until apply). */
  readonly namespaceName: string;
  /** This site's database instance: its address at this site (a backup of a standby is taken from the replica) and port. */
  readonly host: string;
  /** The database's port at this site. */
  readonly port: number;
  /** Cron (cluster time), daily. */
  readonly schedule: string;
  /** Existing Secret with `username` and `password` of the role the tool logs in as (for PostgreSQL, one with the REPLICATION attribute). */
  readonly credentialsSecret: string;
  /** Size of the backup volume. */
  readonly volumeGiB: number;
  /** Where the volume is mounted: the job works in `<mount>/work` and keeps the latest backup beside it. */
  readonly mountPath: string;
  /** How the backup is taken and checked: pg_basebackup with pg_verifybackup, or the product's own tool. */
  readonly method: DatabaseBackupMethod;
}

/**
 * The business database's daily backup at one site: a CronJob onto a volume of its own. For PostgreSQL
 * it runs the toolkit's backup command (pg_basebackup with a SHA-256 manifest, pg_verifybackup, one
 * tar.gz; pairs/database/database-backup.ts, the same text the restore drill runs against a real PostgreSQL).
 * For another product it runs the vendor's tool as an init container between the toolkit's `prepare`
 * and `keep` steps. Either way, only a backup that passed its checks replaces the previous one, and a
 * failed run fails the job. Velero's daily backup of the namespace copies the volume to the other
 * datacenter's store. The password comes from an existing Secret into the container's environment,
 * never through Terraform.
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
    const container = (name: string, image: string, command: readonly string[], env: CronJobV1SpecJobTemplateSpecTemplateSpecContainerEnv[] = [], extraMounts: { name: string; mountPath: string }[] = []): Container => ({
      name,
      image,
      imagePullPolicy: 'IfNotPresent',
      command: [...command],
      ...(env.length > 0 ? { env } : {}),
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMount: [{ name: 'backup', mountPath: props.mountPath }, ...extraMounts],
    });
    const method = props.method;
    let initContainer: Container[] = [];
    let mainContainer: Container;
    if (method.kind === 'postgresql') {
      mainContainer = container('backup', method.image, databaseBackupJobCommand(props.mountPath), [
        { name: 'PGHOST', value: props.host },
        { name: 'PGPORT', value: String(props.port) },
        secretEnv('PGUSER', DATABASE_BACKUP_SECRET_KEYS.username),
        secretEnv('PGPASSWORD', DATABASE_BACKUP_SECRET_KEYS.password),
      ]);
    } else {
      const steps = vendorBackupSteps(props.mountPath);
      initContainer = [
        container('prepare', method.shellImage, steps.prepare),
        // The vendor's tool may write temporary files: /tmp is its own scratch volume, the root stays read-only.
        container(
          'backup',
          method.image,
          method.command,
          [
            { name: 'HSA_DB_HOST', value: props.host },
            { name: 'HSA_DB_PORT', value: String(props.port) },
            secretEnv('HSA_DB_USER', DATABASE_BACKUP_SECRET_KEYS.username),
            secretEnv('HSA_DB_PASSWORD', DATABASE_BACKUP_SECRET_KEYS.password),
            { name: 'HSA_BACKUP_DIR', value: steps.toolDirectory },
          ],
          [{ name: 'scratch', mountPath: '/tmp' }],
        ),
      ];
      mainContainer = container('keep', method.shellImage, steps.keep);
    }
    const job = cronJobV1(this, 'Job', {
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
                ...(initContainer.length > 0 ? { initContainer } : {}),
                container: [mainContainer],
                volume: [
                  { name: 'backup', persistentVolumeClaim: { claimName: metadataNameOf(volume) } },
                  ...(method.kind === 'vendor' ? [{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }] : []),
                ],
              },
            },
          },
        },
      },
    });
    annotateResource(job, {
      component: 'database-backup',
      zone: props.zone,
      site: props.site,
      product: method.kind === 'postgresql' ? 'PostgreSQL' : method.product,
      schedule: props.schedule,
      namespace: props.namespaceName,
    });
  }
}
