/**
 * The backup commands, one per data-holding engine, with everything site-specific passed as variables,
 * so the same text is what the restore verification (`npm run restore-verify`, the restore drill) runs
 * against real servers. Redis's runs in each primary's Velero pre-backup hook (below); PostgreSQL's in
 * the business database's daily backup job (`databaseBackupJobCommand`, constructs/backup/database-backup.ts),
 * which for another product runs its vendor's tool between the two steps `vendorBackupSteps` writes.
 *
 * Each engine's own dump, checked by the engine's own tool before the file leaves the pod:
 * - Redis: `redis-cli --rdb` (a full snapshot over the replication protocol, TLS as every client) and
 *   `redis-check-rdb`;
 * - PostgreSQL: `pg_basebackup` (plain format, WAL streamed in, a SHA-256 backup manifest) and
 *   `pg_verifybackup`, then one tar.gz.
 * A check that fails ends the script non-zero: the job fails and nothing is uploaded.
 */

/** Variables: REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_TLS_CA_FILE, BACKUP_FILE. */
export const REDIS_BACKUP_SCRIPT = [
  'set -eu',
  // The password in REDISCLI_AUTH (redis-cli reads it there), not on the command line the process list shows.
  'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --tls --cacert "$REDIS_TLS_CA_FILE" -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$BACKUP_FILE"',
  'redis-check-rdb "$BACKUP_FILE"',
  '',
].join('\n');

/** Variables: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq reads it itself), BACKUP_DIR, BACKUP_FILE. */
export const POSTGRESQL_BACKUP_SCRIPT = [
  'set -eu',
  'pg_basebackup --no-password -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$BACKUP_DIR/base" -Fp -X stream --checkpoint=fast --manifest-checksums=SHA256',
  'pg_verifybackup "$BACKUP_DIR/base"',
  'tar -czf "$BACKUP_FILE" -C "$BACKUP_DIR/base" .',
  '',
].join('\n');

/**
 * Velero pre-backup hook of a Redis primary (pod annotations): the Redis backup script, run in the redis
 * container against the server itself, writing its checked dump onto the data volume Velero copies
 * next. Only the variables are wired here: the chart's container has REDIS_PASSWORD (the toolkit keeps
 * the chart's `auth.usePasswordFiles: false`), REDIS_TLS_PORT and REDIS_TLS_CA_FILE. A failed dump fails
 * the backup (`on-error: Fail`).
 */
export function redisBackupHookAnnotations(backupFile: string): Record<string, string> {
  const directory = backupFile.slice(0, backupFile.lastIndexOf('/'));
  const wiring = [
    `export REDIS_HOST=127.0.0.1 REDIS_PORT="$REDIS_TLS_PORT" BACKUP_FILE=${backupFile}`,
    `mkdir -p ${directory}`,
  ].join('\n');
  return {
    'pre.hook.backup.velero.io/container': 'redis',
    'pre.hook.backup.velero.io/command': JSON.stringify(['/bin/bash', '-c', `${wiring}\n${REDIS_BACKUP_SCRIPT}`]),
    'pre.hook.backup.velero.io/on-error': 'Fail',
    'pre.hook.backup.velero.io/timeout': '10m',
  };
}

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
