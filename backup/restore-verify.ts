/**
 * Restore verification (恢复验证): a backup counts only once it has been restored. For each engine the
 * toolkit backs up, a real server (Debian's redis-server, PostgreSQL) is started on loopback in a
 * scratch directory and filled with data; the backup script the toolkit synthesizes
 * (pairs/redis/redis-backup.ts, pairs/database/database-backup.ts) is run unchanged with `sh -c`, its variables pointing at that server; the
 * backup is restored into a second, scratch server and compared with the source: keys and a digest of
 * every key's type, value and TTL bucket for Redis; rows and an md5 of every row for PostgreSQL. A
 * damaged backup (truncated, or a flipped byte) must be refused by the engine's own tools, and the
 * refusal is reported with their words.
 *
 * Bounded: every wait has a deadline; every server started here is stopped before returning.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REDIS_BACKUP_SCRIPT } from '../pairs/redis/redis-backup';
import { POSTGRESQL_BACKUP_SCRIPT } from '../pairs/database/database-backup';
import { RespClient, type RedisTls } from '../pairs/redis/resp-client';

export class RestoreVerifyError extends Error {}

export type Damage = 'none' | 'truncated' | 'flipped-byte';

export interface RestoreResult {
  readonly engine: 'redis' | 'postgresql';
  /** Keys (Redis) or rows (PostgreSQL) at the source when the backup was taken, and after the restore. */
  readonly source: { readonly count: number; readonly digest: string };
  readonly restored?: { readonly count: number; readonly digest: string };
  readonly backupBytes: number;
  /** The engine's own words when it refused the damaged backup. */
  readonly refusal?: string;
  readonly seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, seconds: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new RestoreVerifyError(`${what} within ${seconds} s`);
}

/** Stops a server started here (SIGTERM); SIGKILL after 10 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a synthesized backup script as its job's container would (`sh -c`), with its variables. */
function runScript(script: string, variables: Record<string, string>, user?: string): void {
  const command = user ? ['runuser', '-u', user, '--', 'sh', '-c', script] : ['sh', '-c', script];
  const run = spawnSync(command[0]!, command.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...variables }, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new RestoreVerifyError(`the backup script failed (exit ${run.status ?? run.signal}): ${(run.stderr || run.stdout).trim().split('\n').slice(-4).join(' | ')}`);
}

function damage(file: string, how: Damage): void {
  if (how === 'truncated') truncateSync(file, Math.floor(statSync(file).size / 2));
  if (how === 'flipped-byte') {
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
  }
}

// ---------------------------------------------------------------- Redis

const REDIS_PASSWORD = 'restore-verify-only';

/** A CA and a server certificate for 127.0.0.1, as the Redis TLS Secret would hold them. */
function loopbackCertificates(dir: string): { certificate: string; key: string; ca: string } {
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=restore-verify CA');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('req', ...ec, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=restore-verify');
  openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-extfile', 'san.ext');
  return { certificate: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: join(dir, 'ca.crt') };
}

function startRedis(dir: string, port: number, extra: string[]): { child: ChildProcess; log: string } {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'redis.log');
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--dir', dir, '--logfile', log, '--daemonize', 'no', '--save', '', '--appendonly', 'no', ...(port === 0 ? [] : ['--port', String(port)]), ...extra], { stdio: 'ignore' });
  return { child, log };
}

/** Keys and a digest of every key's name, type, value (members sorted where unordered) and whether it expires. */
async function redisContent(client: RespClient): Promise<{ count: number; digest: string }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.call('SCAN', cursor, 'COUNT', '1000')) as [string, string[]];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  keys.sort();
  const hash = createHash('sha256');
  const READ: Record<string, (key: string) => string[]> = { string: (k) => ['GET', k], hash: (k) => ['HGETALL', k], list: (k) => ['LRANGE', k, '0', '-1'], set: (k) => ['SMEMBERS', k], zset: (k) => ['ZRANGE', k, '0', '-1', 'WITHSCORES'] };
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const types = (await client.pipeline(batch.map((k) => ['TYPE', k]))) as string[];
    const replies = await client.pipeline(batch.flatMap((k, j) => [READ[types[j]!]?.(k) ?? ['TYPE', k], ['PTTL', k]]));
    batch.forEach((key, j) => {
      const value = replies[2 * j];
      // Hash fields and set members come in no fixed order.
      const canonical = types[j] === 'set' && Array.isArray(value) ? [...value].map(String).sort() : types[j] === 'hash' && Array.isArray(value) ? pairs(value.map(String)).sort() : value;
      hash.update(`${key}\0${types[j]}\0${JSON.stringify(canonical)}\0${(replies[2 * j + 1] as number) >= 0 ? 'expires' : 'persistent'}\n`);
    });
  }
  return { count: keys.length, digest: hash.digest('hex') };
}

function pairs(flat: readonly string[]): string[] {
  const result: string[] = [];
  for (let i = 0; i < flat.length; i += 2) result.push(`${flat[i]}=${flat[i + 1]}`);
  return result;
}

/**
 * How the Redis backup is taken: the backup script with its variables (`sh -c`), or the Velero
 * pre-backup hook exactly as synthesized (its command array), run as the hook runs in the redis
 * container: the chart's variables (REDIS_PASSWORD, REDIS_TLS_PORT, REDIS_TLS_CA_FILE) and nothing
 * else, with `/data` (the primary's volume) and `/certs` of a private root made of the host's system
 * directories (`unshare --mount` + `chroot`, so the hook's absolute paths land in scratch space).
 */
export type RedisBackupRun = { readonly kind: 'script'; readonly script: string } | { readonly kind: 'pod-hook'; readonly command: readonly string[]; readonly backupFile: string };

/** Runs a pod hook's command in a private root: host system directories read-only, `/data` and `/certs` scratch. */
function runInPodRoot(root: string, mounts: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>, command: readonly string[], user?: { readonly uid: number; readonly gid: number }): void {
  mkdirSync(root, { recursive: true });
  const setup: string[] = [];
  for (const dir of ['usr', 'etc', 'dev', 'bin', 'sbin', 'lib', 'lib64']) {
    const host = `/${dir}`;
    if (!existsSync(host)) continue;
    const link = spawnSync('readlink', [host], { encoding: 'utf8' }).stdout.trim();
    if (link) {
      // Merged /usr: /bin -> usr/bin and the like, as on the host.
      spawnSync('ln', ['-sfn', link, join(root, dir)]);
    } else {
      mkdirSync(join(root, dir), { recursive: true });
      setup.push(`mount --bind ${host} ${join(root, dir)}`, `mount -o remount,bind,ro ${join(root, dir)}`);
    }
  }
  for (const [inside, outside] of Object.entries(mounts)) {
    mkdirSync(join(root, inside), { recursive: true });
    setup.push(`mount --bind ${outside} ${join(root, inside)}`);
  }
  const environment = Object.entries(variables).map(([k, v]) => `${k}=${v}`);
  const run = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', `set -e; ${setup.join('; ')}; exec "$@"`, 'pod-root', 'chroot', ...(user ? [`--userspec=${user.uid}:${user.gid}`] : []), root, '/usr/bin/env', '-i', ...environment, ...command], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new RestoreVerifyError(`the backup in its pod failed (exit ${run.status ?? run.signal}): ${(run.stderr || run.stdout).trim().split('\n').slice(-4).join(' | ')}`);
}

export async function verifyRedisBackup(work: string, how: Damage = 'none', keys = 20_000, backup: RedisBackupRun = { kind: 'script', script: REDIS_BACKUP_SCRIPT }): Promise<RestoreResult> {
  const started = Date.now();
  const certs = loopbackCertificates(join(work, 'certs'));
  const tls: RedisTls = { ca: readFileSync(certs.ca) };
  const sourcePort = 16_380;
  const restorePort = 16_381;
  const source = startRedis(join(work, 'source'), 0, ['--port', '0', '--tls-port', String(sourcePort), '--tls-cert-file', certs.certificate, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--requirepass', REDIS_PASSWORD, '--repl-diskless-sync', 'yes']);
  const servers = [source.child];
  try {
    const client = await until('the source redis-server did not answer over TLS', 15, async () => {
      const c = await RespClient.connect(sourcePort, '127.0.0.1', 1000, tls);
      await c.call('AUTH', REDIS_PASSWORD);
      return c;
    });
    // Strings, hashes, lists and sets; a tenth of the keys expire in an hour.
    for (let i = 0; i < keys; i += 1000) {
      const commands: string[][] = [];
      for (let n = i; n < Math.min(keys, i + 1000); n++) {
        if (n % 4 === 0) commands.push(['SET', `session:${n}`, `user-${n}`]);
        if (n % 4 === 1) commands.push(['HSET', `settlement:${n}`, 'amount', String(n * 3), 'site', 'A']);
        if (n % 4 === 2) commands.push(['RPUSH', `queue:${n}`, 'a', 'b', String(n)]);
        if (n % 4 === 3) commands.push(['SADD', `set:${n}`, 'x', String(n)]);
        if (n % 10 === 0) commands.push(['EXPIRE', commands[commands.length - 1]![1]!, '3600']);
      }
      await client.pipeline(commands);
    }
    const sourceContent = await redisContent(client);
    client.close();

    let backupFile: string;
    if (backup.kind === 'script') {
      backupFile = join(work, 'backup', 'dump.rdb');
      mkdirSync(join(work, 'backup'), { recursive: true });
      runScript(backup.script, { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(sourcePort), REDIS_PASSWORD, REDIS_TLS_CA_FILE: certs.ca, BACKUP_FILE: backupFile });
    } else {
      const volume = join(work, 'volume');
      mkdirSync(volume, { recursive: true });
      if (!backup.backupFile.startsWith('/data/')) throw new RestoreVerifyError(`the hook writes ${backup.backupFile}, not on the primary's volume (/data)`);
      runInPodRoot(join(work, 'pod-root'), { data: volume, certs: join(work, 'certs') }, { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', REDIS_PASSWORD, REDIS_TLS_PORT: String(sourcePort), REDIS_TLS_CA_FILE: '/certs/ca.crt' }, backup.command);
      backupFile = join(volume, backup.backupFile.slice('/data/'.length));
    }
    const backupBytes = statSync(backupFile).size;
    damage(backupFile, how);

    // Restore: the file is the scratch server's dataset.
    const restoreDir = join(work, 'restore');
    mkdirSync(restoreDir, { recursive: true });
    writeFileSync(join(restoreDir, 'dump.rdb'), readFileSync(backupFile));
    const restored = startRedis(restoreDir, restorePort, ['--dbfilename', 'dump.rdb']);
    servers.push(restored.child);
    const outcome = await Promise.race([
      until('the restored redis-server did not answer', 30, async () => {
        const c = await RespClient.connect(restorePort, '127.0.0.1', 1000);
        const [loading] = await c.pipeline([['PING']]);
        if (loading !== 'PONG') {
          c.close();
          return undefined;
        }
        return c;
      }).then((c) => ({ client: c })),
      new Promise<{ exited: number | null }>((resolve) => restored.child.once('exit', (code) => resolve({ exited: code }))),
    ]);
    if ('exited' in outcome) {
      const words = readFileSync(restored.log, 'utf8').split('\n').filter((l) => / # /.test(l) && !/WARNING|Server initialized/.test(l)).slice(-3).map((l) => l.replace(/^\d+:\w \d+ \w+ \d+ [\d:.]+ /, '')).join(' | ');
      return { engine: 'redis', source: sourceContent, backupBytes, refusal: `redis-server refused the backup (exit ${outcome.exited}): ${words}`, seconds: (Date.now() - started) / 1000 };
    }
    const restoredContent = await redisContent(outcome.client);
    outcome.client.close();
    return { engine: 'redis', source: sourceContent, restored: restoredContent, backupBytes, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const server of servers) await stop(server);
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** Debian's server binaries (`/usr/lib/postgresql/<major>/bin`), the newest installed. */
export function postgresqlBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'postgres'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new RestoreVerifyError('no PostgreSQL server in /usr/lib/postgresql: apt-get install -y postgresql (.ci/run does)');
  return join(root, newest, 'bin');
}

const PG_USER = 'postgres';
const PG_BACKUP_USER = 'hsa_backup';
const PG_PASSWORD = 'restore-verify-only';

function asPostgres(bin: string, args: string[], cwd: string): string {
  return execFileSync('runuser', ['-u', PG_USER, '--', join(bin, args[0]!), ...args.slice(1)], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

function startPostgres(bin: string, dataDir: string, port: number, socketDir: string): { child: ChildProcess; output: () => string } {
  const child = spawn('runuser', ['-u', PG_USER, '--', join(bin, 'postgres'), '-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stdout?.resume();
  return { child, output: () => output };
}

function psql(bin: string, port: number, socketDir: string, sql: string): string {
  return execFileSync('runuser', ['-u', PG_USER, '--', join(bin, 'psql'), '-h', socketDir, '-p', String(port), '-d', 'hsa', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim();
}

const ROWS_DIGEST = "SELECT count(*) || ' ' || md5(coalesce(string_agg(s::text, ',' ORDER BY id), '')) FROM settlement s";

/**
 * How the PostgreSQL backup is taken: the backup script with its variables, or the database backup job
 * exactly as synthesized (its container's command and environment), run as the job runs in its pod: the
 * environment it declares (the Secret's `username`/`password` filled with the scratch server's backup
 * role) and nothing else but PATH, with its volume at `mountPath` of a private root. Its PGHOST and
 * PGPORT must lead to the scratch server (127.0.0.1:15432), or the backup fails.
 */
export type PostgresqlBackupRun =
  | { readonly kind: 'script'; readonly script: string }
  | {
      readonly kind: 'cron-job';
      readonly command: readonly string[];
      readonly env: readonly { readonly name: string; readonly value?: string; readonly secretKey?: string }[];
      readonly mountPath: string;
    };

/** The scratch server the PostgreSQL backup is taken from. */
export const POSTGRESQL_SOURCE = { host: '127.0.0.1', port: 15_432 } as const;

export async function verifyPostgresqlBackup(work: string, how: Damage = 'none', rows = 50_000, backup: PostgresqlBackupRun = { kind: 'script', script: POSTGRESQL_BACKUP_SCRIPT }): Promise<RestoreResult> {
  const started = Date.now();
  const bin = postgresqlBin();
  const postgres = userIds(PG_USER);
  const own = (path: string) => ownedDirectory(path, postgres);
  own(work);
  const sockets = own(join(work, 'sockets'));
  const sourcePort = POSTGRESQL_SOURCE.port;
  const restorePort = 15_433;
  const servers: ChildProcess[] = [];
  try {
    // The backup job connects over TCP with a password, as a role with the REPLICATION attribute.
    const sourceContent = await startSourceDatabase(bin, work, sockets, rows, 'replication', servers);

    const backupDir = own(join(work, 'backup'));
    let backupFile: string;
    if (backup.kind === 'script') {
      backupFile = join(backupDir, 'base.tar.gz');
      runScript(backup.script, { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, PGHOST: POSTGRESQL_SOURCE.host, PGPORT: String(sourcePort), PGUSER: PG_BACKUP_USER, PGPASSWORD: PG_PASSWORD, BACKUP_DIR: backupDir, BACKUP_FILE: backupFile }, PG_USER);
    } else {
      runInPodRoot(join(work, 'pod-root'), { [backup.mountPath.replace(/^\//, '')]: backupDir }, podVariables(bin, backup.env, "the backup job's"), backup.command);
      backupFile = join(backupDir, 'database.tar.gz');
      if (!existsSync(backupFile)) throw new RestoreVerifyError(`the backup job succeeded but left no ${backup.mountPath}/database.tar.gz`);
    }
    const backupBytes = statSync(backupFile).size;

    // Restore: unpack, verify against the backup's own manifest, start.
    const restoreDir = own(join(work, 'restore'));
    if (how === 'truncated') damage(backupFile, how);
    const unpack = spawnSync('runuser', ['-u', PG_USER, '--', 'tar', '-xzf', backupFile, '-C', restoreDir], { encoding: 'utf8', timeout: 120_000 });
    if (unpack.status !== 0) return { engine: 'postgresql', source: sourceContent, backupBytes, refusal: `tar refused the backup: ${unpack.stderr.trim().split('\n').slice(-2).join(' | ')}`, seconds: (Date.now() - started) / 1000 };
    if (how === 'flipped-byte') damage(largestRelationFile(restoreDir), how);
    const verified = spawnSync('runuser', ['-u', PG_USER, '--', join(bin, 'pg_verifybackup'), '--no-parse-wal', restoreDir], { encoding: 'utf8', timeout: 120_000 });
    if (verified.status !== 0) return { engine: 'postgresql', source: sourceContent, backupBytes, refusal: `pg_verifybackup refused the backup: ${verified.stderr.trim().split('\n').slice(0, 2).join(' | ')}`, seconds: (Date.now() - started) / 1000 };
    const restored = startPostgres(bin, restoreDir, restorePort, sockets);
    servers.push(restored.child);
    await until(`the restored PostgreSQL did not start (${restored.output().split('\n').slice(-2).join(' | ')})`, 60, async () => (psqlReady(bin, restorePort, sockets) ? true : undefined));
    const [restoredCount, restoredDigest] = psql(bin, restorePort, sockets, ROWS_DIGEST).split(' ');
    return { engine: 'postgresql', source: sourceContent, restored: { count: Number(restoredCount), digest: restoredDigest! }, backupBytes, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const server of servers) await stop(server);
  }
}

/** A directory owned by `owner`, private to it. */
function ownedDirectory(path: string, owner: { readonly uid: number; readonly gid: number }): string {
  mkdirSync(path, { recursive: true });
  chownSync(path, owner.uid, owner.gid);
  chmodSync(path, 0o700);
  return path;
}

/**
 * The scratch source server of a restore check, started (into `servers`) and filled with `rows` rows:
 * database `hsa`, and the backup role logging in over TCP with a password, for `replication`
 * (pg_basebackup) or to read every table (`read-all`, a vendor tool's dump). Answers its content.
 */
async function startSourceDatabase(bin: string, work: string, sockets: string, rows: number, login: 'replication' | 'read-all', servers: ChildProcess[]): Promise<{ count: number; digest: string }> {
  const sourceDir = join(work, 'source');
  const port = POSTGRESQL_SOURCE.port;
  asPostgres(bin, ['initdb', '-D', sourceDir, '-A', 'trust', '--data-checksums', '-U', PG_USER], work);
  const hba = login === 'replication' ? `host replication ${PG_BACKUP_USER} 127.0.0.1/32 scram-sha-256` : `host hsa ${PG_BACKUP_USER} 127.0.0.1/32 scram-sha-256`;
  writeFileSync(join(sourceDir, 'pg_hba.conf'), ['local all all trust', hba, ''].join('\n'));
  const source = startPostgres(bin, sourceDir, port, sockets);
  servers.push(source.child);
  await until(`the source PostgreSQL did not start (${source.output().split('\n').slice(-2).join(' | ')})`, 30, async () => (existsSync(join(sockets, `.s.PGSQL.${port}`)) && psqlReady(bin, port, sockets) ? true : undefined));
  execFileSync('runuser', ['-u', PG_USER, '--', join(bin, 'psql'), '-h', sockets, '-p', String(port), '-d', 'postgres', '-c', 'CREATE DATABASE hsa'], { stdio: 'ignore' });
  psql(bin, port, sockets, login === 'replication' ? `CREATE ROLE ${PG_BACKUP_USER} LOGIN REPLICATION PASSWORD '${PG_PASSWORD}'` : `CREATE ROLE ${PG_BACKUP_USER} LOGIN PASSWORD '${PG_PASSWORD}'; GRANT pg_read_all_data TO ${PG_BACKUP_USER}`);
  psql(bin, port, sockets, `CREATE TABLE settlement (id bigint PRIMARY KEY, insured text, amount numeric(12,2), settled_at timestamptz); INSERT INTO settlement SELECT n, 'insured-' || n, n * 1.5, timestamptz '2026-01-01' + n * interval '1 minute' FROM generate_series(1, ${rows}) n`);
  const [count, digest] = psql(bin, port, sockets, ROWS_DIGEST).split(' ');
  return { count: Number(count), digest: digest! };
}

/**
 * A synthesized container's environment as its pod has it: plain values, and Secret keys filled from
 * the backup role's Secret (`username`, `password`: the scratch server's backup role). PATH is the image's.
 */
function podVariables(bin: string, env: readonly { readonly name: string; readonly value?: string; readonly secretKey?: string }[], who: string): Record<string, string> {
  const secret: Record<string, string> = { username: PG_BACKUP_USER, password: PG_PASSWORD };
  const variables: Record<string, string> = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin` };
  for (const entry of env) {
    const value = entry.value ?? (entry.secretKey !== undefined ? secret[entry.secretKey] : undefined);
    if (value === undefined) throw new RestoreVerifyError(`${who} variable ${entry.name} reads Secret key ${entry.secretKey ?? '(none)'}, which the backup role's Secret does not have (username, password)`);
    variables[entry.name] = value;
  }
  return variables;
}

function psqlReady(bin: string, port: number, sockets: string): boolean {
  return spawnSync(join(bin, 'pg_isready'), ['-h', sockets, '-p', String(port)], { stdio: 'ignore' }).status === 0;
}

/** The biggest file of the restored cluster's databases: the settlement table's heap. */
function largestRelationFile(dataDir: string): string {
  let best = { file: '', size: -1 };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (statSync(path).size > best.size) best = { file: path, size: statSync(path).size };
    }
  };
  walk(join(dataDir, 'base'));
  return best.file;
}

function userIds(user: string): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, user], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) throw new RestoreVerifyError(`no user ${user}: the PostgreSQL package creates it (apt-get install -y postgresql)`);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

// ---------------------------------------------------------------- another product's backup job

/** One container of a synthesized pod: its command, its environment (Secret keys by name) and its mounts. */
export interface PodContainer {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: readonly { readonly name: string; readonly value?: string; readonly secretKey?: string }[];
  readonly mounts: readonly { readonly volume: string; readonly mountPath: string }[];
}

/**
 * The business database's backup job of another product, as synthesized: its containers in the order the
 * kubelet runs them (init containers, then the main one), as the pod's user, the first failure ending
 * the run (restartPolicy Never). `backupVolume` is the volume the backups live on; every other volume is
 * an empty scratch directory. `latest` is where the job keeps the latest backup inside the pod.
 */
export interface VendorBackupJob {
  readonly containers: readonly PodContainer[];
  readonly backupVolume: string;
  readonly latest: string;
  readonly user: { readonly uid: number; readonly gid: number };
}

export interface VendorBackupRun {
  /** undefined when the job succeeded; otherwise the failing container's words. */
  readonly failure?: string;
  /** A digest of every file of `latest` after the run (undefined when there is none). */
  readonly latestDigest?: string;
}

export interface VendorRestoreResult {
  readonly source: { readonly count: number; readonly digest: string };
  readonly runs: readonly VendorBackupRun[];
  readonly restored?: { readonly count: number; readonly digest: string };
  readonly backupBytes: number;
  readonly seconds: number;
}

/**
 * Runs the jobs one after the other against a real PostgreSQL standing in for the vendor's database
 * (the drill's "vendor tool" is pg_dump, run by the command a DBA would declare), on one backup volume,
 * then restores the latest backup the volume holds with `restore` (the DBA's restore procedure: it
 * gets the backup directory and the scratch server's port and socket directory) and compares rows.
 */
export async function verifyVendorBackupJobs(
  work: string,
  jobs: readonly VendorBackupJob[],
  restore: (latest: string, target: { readonly bin: string; readonly port: number; readonly sockets: string }) => void,
  rows = 20_000,
): Promise<VendorRestoreResult> {
  const started = Date.now();
  const bin = postgresqlBin();
  const postgres = userIds(PG_USER);
  ownedDirectory(work, postgres);
  // The pod's user (not postgres) must reach its root and volume below the work directory.
  chmodSync(work, 0o755);
  const sockets = ownedDirectory(join(work, 'sockets'), postgres);
  const restoreDir = join(work, 'restore');
  const restorePort = 15_433;
  const servers: ChildProcess[] = [];
  try {
    // The vendor tool logs in over TCP with a password, as a role that may read every table.
    const sourceContent = await startSourceDatabase(bin, work, sockets, rows, 'read-all', servers);

    const runs: VendorBackupRun[] = [];
    let backupVolume: string | undefined;
    let latestOutside: string | undefined;
    for (const [index, job] of jobs.entries()) {
      backupVolume ??= ownedDirectory(join(work, 'volume'), job.user);
      const backupMount = job.containers.flatMap((c) => c.mounts).find((m) => m.volume === job.backupVolume)?.mountPath;
      if (!backupMount || !job.latest.startsWith(`${backupMount}/`)) throw new RestoreVerifyError(`the job keeps its latest backup at ${job.latest}, not on its backup volume ${job.backupVolume}`);
      latestOutside = join(backupVolume, job.latest.slice(backupMount.length + 1));
      let failure: string | undefined;
      for (const container of job.containers) {
        const variables = podVariables(bin, container.env, `container ${container.name}:`);
        const mounts: Record<string, string> = {};
        for (const mount of container.mounts) {
          mounts[mount.mountPath.replace(/^\//, '')] = mount.volume === job.backupVolume ? backupVolume : ownedDirectory(join(work, `scratch-${index}-${container.name}-${mount.volume}`), job.user);
        }
        try {
          runInPodRoot(join(work, 'pod-root'), mounts, variables, container.command, job.user);
        } catch (error) {
          failure = `container ${container.name}: ${(error as Error).message}`;
          break;
        }
      }
      runs.push({ ...(failure ? { failure } : {}), ...(existsSync(latestOutside) ? { latestDigest: directoryDigest(latestOutside) } : {}) });
    }
    if (!latestOutside || !existsSync(latestOutside)) return { source: sourceContent, runs, backupBytes: 0, seconds: (Date.now() - started) / 1000 };
    const backupBytes = readdirSync(latestOutside).reduce((sum, f) => sum + statSync(join(latestOutside!, f)).size, 0);

    asPostgres(bin, ['initdb', '-D', restoreDir, '-A', 'trust', '-U', PG_USER], work);
    const restored = startPostgres(bin, restoreDir, restorePort, sockets);
    servers.push(restored.child);
    await until(`the scratch PostgreSQL did not start (${restored.output().split('\n').slice(-2).join(' | ')})`, 30, async () => (psqlReady(bin, restorePort, sockets) ? true : undefined));
    execFileSync('runuser', ['-u', PG_USER, '--', join(bin, 'psql'), '-h', sockets, '-p', String(restorePort), '-d', 'postgres', '-c', 'CREATE DATABASE hsa'], { stdio: 'ignore' });
    restore(latestOutside, { bin, port: restorePort, sockets });
    const [restoredCount, restoredDigest] = psql(bin, restorePort, sockets, ROWS_DIGEST).split(' ');
    return { source: sourceContent, runs, restored: { count: Number(restoredCount), digest: restoredDigest! }, backupBytes, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const server of servers) await stop(server);
  }
}

/** sha256 over every file's name and bytes, in name order. */
function directoryDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(name).update('\0').update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}
