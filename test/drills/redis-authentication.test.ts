/**
 * A wrong password is not a site that is down: Debian's redis-server (TLS only, a password, as the pairs
 * run) answers the switchover's client, which must say the login was refused, name the user and the
 * address, and not report the server as unreachable (a switchover would otherwise wait, or take a live
 * site for lost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reachable, RedisAuthenticationError, replicationState, type RedisTarget } from '../../switchover/redis-member';
import { issueSiteCertificates } from './support/certificates';
import { sleep } from './support/timing';

const work = mkdtempSync(join(tmpdir(), 'redis-auth-'));
const port = 17000 + (process.pid % 1000);
let server: ChildProcess | undefined;

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
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
