/**
 * Site load balancer drill: Debian's nginx runs the configurations the toolkit synthesizes for the demo
 * core zone at site A and at site B (addresses mapped to loopback ports), each in front of a small
 * backend standing in for the settlement service of its site. A's working member is its own backend; its
 * standby member is B, reached over the synthesized mutual-TLS link (certificates issued with openssl
 * for the names the toolkit gives each site). A bounded stream of requests runs while A's backend is
 * stopped mid-stream; the drill reports requests sent, failed, and served by site B. It also shows the
 * peer listener refuses plaintext and clients without a certificate, and that A refuses a site B whose
 * certificate it cannot verify.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { LOAD_BALANCER_TLS } from '../../model/load-balancer';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { issueSiteCertificates, type SiteCertificates } from './support/certificates';
import { sleep } from './support/timing';
import { terraformLiteralText } from '../../synthesized/terraform-literal';

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const REQUESTS = 400;
const STOP_AFTER = 150;
const DRAINING_REQUESTS = 50;
/** The names the toolkit gives the demo core zone's load balancers (loadBalancerTlsName). */
const TLS_NAMES: Record<Site, string> = { A: 'lb-a.core.demo.hsa.demo.internal', B: 'lb-b.core.demo.hsa.demo.internal' };
const work = mkdtempSync(join(tmpdir(), 'lb-drill-'));
const running: ChildProcess[] = [];
const backends: Server[] = [];

afterAll(async () => {
  for (const b of backends) b.close();
  await stopAll();
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

type Response = { status: number; body: string };

/** Sends one request (plain or TLS) and collects the answer; status 0 when it fails or times out. */
function exchange(send: (onResponse: (res: IncomingMessage) => void) => ClientRequest): Promise<Response> {
  return new Promise((resolve) => {
    const req = send((res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function get(port: number, path: string): Promise<Response> {
  return exchange((onResponse) => request({ host: '127.0.0.1', port, path, timeout: 5000, agent: false }, onResponse));
}

/** A TLS client of a peer listener, with or without a client certificate; status 0 when the handshake fails. */
function getOverTls(port: number, path: string, servername: string, ca: string, client?: SiteCertificates): Promise<Response> {
  const certificate = client ? { cert: readFileSync(client.certificate), key: readFileSync(client.key) } : {};
  return exchange((onResponse) => tlsRequest({ host: '127.0.0.1', port, path, servername, ca: readFileSync(ca), ...certificate, timeout: 5000, agent: false }, onResponse));
}

/** The synthesized server blocks of the demo core zone's load balancers at sites A and B. */
function synthesizedServerBlocks(): Record<Site, string> {
  const outdir = join(work, 'synth');
  buildPlatformApp(outdir, loadEnvironments(ENVIRONMENTS, ['demo'])).synth();
  const blockOf = (stackName: string) => {
    const stack = JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', stackName, 'cdk.tf.json'), 'utf8'))) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
    const release = Object.values(stack.resource.helm_release).find((r) => r.name === 'site-load-balancer')!;
    return (JSON.parse(release.values[0]!) as { serverBlock: string }).serverBlock;
  };
  return { A: blockOf('demo-core-a'), B: blockOf('demo-core-b') };
}

const basePort = 18080 + (process.pid % 300) * 3;
/** Loopback ports of one site's nginx: client listener, peer listener, TLS hop. */
const portsOf = (site: Site, run: number) => {
  const base = basePort + (run * 2 + (site === 'A' ? 0 : 1)) * 1000;
  return { client: base, peer: base + 1, hop: base + 2 };
};

let runs = 0;

/** Starts Debian's nginx with one site's synthesized server block, addresses mapped to loopback. */
async function startSite(site: Site, serverBlock: string, run: number, ownBackend: Server, certificates: SiteCertificates, otherPeerPort: number): Promise<void> {
  const dir = join(work, `run-${run}-${site}`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const ports = portsOf(site, run);
  const peerVip = site === 'A' ? '10.20.2.10' : '10.10.2.10';
  // Map the synthesized addresses to loopback: this site's Service, the other site's peer listener, the
  // listeners and the hop; the Secret's mount point to the drill's certificates.
  const config = serverBlock
    .replace(/settlement\.proj-hxjb\.svc\.cluster\.local:80/g, `127.0.0.1:${(ownBackend.address() as AddressInfo).port}`)
    .replace(new RegExp(`${peerVip.replace(/\./g, '\\.')}:8081`, 'g'), `127.0.0.1:${otherPeerPort}`)
    .replace(/server (\S+)\.svc\.cluster\.local:80/g, 'server 127.0.0.1:9')
    .replace(/listen 8080;/, `listen 127.0.0.1:${ports.client};`)
    .replace(/listen 8081 ssl;/, `listen 127.0.0.1:${ports.peer} ssl;`)
    .replace(/127\.0\.0\.1:8082/g, `127.0.0.1:${ports.hop}`)
    .replace(new RegExp(`${LOAD_BALANCER_TLS.dir}/`, 'g'), `${certificates.dir}/`);
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
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  running.push(nginx);
  for (let i = 0; i < 50 && (await get(ports.client, '/healthz')).status !== 200; i++) await sleep(100);
}

interface DrillResult {
  readonly failed: number;
  readonly servedByWorking: number;
  readonly servedBySiteB: number;
}

/**
 * Both sites' nginx with the given server blocks and certificates; from request STOP_AFTER site A's
 * backend first answers 503 (draining), then stops (refuses connections). Returns the counts at A.
 */
async function runDrill(blocks: Record<Site, string>, certificates: Record<Site, SiteCertificates>, probe?: (run: number) => Promise<void>): Promise<DrillResult> {
  const run = runs++;
  let draining = false;
  const working = await backend('site-A', () => draining);
  const siteB = await backend('site-B', () => false);
  try {
    await startSite('B', blocks.B, run, siteB, certificates.B, portsOf('A', run).peer);
    await startSite('A', blocks.A, run, working, certificates.A, portsOf('B', run).peer);
    if (probe) await probe(run);
    let failed = 0;
    let servedBySiteB = 0;
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
      const response = await get(portsOf('A', run).client, '/settlement/api/claims');
      if (response.status !== 200) failed++;
      else if (response.body === 'site-B') servedBySiteB++;
      else servedByWorking++;
    }
    return { failed, servedByWorking, servedBySiteB };
  } finally {
    await stopAll();
    siteB.close();
    working.close();
  }
}

async function stopAll(): Promise<void> {
  for (const nginx of running.splice(0)) {
    if (nginx.exitCode !== null) continue;
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
}

const certificates = issueSiteCertificates(work, 'lb', { A: [TLS_NAMES.A], B: [TLS_NAMES.B] });

test('the working backend draining (503) then stopping mid-stream fails no request: site B takes over over mutual TLS; its peer listener refuses plaintext and clients without a certificate', async () => {
  const blocks = synthesizedServerBlocks();
  expect(blocks.A).toMatch(/upstream settlement \{\n\s+server settlement\.proj-hxjb\.svc\.cluster\.local:80 max_fails=1 fail_timeout=10s;\n\s+server 127\.0\.0\.1:8082 backup/);
  const refusals: Record<string, number> = {};
  const { failed, servedByWorking, servedBySiteB } = await runDrill(blocks, certificates, async (run) => {
    const peer = portsOf('B', run).peer;
    refusals.plaintext = (await get(peer, '/settlement/api/claims')).status;
    refusals.noCertificate = (await getOverTls(peer, '/settlement/api/claims', TLS_NAMES.B, certificates.A.ca)).status;
    refusals.withCertificate = (await getOverTls(peer, '/settlement/api/claims', TLS_NAMES.B, certificates.A.ca, certificates.A)).status;
  });
  console.log(`Load balancer drill (demo core, A to B over mutual TLS, settlement): ${REQUESTS} requests sent, ${failed} failed, ${servedByWorking} served by site A's backend, ${servedBySiteB} served by site B after A answered 503 from request ${STOP_AFTER} and stopped at request ${STOP_AFTER + DRAINING_REQUESTS}; B's peer listener answered plaintext HTTP with ${refusals.plaintext}, TLS without a client certificate with ${refusals.noCertificate}, A's certificate with ${refusals.withCertificate}`);
  expect(failed).toBe(0);
  expect(servedByWorking).toBe(STOP_AFTER);
  expect(servedBySiteB).toBe(REQUESTS - STOP_AFTER);
  // nginx answers 400 on its TLS port to plain HTTP and to a missing client certificate.
  expect(refusals).toEqual({ plaintext: 400, noCertificate: 400, withCertificate: 200 });
});

test('fails when site B cannot be verified: a certificate from another CA, or for another name, gets no request from A', async () => {
  const blocks = synthesizedServerBlocks();
  // B's own certificate from a CA A does not trust; B itself still trusts the sites' CA, so it would serve A.
  const strangerIssued = issueSiteCertificates(work, 'lb-stranger', { A: [TLS_NAMES.A], B: [TLS_NAMES.B] }).B;
  copyFileSync(certificates.B.ca, strangerIssued.ca);
  const stranger = { B: strangerIssued };
  const wrongName = issueSiteCertificates(work, 'lb-wrong-name', { A: [TLS_NAMES.A], B: ['lb-b.public.demo.hsa.demo.internal'] });
  for (const [what, siteB] of [['another CA', stranger.B], ['another name', wrongName.B]] as const) {
    // Site A keeps its own certificate and CA; site B presents the unverifiable certificate.
    const { failed, servedBySiteB } = await runDrill(blocks, { A: what === 'another name' ? wrongName.A : certificates.A, B: siteB });
    console.log(`Load balancer drill, site B's certificate from ${what}: ${failed} of ${REQUESTS} requests failed, ${servedBySiteB} served by site B`);
    expect(servedBySiteB).toBe(0);
    expect(failed).toBe(REQUESTS - STOP_AFTER);
  }
  // The deliberately broken configuration: without proxy_ssl_verify, A sends its requests to the stranger.
  const unverified = blocks.A.replace(/proxy_ssl_verify on;/, 'proxy_ssl_verify off;');
  const { servedBySiteB } = await runDrill({ A: unverified, B: blocks.B }, { A: certificates.A, B: stranger.B });
  console.log(`Load balancer drill with proxy_ssl_verify off: ${servedBySiteB} requests served by a site B whose certificate nobody checked`);
  expect(servedBySiteB).toBe(REQUESTS - STOP_AFTER);
});

test('fails with a broken configuration: without proxy_next_upstream the draining backend\'s 503s reach the clients', async () => {
  const blocks = synthesizedServerBlocks();
  const broken = blocks.A.replace(/^\s*proxy_next_upstream .*\n/gm, '');
  expect(broken).not.toMatch(/proxy_next_upstream\s/);
  const { failed } = await runDrill({ A: broken, B: blocks.B }, certificates);
  console.log(`Load balancer drill without proxy_next_upstream: ${failed} of ${REQUESTS} requests failed`);
  expect(failed).toBeGreaterThan(0);
});
