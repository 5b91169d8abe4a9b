import type { Construct } from 'constructs';
import { DATABASE_BACKUP_MOUNT } from '../../model/backup-plan';
import { imageReference, mirrorImage } from '../../model/images';
import type { DeploymentUnit } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import { BackupSet } from '../backup/backup-set';
import { DatabaseBackup } from '../../pairs/database/database-backup-construct';
import type { ChartSource } from '../middleware/chart-source';
import { monitoredPorts } from './middleware-props';

/**
 * The unit's daily off-site backup (`<unit>/Backup`) and the business database's (`<unit>/DatabaseBackup`,
 * in the middleware namespace: Velero's daily backup of it copies the volume off site), when the
 * environment declares `backup`. Added to the unit itself, not a sub-construct: their ids are Terraform
 * state addresses of deployed provinces.
 */
export function addUnitBackups(unitScope: Construct, unit: DeploymentUnit, source: ChartSource, middlewareNamespace: string): void {
  const backup = unit.backupPlan;
  if (!backup) return;
  new BackupSet(unitScope, 'Backup', {
    zone: unit.zone,
    site: unit.site,
    store: backup.store,
    prefix: backup.prefix,
    schedule: backup.schedule,
    retentionDays: backup.retentionDays,
    namespaces: backup.namespaces,
    source,
    apiServer: unit.apiServer,
    ...monitoredPorts(unit, PLATFORM_NAMESPACES.backup),
  });
  const databaseBackup = backup.database;
  if (!databaseBackup) return;
  const tool = databaseBackup.tool;
  new DatabaseBackup(unitScope, 'DatabaseBackup', {
    zone: unit.zone,
    site: unit.site,
    namespace: middlewareNamespace,
    namespaceName: PLATFORM_NAMESPACES.middleware,
    host: databaseBackup.host,
    port: databaseBackup.port,
    schedule: databaseBackup.schedule,
    credentialsSecret: databaseBackup.credentialsSecret,
    volumeGiB: databaseBackup.volumeGiB,
    mountPath: DATABASE_BACKUP_MOUNT,
    method:
      tool.kind === 'postgresql'
        ? { kind: 'postgresql', image: imageReference(source.imageRegistry, source.imagePath, 'postgresql') }
        : {
            kind: 'vendor',
            product: tool.product,
            image: mirrorImage(source.imageRegistry, source.imagePath, tool.image),
            command: tool.command,
            shellImage: imageReference(source.imageRegistry, source.imagePath, 'osShell'),
          },
  });
}
