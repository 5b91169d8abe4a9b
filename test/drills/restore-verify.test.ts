/**
 * Restore drill (#15): real redis-server and PostgreSQL on loopback, the toolkit's backup scripts run
 * unchanged (backup/restore-verify.ts, what `npm run restore-verify` runs). Every restore must equal its
 * source; a truncated or corrupted backup must be refused by the engine's own tools; a broken backup
 * script must fail the drill. The Velero pre-backup hook is run as synthesized for the demo's Redis
 * primaries (its command array from the release's pod annotations), as the hook runs in the pod.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPostgresqlBackup, verifyRedisBackup, type Damage, type RestoreResult } from '../../backup/restore-verify';
import { POSTGRESQL_BACKUP_SCRIPT, REDIS_BACKUP_SCRIPT } from '../../model/backup-commands';
import { loadEnvironment, synthesizeStacks } from '../support/fixtures';

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
  ['redis without TLS (the servers listen on TLS only)', (work) => verifyRedisBackup(work, 'none', 1000, { kind: 'script', script: REDIS_BACKUP_SCRIPT.replace('--tls --cacert "$REDIS_TLS_CA_FILE" ', '') }), /the backup script failed/],
  ['postgresql without its WAL (-X none)', (work) => verifyPostgresqlBackup(work, 'none', 1000, POSTGRESQL_BACKUP_SCRIPT.replace('-X stream', '-X none')), /the backup script failed .*pg_verifybackup/],
])('fails with a broken backup script: %s', async (_what, run, failure) => {
  const error = await inScratch(run).then(
    () => undefined,
    (e: Error) => e,
  );
  console.log(`broken backup script: ${error?.message ?? 'passed'}`);
  expect(error?.message).toMatch(failure);
});

test("the Velero pre-backup hook of a Redis primary, as synthesized, takes a dump that restores identical; broken, it fails the backup", async () => {
  const [stack] = [...synthesizeStacks([loadEnvironment('demo')]).values()];
  const release = Object.values(stack!.resource.helm_release!).find((r) => r.chart === 'redis')!;
  const annotations = (JSON.parse((release.values as string[])[0]!) as { master: { podAnnotations: Record<string, string> } }).master.podAnnotations;
  const command = JSON.parse(annotations['pre.hook.backup.velero.io/command']!) as string[];
  const backupFile = /BACKUP_FILE=(\S+)/.exec(command[2]!)![1]!;
  const result = await inScratch((work) => verifyRedisBackup(work, 'none', 5000, { kind: 'pod-hook', command, backupFile }));
  console.log(`Redis pre-backup hook as synthesized: ${result.source.count} keys, dump ${result.backupBytes} bytes at ${backupFile}, restored ${result.restored?.count}`);
  expect(result.restored).toEqual(result.source);
  // The hook without its TLS options cannot reach a TLS-only server: the backup fails (on-error: Fail).
  const broken = [command[0]!, command[1]!, command[2]!.replace('--tls --cacert "$REDIS_TLS_CA_FILE" ', '')];
  const error = await inScratch((work) => verifyRedisBackup(work, 'none', 1000, { kind: 'pod-hook', command: broken, backupFile })).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message).toMatch(/the backup hook failed/);
});
