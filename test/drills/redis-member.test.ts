/**
 * The switchover's Redis steps against Debian's redis-server on loopback (TLS only, a password, as the
 * pairs run). Divergence: every kind of change at the old primary after the cut is found and saved in a
 * replayable form. Authentication: a wrong password is not a site that is down: Debian's redis-server (TLS only, a password, as the pairs
 * run) answers the switchover's client, which must say the login was refused, name the user and the
 * address, and not report the server as unreachable (a switchover would otherwise wait, or take a live
 * site for lost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDivergentKeys, reachable, RedisAuthenticationError, replicationState, withRedis, type DivergentKey, type RedisTarget } from '../../pairs/redis/redis-member';
import { issueSiteCertificates } from './support/certificates';
import { sleep } from './support/timing';

const work = mkdtempSync(join(tmpdir(), 'redis-auth-'));
const port = 17000 + (process.pid % 1000);
let server: ChildProcess | undefined;
const others: ChildProcess[] = [];

afterAll(async () => {
  for (const child of [server, ...others]) {
    if (!child || child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

test('divergence after a cut: changed values saved for RESTORE, and deletions, expirations, renames and a flush of a database saved as keys to DEL', async () => {
  const certificates = issueSiteCertificates(work, 'divergence', { A: ['127.0.0.1'], B: ['127.0.0.1'] }).A;
  const start = (tlsPort: number, dir: string) => {
    const child = spawn('redis-server', ['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', certificates.certificate, '--tls-key-file', certificates.key, '--tls-ca-cert-file', certificates.ca, '--tls-auth-clients', 'no', '--tls-replication', 'yes', '--requirepass', 'pw', '--masterauth', 'pw', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    others.push(child);
  };
  const oldPort = port + 10;
  const newPort = port + 11;
  start(oldPort, work);
  start(newPort, work);
  const old: RedisTarget = { host: '127.0.0.1', port: oldPort, password: 'pw', tls: { ca: readFileSync(certificates.ca) } };
  const current: RedisTarget = { ...old, port: newPort };
  for (let i = 0; i < 50 && !((await reachable(old)) && (await reachable(current))); i++) await sleep(100);
  // Before the cut: 200 keys at the old primary, replicated to the new one.
  await withRedis(old, async (c) => {
    for (let n = 0; n < 200; n++) await c.call('SET', `k:${n}`, String(n));
  });
  await withRedis(current, (c) => c.call('REPLICAOF', '127.0.0.1', String(oldPort)));
  for (let i = 0; i < 100 && (await withRedis(current, (c) => c.call('DBSIZE'))) !== 200; i++) await sleep(100);
  expect(await withRedis(current, (c) => c.call('DBSIZE'))).toBe(200);
  // The cut and the promotion; then the old primary, cut off, keeps taking changes.
  await withRedis(current, (c) => c.call('REPLICAOF', 'NO', 'ONE'));
  await withRedis(old, async (c) => {
    for (let n = 0; n < 50; n++) await c.call('DEL', `k:${n}`); // 50 deletions
    for (let n = 50; n < 60; n++) await c.call('PEXPIRE', `k:${n}`, '1'); // 10 expirations
    for (let n = 60; n < 65; n++) await c.call('RENAME', `k:${n}`, `renamed:${n}`); // 5 renames
    for (let n = 65; n < 85; n++) await c.call('SET', `k:${n}`, 'changed'); // 20 changed values
    await c.call('SELECT', '0');
  });
  await sleep(50);
  const saved: DivergentKey[] = [];
  const found = await findDivergentKeys(old, current, (entry) => saved.push(entry));
  const keysOf = (which: 'dump' | 'absent') => saved.filter((e) => ('dump' in e) === (which === 'dump')).map((e) => e.key.toString('utf8')).sort();
  const range = (from: number, to: number, prefix = 'k') => Array.from({ length: to - from }, (_, i) => `${prefix}:${from + i}`);
  // Absent at the old site: the deleted, the expired and the renamed-away names (to DEL when replayed).
  expect(keysOf('absent')).toEqual([...range(0, 65)].sort());
  // Only the old site holds: the changed values and the new names of the renamed (to RESTORE).
  expect(keysOf('dump')).toEqual([...range(65, 85), ...range(60, 65, 'renamed')].sort());
  expect({ keys: found.keys, absentAtOld: found.absentAtOld }).toEqual({ keys: 25, absentAtOld: 65 });
  // A flush of the old site: every key is absent there.
  await withRedis(old, (c) => c.call('FLUSHALL'));
  const afterFlush = await findDivergentKeys(old, current, () => undefined);
  expect(afterFlush.absentAtOld).toBe(200);
  console.log(`Redis divergence drill: after the cut, 50 deletions, 10 expirations, 5 renames and 20 changed values at the old primary were saved as ${found.absentAtOld} keys to DEL and ${found.keys} to RESTORE; after FLUSHALL, ${afterFlush.absentAtOld} keys to DEL`);
});

test('a refused login names the pair\'s server and the user, and is never taken for a server that does not answer', async () => {
  const certificates = issueSiteCertificates(work, 'redis', { A: ['127.0.0.1'], B: ['127.0.0.1'] }).A;
  server = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certificates.certificate, '--tls-key-file', certificates.key, '--tls-ca-cert-file', certificates.ca, '--tls-auth-clients', 'no', '--requirepass', 'the-right-one', '--save', '', '--appendonly', 'no', '--dir', work], { stdio: 'ignore' });
  const target = (password: string): RedisTarget => ({ host: '127.0.0.1', port, password, tls: { ca: readFileSync(certificates.ca) } });
  for (let i = 0; i < 50 && !(await reachable(target('the-right-one'))); i++) await sleep(100);
  expect(await reachable(target('the-right-one'))).toBe(true);

  const wrong = await replicationState(target('a-wrong-one')).catch((e: Error) => e);
  expect(wrong).toBeInstanceOf(RedisAuthenticationError);
  expect((wrong as Error).message).toMatch(/^127\.0\.0\.1:\d+ refused the login of user "default" \((WRONGPASS|ERR invalid password)[^)]*\): check the Redis password/);
  await expect(reachable(target('a-wrong-one'))).rejects.toThrow('refused the login of user "default"');
  // A port nobody listens on is what "does not answer" means.
  expect(await reachable({ ...target('the-right-one'), port: port + 1 })).toBe(false);
  console.log(`Redis authentication drill: wrong password reported as: ${(wrong as Error).message}`);
});
