/**
 * Restore drill (#15): real redis-server and PostgreSQL on loopback, the toolkit's backup scripts run
 * unchanged (backup/restore-verify.ts, what `npm run restore-verify` runs). Every restore must equal its
 * source; a truncated or corrupted backup must be refused by the engine's own tools; a broken backup
 * script must fail the drill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPostgresqlBackup, verifyRedisBackup, type Damage, type RestoreResult } from '../../backup/restore-verify';
import { POSTGRESQL_BACKUP_SCRIPT, REDIS_BACKUP_SCRIPT } from '../../model/backup-commands';

jest.setTimeout(300_000);

async function inScratch(run: (work: string) => Promise<RestoreResult>): Promise<RestoreResult> {
  const work = mkdtempSync(join(tmpdir(), 'hsa-restore-drill-'));
  try {
    return await run(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test.each<['redis' | 'postgresql']>([['redis'], ['postgresql']])('%s: the backup restores into a scratch server with the same content', async (engine) => {
  const result = await inScratch((work) => (engine === 'redis' ? verifyRedisBackup(work) : verifyPostgresqlBackup(work)));
  console.log(`${engine}: ${result.source.count} at the source, ${result.restored?.count} restored, backup ${result.backupBytes} bytes, ${result.seconds.toFixed(1)} s`);
  expect(result.refusal).toBeUndefined();
  expect(result.source.count).toBeGreaterThan(10_000);
  expect(result.restored).toEqual(result.source);
});

test.each<['redis' | 'postgresql', Damage, RegExp]>([
  ['redis', 'truncated', /^redis-server refused the backup .*Short read or OOM loading DB/],
  // Where the flipped byte lands decides which check trips first: the checksum, or the parser before it.
  ['redis', 'flipped-byte', /^redis-server refused the backup .*(Wrong RDB checksum|Internal error in RDB reading)/],
  ['postgresql', 'truncated', /^tar refused the backup: .*Unexpected EOF in archive/],
  ['postgresql', 'flipped-byte', /^pg_verifybackup refused the backup: .*checksum mismatch for file/],
])('%s: a %s backup is refused by the engine\'s own tools', async (engine, how, words) => {
  const result = await inScratch((work) => (engine === 'redis' ? verifyRedisBackup(work, how) : verifyPostgresqlBackup(work, how)));
  console.log(`${engine}, ${how}: ${result.refusal ?? 'accepted'}`);
  expect(result.restored).toBeUndefined();
  expect(result.refusal).toMatch(words);
});

test.each<[string, (work: string) => Promise<RestoreResult>, RegExp]>([
  ['redis without TLS (the servers listen on TLS only)', (work) => verifyRedisBackup(work, 'none', 1000, REDIS_BACKUP_SCRIPT.replace('--tls --cacert "$REDIS_TLS_CA_FILE" ', '')), /the backup script failed/],
  ['postgresql without its WAL (-X none)', (work) => verifyPostgresqlBackup(work, 'none', 1000, POSTGRESQL_BACKUP_SCRIPT.replace('-X stream', '-X none')), /the backup script failed .*pg_verifybackup/],
])('fails with a broken backup script: %s', async (_what, run, failure) => {
  const error = await inScratch(run).then(
    () => undefined,
    (e: Error) => e,
  );
  console.log(`broken backup script: ${error?.message ?? 'passed'}`);
  expect(error?.message).toMatch(failure);
});
