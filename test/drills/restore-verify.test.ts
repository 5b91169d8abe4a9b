/**
 * Restore drill (#15): real redis-server and PostgreSQL on loopback, the toolkit's backup scripts run
 * unchanged (backup/restore-verify.ts, what `npm run restore-verify` runs). Every restore must equal its
 * source; a truncated or corrupted backup must be refused by the engine's own tools; a broken backup
 * script must fail the drill. The Velero pre-backup hook is run as synthesized for the demo's Redis
 * primaries (its command array from the release's pod annotations), as the hook runs in the pod; the
 * business database's backup job as synthesized (its CronJob's command and environment), as in its pod.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { POSTGRESQL_SOURCE, verifyPostgresqlBackup, verifyRedisBackup, verifyVendorBackupJobs, type Damage, type PodContainer, type PostgresqlBackupRun, type RestoreResult, type VendorBackupJob } from '../../backup/restore-verify';
import { REDIS_BACKUP_SCRIPT } from '../../pairs/redis/redis-backup';
import { POSTGRESQL_BACKUP_SCRIPT } from '../../pairs/database/database-backup';
import { DATABASE_BACKUP_MOUNT } from '../../model/backup-plan';
import { environmentJson, loadEnvironment, parseJson, synthesizeStacks } from '../support/fixtures';

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
  ['postgresql without its WAL (-X none)', (work) => verifyPostgresqlBackup(work, 'none', 1000, { kind: 'script', script: POSTGRESQL_BACKUP_SCRIPT.replace('-X stream', '-X none') }), /the backup script failed .*pg_verifybackup/],
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
  expect(error?.message).toMatch(/the backup in its pod failed/);
});

/** Site A's database is the drill's scratch PostgreSQL on loopback: its address, and loopback among site A's networks. */
function placeDatabaseAtTheDrill(env: ReturnType<typeof environmentJson>): void {
  const siteA = (env.sites as Record<string, { networks?: string[]; zones: { core: { middlewareVips: Record<string, string> } } }>).A!;
  siteA.zones.core.middlewareVips.database = POSTGRESQL_SOURCE.host;
  siteA.networks = [...(siteA.networks ?? []), '127.0.0.0/8'];
}

/**
 * The database backup job of demo-core-a as synthesized, for a demo whose site-A database is the drill's
 * scratch PostgreSQL (its address and port declared in the environment, as a province declares its own).
 */
function synthesizedDatabaseJob(): PostgresqlBackupRun & { kind: 'cron-job' } {
  const env = environmentJson('demo');
  placeDatabaseAtTheDrill(env);
  (env.middleware as { database: object }).database = { product: 'postgresql', port: POSTGRESQL_SOURCE.port };
  const stack = synthesizeStacks([parseJson(env)]).get('demo-core-a')!;
  type Container = { command: string[]; env: { name: string; value?: string; value_from?: { secret_key_ref: { key: string } } }[]; volume_mount: { mount_path: string }[] };
  const jobs = Object.values(stack.resource.kubernetes_cron_job_v1 ?? {}) as unknown as { spec: { job_template: { spec: { template: { spec: { container: Container[] } } } } } }[];
  if (jobs.length !== 1) throw new Error(`expected one database backup job in demo-core-a, found ${jobs.length}`);
  const container = jobs[0]!.spec.job_template.spec.template.spec.container[0]!;
  return {
    kind: 'cron-job',
    command: container.command,
    env: container.env.map((e) => ({ name: e.name, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.value_from ? { secretKey: e.value_from.secret_key_ref.key } : {}) })),
    mountPath: container.volume_mount[0]!.mount_path,
  };
}

test('the database backup job, as synthesized, takes a backup that restores identical; broken, it fails on pg_verifybackup', async () => {
  const job = synthesizedDatabaseJob();
  const result = await inScratch((work) => verifyPostgresqlBackup(work, 'none', 20_000, job));
  console.log(`database backup job as synthesized: ${result.source.count} rows, backup ${result.backupBytes} bytes at ${job.mountPath}/database.tar.gz, restored ${result.restored?.count}`);
  expect(result.refusal).toBeUndefined();
  expect(result.restored).toEqual(result.source);

  // Without the WAL the backup cannot be verified: the job fails before anything replaces the last backup.
  const broken = { ...job, command: job.command.map((part) => part.replace('-X stream', '-X none')) };
  expect(broken.command).not.toEqual(job.command);
  const error = await inScratch((work) => verifyPostgresqlBackup(work, 'none', 1000, broken)).then(
    () => undefined,
    (e: Error) => e,
  );
  console.log(`database backup job without its WAL: ${error?.message ?? 'passed'}`);
  expect(error?.message).toMatch(/failed .*pg_verifybackup/);
});

/**
 * A DBA's backup command for "another product", as an environment declares it: here the product is the
 * drill's PostgreSQL and the vendor tool pg_dump, with its own check (pg_restore --list reads the whole
 * archive's table of contents). Whatever the product, the command only sees the HSA_* variables.
 */
const VENDOR_BACKUP_COMMAND = [
  '/bin/sh',
  '-c',
  'PGPASSWORD="$HSA_DB_PASSWORD" pg_dump --no-password -h "$HSA_DB_HOST" -p "$HSA_DB_PORT" -U "$HSA_DB_USER" -d hsa -Fc -f "$HSA_BACKUP_DIR/hsa.dump" && pg_restore --list "$HSA_BACKUP_DIR/hsa.dump" > /dev/null',
];

/** demo-core-a's database backup job as synthesized, for a demo whose database is another product with `command` as its backup tool. */
function synthesizedVendorJob(command: readonly string[]): VendorBackupJob {
  const env = environmentJson('demo');
  placeDatabaseAtTheDrill(env);
  (env.middleware as { database: object }).database = { product: 'other', name: 'a vendor database', port: POSTGRESQL_SOURCE.port, check: { command: ['/bin/true'] }, backup: { image: { name: 'vendor-tools', tag: '1.0' }, command } };
  const stack = synthesizeStacks([parseJson(env)]).get('demo-core-a')!;
  type Container = { name: string; command: string[]; env?: { name: string; value?: string; value_from?: { secret_key_ref: { key: string } } }[]; volume_mount: { name: string; mount_path: string }[] };
  type Pod = { security_context: { run_as_user: string; run_as_group: string }; init_container: Container[]; container: Container[] };
  const jobs = Object.values(stack.resource.kubernetes_cron_job_v1 ?? {}) as unknown as { spec: { job_template: { spec: { template: { spec: Pod } } } } }[];
  if (jobs.length !== 1) throw new Error(`expected one database backup job in demo-core-a, found ${jobs.length}`);
  const pod = jobs[0]!.spec.job_template.spec.template.spec;
  const container = (c: Container): PodContainer => ({
    name: c.name,
    command: c.command,
    env: (c.env ?? []).map((e) => ({ name: e.name, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.value_from ? { secretKey: e.value_from.secret_key_ref.key } : {}) })),
    mounts: c.volume_mount.map((m) => ({ volume: m.name, mountPath: m.mount_path })),
  });
  return {
    containers: [...pod.init_container, ...pod.container].map(container),
    backupVolume: 'backup',
    latest: `${DATABASE_BACKUP_MOUNT}/latest`,
    user: { uid: Number(pod.security_context.run_as_user), gid: Number(pod.security_context.run_as_group) },
  };
}

test("another product's backup job, as synthesized: the vendor tool's backup restores identical; a failed or empty run fails the job and keeps the previous backup", async () => {
  const good = synthesizedVendorJob(VENDOR_BACKUP_COMMAND);
  expect(good.containers.map((c) => c.name)).toEqual(['prepare', 'backup', 'keep']);
  // The vendor database unreachable (a wrong port): the tool fails.
  const failing = synthesizedVendorJob(VENDOR_BACKUP_COMMAND.map((part) => part.replace('-p "$HSA_DB_PORT"', '-p 1')));
  // A tool that exits 0 without writing anything.
  const empty = synthesizedVendorJob(['/bin/true']);
  const restore = (latest: string, target: { bin: string; port: number; sockets: string }) => {
    execFileSync(join(target.bin, 'pg_restore'), ['-h', target.sockets, '-p', String(target.port), '-U', 'postgres', '-d', 'hsa', '--exit-on-error', join(latest, 'hsa.dump')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  };
  const work = mkdtempSync(join(tmpdir(), 'hsa-restore-drill-'));
  try {
    const result = await verifyVendorBackupJobs(work, [good, failing, empty], restore, 20_000);
    const [first, second, third] = result.runs;
    console.log(`vendor backup job as synthesized: ${result.source.count} rows, backup ${result.backupBytes} bytes at ${good.latest}, restored ${result.restored?.count}; failing tool: ${second?.failure ?? 'succeeded'}; empty tool: ${third?.failure ?? 'succeeded'}`);
    expect(first).toEqual({ latestDigest: expect.any(String) });
    expect(second?.failure).toMatch(/^container backup: the backup in its pod failed .*pg_dump/);
    expect(third?.failure).toMatch(/^container keep: .*the backup tool exited 0 but wrote nothing/);
    // Neither failed run touched the backup the first one kept.
    expect(second?.latestDigest).toBe(first!.latestDigest);
    expect(third?.latestDigest).toBe(first!.latestDigest);
    expect(result.restored).toEqual(result.source);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
