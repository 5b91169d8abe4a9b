/**
 * The Redis pairs' backup: each primary's checked dump (`redis-cli --rdb` + `redis-check-rdb`), run in its
 * Velero pre-backup hook with everything site-specific passed as variables, so the same text is what the
 * restore verification (`npm run restore-verify`, the restore drill) runs against a real server. A check
 * that fails ends the script non-zero and nothing is uploaded.
 */

/** Variables: REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, REDIS_TLS_CA_FILE, BACKUP_FILE. */
export const REDIS_BACKUP_SCRIPT = [
  'set -eu',
  // The password in REDISCLI_AUTH (redis-cli reads it there), not on the command line the process list shows.
  'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --tls --cacert "$REDIS_TLS_CA_FILE" -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$BACKUP_FILE"',
  'redis-check-rdb "$BACKUP_FILE"',
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
