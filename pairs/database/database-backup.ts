/**
 * The business database's backup commands: PostgreSQL's (`pg_basebackup` with WAL streamed in and a
 * SHA-256 manifest, `pg_verifybackup`, then one tar.gz) in its daily backup job
 * (`databaseBackupJobCommand`, pairs/database/database-backup-construct.ts), and for another product its vendor's
 * tool between the two steps `vendorBackupSteps` writes. Everything site-specific is a variable, so the
 * same text is what the restore verification runs against a real server. A check that fails ends the
 * script non-zero: the job fails and nothing is uploaded.
 */

/** Variables: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq reads it itself), BACKUP_DIR, BACKUP_FILE. */
export const POSTGRESQL_BACKUP_SCRIPT = [
  'set -eu',
  'pg_basebackup --no-password -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$BACKUP_DIR/base" -Fp -X stream --checkpoint=fast --manifest-checksums=SHA256',
  'pg_verifybackup "$BACKUP_DIR/base"',
  'tar -czf "$BACKUP_FILE" -C "$BACKUP_DIR/base" .',
  '',
].join('\n');

/**
 * The business database's backup job (a CronJob's container command): the PostgreSQL backup script
 * against PGHOST/PGPORT with PGUSER/PGPASSWORD from the container's environment, working in
 * `<mount>/work` and, only when every check passed, replacing `<mount>/database.tar.gz` with the new
 * backup. A failed run leaves the previous backup in place and fails the job.
 */
export function databaseBackupJobCommand(mount: string): string[] {
  const work = `${mount}/work`;
  const wiring = ['set -eu', `export BACKUP_DIR=${work} BACKUP_FILE=${work}/database.tar.gz`, `rm -rf ${work}`, `mkdir -p ${work}`].join('\n');
  const finish = [`mv ${work}/database.tar.gz ${mount}/database.tar.gz`, `rm -rf ${work}`, ''].join('\n');
  return ['/bin/bash', '-c', `${wiring}\n${POSTGRESQL_BACKUP_SCRIPT}${finish}`];
}

/**
 * The steps around another product's backup tool in the database backup job, which runs the tool as its
 * DBA declares it (no shell assumed in the vendor's image) between them:
 * - `prepare` empties `<mount>/work`, the tool's HSA_BACKUP_DIR;
 * - `keep` runs only when the tool exited 0, and makes `<mount>/work` the new `<mount>/latest`. The
 *   previous backup is renamed aside first and removed last, so at every moment one complete backup is
 *   on the volume, and a run that wrote nothing fails instead of replacing a backup with an empty one.
 */
export function vendorBackupSteps(mount: string): { readonly toolDirectory: string; readonly latest: string; readonly prepare: string[]; readonly keep: string[] } {
  const work = `${mount}/work`;
  const latest = `${mount}/latest`;
  const previous = `${mount}/previous`;
  const prepare = ['set -eu', `rm -rf ${work}`, `mkdir -p ${work}`, ''].join('\n');
  const keep = [
    'set -eu',
    `if [ -z "$(ls -A ${work})" ]; then echo "the backup tool exited 0 but wrote nothing into ${work}" >&2; exit 1; fi`,
    `if [ -d ${latest} ]; then rm -rf ${previous}; mv ${latest} ${previous}; fi`,
    `mv ${work} ${latest}`,
    `rm -rf ${previous}`,
    '',
  ].join('\n');
  return { toolDirectory: work, latest, prepare: ['/bin/bash', '-c', prepare], keep: ['/bin/bash', '-c', keep] };
}
