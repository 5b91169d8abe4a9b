/**
 * Site load balancer drill: Debian's nginx runs the configuration the toolkit synthesizes for the demo
 * core zone at site A (addresses mapped to loopback), in front of two small backends standing in for
 * the settlement service at site A (working) and the site B load balancer (standby). A bounded stream of
 * requests runs while the working backend is stopped mid-stream; the drill reports requests sent,
 * failed, and served by the standby.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { buildPlatformApp } from '../../stacks/platform-app';
import { sleep } from './support/timing';

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const REQUESTS = 400;
const STOP_AFTER = 150;
const DRAINING_REQUESTS = 50;
const work = mkdtempSync(join(tmpdir(), 'lb-drill-'));
let nginx: ChildProcess | undefined;
const backends: Server[] = [];

afterAll(async () => {
  for (const b of backends) b.close();
  await stopNginx();
  rmSync(work, { recursive: true, force: true });
});

function backend(name: string, draining: () => boolean): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => {
      res.writeHead(draining() ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(name);
    });
    server.keepAliveTimeout = 1000;
    server.listen(0, '127.0.0.1', () => resolve(server));
    backends.push(server);
  });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The synthesized server block of the demo core zone's load balancer at site A. */
function synthesizedServerBlock(): string {
  const outdir = join(work, 'synth');
  buildPlatformApp(outdir, loadEnvironments(ENVIRONMENTS, ['demo'])).synth();
  const stack = JSON.parse(readFileSync(join(outdir, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8')) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
  const release = Object.values(stack.resource.helm_release).find((r) => r.name === 'site-load-balancer')!;
  return (JSON.parse(release.values[0]!) as { serverBlock: string }).serverBlock;
}

let run = 0;

/**
 * nginx with `serverBlock` in front of a working and a standby backend; from request STOP_AFTER the
 * working backend first answers 503 (draining), then stops (refuses connections). Returns the counts.
 */
async function runDrill(serverBlock: string): Promise<{ failed: number; servedByWorking: number; servedByStandby: number }> {
  const dir = join(work, `run-${run++}`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  let draining = false;
  const working = await backend('site-A', () => draining);
  const standby = await backend('site-B', () => false);
  const portOf = (s: Server) => (s.address() as AddressInfo).port;
  const listen = 18080 + (process.pid % 400) * 2;
  // Map the synthesized addresses to loopback: the in-cluster Service and the other site's load balancer.
  const config = serverBlock
    .replace(/settlement\.proj-hxjb\.svc\.cluster\.local:80/g, `127.0.0.1:${portOf(working)}`)
    .replace(/10\.20\.2\.10:8081/g, `127.0.0.1:${portOf(standby)}`)
    .replace(/server (\S+)\.svc\.cluster\.local:80/g, `server 127.0.0.1:9`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${listen};`)
    .replace(/listen 8081;/, `listen 127.0.0.1:${listen + 1};`);
  writeFileSync(join(dir, 'server-block.conf'), config);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'logs', 'error.log')} warn;`,
      'events { worker_connections 256; }',
      // What the chart's main nginx.conf wraps around the server block.
      'http {',
      `  access_log ${join(dir, 'logs', 'access.log')};`,
      `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      `  include ${join(dir, 'server-block.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && (await get(listen, '/healthz')).status !== 200; i++) await sleep(100);
    let failed = 0;
    let servedByStandby = 0;
    let servedByWorking = 0;
    for (let i = 0; i < REQUESTS; i++) {
      if (i === STOP_AFTER) draining = true;
      if (i === STOP_AFTER + DRAINING_REQUESTS) {
        // Then stop the working backend: refuse new connections, drop idle keep-alive ones.
        await new Promise<void>((resolve) => {
          working.close(() => resolve());
          working.closeAllConnections();
        });
      }
      const response = await get(listen, '/settlement/api/claims');
      if (response.status !== 200) failed++;
      else if (response.body === 'site-B') servedByStandby++;
      else servedByWorking++;
    }
    return { failed, servedByWorking, servedByStandby };
  } finally {
    await stopNginx();
    standby.close();
    working.close();
  }
}

async function stopNginx(): Promise<void> {
  if (!nginx || nginx.exitCode !== null) return;
  const exited = new Promise((resolve) => nginx!.once('exit', resolve));
  nginx.kill('SIGQUIT');
  await exited;
}

test('the working backend draining (503) then stopping mid-stream fails no request: the standby member takes over', async () => {
  const serverBlock = synthesizedServerBlock();
  expect(serverBlock).toMatch(/upstream settlement \{\n\s+server settlement\.proj-hxjb\.svc\.cluster\.local:80 max_fails=1 fail_timeout=10s;\n\s+server 10\.20\.2\.10:8081 backup/);
  const { failed, servedByWorking, servedByStandby } = await runDrill(serverBlock);
  console.log(`Load balancer drill (demo core, site A, settlement): ${REQUESTS} requests sent, ${failed} failed, ${servedByWorking} served by the working backend, ${servedByStandby} served by the standby after it answered 503 from request ${STOP_AFTER} and stopped at request ${STOP_AFTER + DRAINING_REQUESTS}`);
  expect(failed).toBe(0);
  expect(servedByWorking).toBe(STOP_AFTER);
  expect(servedByStandby).toBe(REQUESTS - STOP_AFTER);
});

test('fails with a broken configuration: without proxy_next_upstream the draining backend\'s 503s reach the clients', async () => {
  const broken = synthesizedServerBlock().replace(/^\s*proxy_next_upstream .*\n/gm, '');
  expect(broken).not.toMatch(/proxy_next_upstream\s/);
  const { failed } = await runDrill(broken);
  console.log(`Load balancer drill without proxy_next_upstream: ${failed} of ${REQUESTS} requests failed`);
  expect(failed).toBeGreaterThan(0);
});
