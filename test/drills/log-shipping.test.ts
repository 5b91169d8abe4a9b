/**
 * The log shipping drill: every application's log lines reach the log service, in its project's index,
 * searchable, none lost. Real components: the OpenTelemetry Collector beside each application (built from
 * its Go modules at the deployed image's version, 0.165.0) with exactly the shipper configuration
 * synthesized for two applications of two projects of the demo province's core zone at site A, and the
 * log gateway's collector (0.150.0, its deployed image's version) with exactly the synthesized gateway
 * configuration, the password from its environment as the pod gets it from the Secret, the CA file where
 * the Secret is mounted. The log service is Elasticsearch, which cannot be had here: VictoriaLogs
 * (Apache-2.0, built from its Go module) takes Elasticsearch's bulk API and searches what it takes; a TLS
 * front on the gateway's endpoint (the service name and port the synthesized configuration names, with a
 * certificate for that name from a drill CA, as the chart's Secret holds) asks for the `elastic` password
 * as Elasticsearch does, records the index of every document and passes the requests on.
 *
 * Everything runs in a network namespace of its own (loopback only); the synthesized paths and cluster
 * names lead to the drill's directories and loopback in a mount namespace per process, so no
 * configuration is edited. Broken on purpose: the gateway without the log service's CA (TLS refused:
 * nothing arrives), the shipper without its project's index (the lines land elsewhere); both must show.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { otelCollectorTool } from '../../business/otelcol-tool';
import type { JsonObject, StackJson } from '../../compliance/types';
import { logGatewayTool, victoriaLogsTool } from '../../logs/log-tools';
import { logIndex } from '../../model/log-shipping';
import { loadEnvironment, PROJECT_ROOT, synthesizeStacks } from '../support/fixtures';
import { issueSiteCertificates } from './support/certificates';

jest.setTimeout(15 * 60_000);

const NETNS = 'hsa-logs-drill';
const work = mkdtempSync(join(tmpdir(), 'hsa-log-drill-'));
const processes: ChildProcess[] = [];
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

// Exactly what the demo province's core zone at site A deploys.
const demo = loadEnvironment('demo');
const stack = synthesizeStacks([demo]).get('demo-core-a') as unknown as StackJson;
const byName = <T extends JsonObject>(type: string, name: string) => Object.values((stack.resource as Record<string, Record<string, JsonObject>>)[type]!).find((r) => (r.metadata as JsonObject).name === name) as T;
// Terraform writes `$${` as `${` (cdktf's escape of its template syntax): these are the files the pods get.
const unescape = (text: string) => text.replace(/\$\$\{/g, '${');
const configYaml = (name: string) => unescape((byName('kubernetes_config_map_v1', name).data as Record<string, string>)['config.yaml']!);
const APPS = [
  { name: 'settlement', project: 'hxjb' },
  { name: 'intelligent-supervision', project: 'znjk' },
] as const;
const gatewayYaml = configYaml('hsa-log-gateway');
const gatewayConfig = parse(gatewayYaml) as { exporters: { elasticsearch: { endpoint: string; user: string; tls: { ca_file: string } } } };
const gatewayContainer = (((byName('kubernetes_deployment_v1', 'hsa-log-gateway').spec as JsonObject).template as JsonObject).spec as JsonObject).container as JsonObject[];
const passwordVariable = String(((gatewayContainer[0]!.env as JsonObject[])[0]!).name);
const gatewayArgs = gatewayContainer[0]!.args as string[];
const gatewayMounts = gatewayContainer[0]!.volume_mount as { name: string; mount_path: string }[];
const elasticsearch = new URL(gatewayConfig.exporters.elasticsearch.endpoint);
const shipperYaml = Object.fromEntries(APPS.map((app) => [app.name, configYaml(`${app.name}-log-shipper`)]));
/** Each shipper's arguments as its pod runs it, its configuration file's path aside (the drill's copy). */
const shipperArgs = (app: string) => {
  const [configArg, ...rest] = ((((byName('kubernetes_deployment_v1', app).spec as JsonObject).template as JsonObject).spec as JsonObject).container as JsonObject[]).find((c) => c.name === 'log-shipper')!.args as string[];
  if (!configArg?.startsWith('--config=')) throw new Error(`the synthesized log shipper of ${app} starts with ${configArg}, not its --config`);
  return rest;
};
const shipperConfig = (app: string) => parse(shipperYaml[app]!) as { receivers: { file_log: { include: string[]; exclude?: string[] } }; extensions: { file_storage: { directory: string } }; exporters: { otlp_http: { endpoint: string } } };
const gatewayEndpoint = new URL(shipperConfig('settlement').exporters.otlp_http.endpoint);
const logDirectory = (app: string) => { const include = shipperConfig(app).receivers.file_log.include[0]!; return include.slice(0, include.lastIndexOf('/')); };
const VICTORIA_PORT = 9428;
const PASSWORD = 'drill-elastic-password';

function inNetns(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', NETNS, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  (child as ChildProcess & { output: () => string }).output = () => output;
  processes.push(child);
  return child;
}
const outputOf = (child: ChildProcess) => (child as ChildProcess & { output?: () => string }).output?.() ?? '';

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // `ip netns exec` and `unshare` exec the program: the signal reaches it.
  child.kill(signal);
  await exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The TLS front: Elasticsearch's paths and password on the synthesized endpoint, VictoriaLogs behind. */
const FRONT = `
const https = require('node:https'); const http = require('node:http'); const fs = require('node:fs');
const [cert, key, password, port, upstream, statsFile] = process.argv.slice(2);
const stats = { requests: 0, refused: 0, documents: 0, byIndex: {}, mismatched: 0, tlsErrors: 0 };
const expected = 'Basic ' + Buffer.from('elastic:' + password).toString('base64');
// Written whole under another name and renamed: the drill reads the file while the front serves.
const save = () => { fs.writeFileSync(statsFile + '.part', JSON.stringify(stats)); fs.renameSync(statsFile + '.part', statsFile); };
https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    stats.requests += 1;
    if (req.headers.authorization !== expected) {
      stats.refused += 1; save();
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security"', 'x-elastic-product': 'Elasticsearch' });
      return res.end('{"error":{"type":"security_exception","reason":"unable to authenticate user [elastic]"},"status":401}');
    }
    const body = Buffer.concat(chunks);
    if (req.url.startsWith('/_bulk')) {
      // The exporter compresses its requests (gzip): read them as Elasticsearch would, pass them on as they came.
      const text = req.headers['content-encoding'] === 'gzip' ? require('node:zlib').gunzipSync(body).toString('utf8') : body.toString('utf8');
      const lines = text.split('\\n').filter(Boolean);
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i]); const doc = JSON.parse(lines[i + 1]);
        const index = (action.create || action.index || {})._index || '(none)';
        stats.documents += 1; stats.byIndex[index] = (stats.byIndex[index] || 0) + 1;
        const project = doc.resource && doc.resource.attributes && doc.resource.attributes['hsa.project'];
        if (index !== 'hsa-logs-' + project) stats.mismatched += 1;
      }
    }
    const headers = { 'content-type': req.headers['content-type'] || 'application/json' };
    if (req.headers['content-encoding']) headers['content-encoding'] = req.headers['content-encoding'];
    const forward = http.request({ host: '127.0.0.1', port: Number(upstream), method: req.method, path: '/insert/elasticsearch' + req.url, headers }, (up) => {
      const headers = { ...up.headers }; delete headers['content-length'];
      res.writeHead(up.statusCode, headers); up.pipe(res);
      save();
    });
    forward.on('error', (e) => { res.writeHead(503, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error: String(e) })); });
    forward.end(body);
  });
}).on('tlsClientError', () => { stats.tlsErrors += 1; save(); })
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\\n'));
`;

interface FrontStats {
  readonly requests: number;
  readonly refused: number;
  readonly documents: number;
  readonly byIndex: Record<string, number>;
  readonly mismatched: number;
  /** TLS handshakes the client broke off (it did not trust the certificate). */
  readonly tlsErrors: number;
}

/** One run: VictoriaLogs, the front, the gateway and a shipper per application, each with its own directories. */
class Run {
  readonly root: string;
  private victoria?: ChildProcess;
  private front?: ChildProcess;
  private gateway?: ChildProcess;
  private readonly shippers = new Map<string, ChildProcess>();

  constructor(
    readonly name: string,
    private readonly binaries: { shipper: string; gateway: string; victoria: string },
    private readonly gatewayYamlOfRun: string,
    private readonly shipperYamlOfRun: Readonly<Record<string, string>>,
  ) {
    this.root = join(work, name);
    mkdirSync(join(this.root, 'victoria'), { recursive: true });
    for (const app of APPS) {
      for (const dir of ['logs', 'storage']) mkdirSync(join(this.root, app.name, dir), { recursive: true });
      writeFileSync(join(this.root, app.name, 'config.yaml'), this.shipperYamlOfRun[app.name]!);
    }
    mkdirSync(join(this.root, 'gateway', 'config'), { recursive: true });
    writeFileSync(join(this.root, 'gateway', 'config', 'config.yaml'), this.gatewayYamlOfRun);
    writeFileSync(join(this.root, 'front.js'), FRONT);
    // The names the configurations give, to loopback in the drill's namespace.
    writeFileSync(join(this.root, 'hosts'), `127.0.0.1 localhost\n127.0.0.1 ${elasticsearch.hostname}\n127.0.0.1 ${gatewayEndpoint.hostname}\n`);
  }

  get statsFile(): string {
    return join(this.root, 'front-stats.json');
  }

  stats(): FrontStats {
    return existsSync(this.statsFile) ? (JSON.parse(readFileSync(this.statsFile, 'utf8')) as FrontStats) : { requests: 0, refused: 0, documents: 0, byIndex: {}, mismatched: 0, tlsErrors: 0 };
  }

  async startVictoria(): Promise<void> {
    this.victoria = inNetns(this.binaries.victoria, [`-storageDataPath=${join(this.root, 'victoria')}`, `-httpListenAddr=127.0.0.1:${VICTORIA_PORT}`, '-loggerLevel=ERROR', '-retentionPeriod=30d']);
    await this.until('VictoriaLogs answers', () => this.query('*', 1) !== undefined, 30);
  }

  async stopVictoria(): Promise<void> {
    await stop(this.victoria);
  }

  async startFront(certificates: { certificate: string; key: string }): Promise<void> {
    this.front = inNetns(process.execPath, [join(this.root, 'front.js'), certificates.certificate, certificates.key, PASSWORD, elasticsearch.port, String(VICTORIA_PORT), this.statsFile]);
    await this.until('the front listens', async () => outputOf(this.front!).includes('listening'), 15);
  }

  /** The gateway as its pod runs it: its arguments, its mounts (the ConfigMap and the CA Secret), the password in its environment. */
  startGateway(ca: string): void {
    const configMount = gatewayMounts.find((m) => m.name === 'config')!.mount_path;
    const caMount = gatewayMounts.find((m) => m.name === 'ca')!.mount_path;
    mkdirSync(join(this.root, 'gateway', 'ca'), { recursive: true });
    writeFileSync(join(this.root, 'gateway', 'ca', 'ca.crt'), readFileSync(ca));
    const script = [
      'set -e',
      // A private /etc: the mount points of the pod's volumes and the drill's hosts file, nothing of the machine's changed.
      `mount -t tmpfs hsa-drill /etc && mkdir -p ${configMount} ${caMount}`,
      `mount --bind ${join(this.root, 'gateway', 'config')} ${configMount}`,
      `mount --bind ${join(this.root, 'gateway', 'ca')} ${caMount}`,
      `touch /etc/hosts && mount --bind ${join(this.root, 'hosts')} /etc/hosts`,
      `exec ${this.binaries.gateway} ${gatewayArgs.join(' ')}`,
    ].join('\n');
    this.gateway = inNetns('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { [passwordVariable]: PASSWORD });
  }

  async stopGateway(): Promise<void> {
    await stop(this.gateway);
  }

  gatewayOutput(): string {
    return this.gateway ? outputOf(this.gateway) : '';
  }

  /** A shipper as the pod runs it: the application's log directory and its storage are the pod's volumes. */
  startShipper(app: string): void {
    const config = shipperConfig(app);
    const script = [
      'set -e',
      `mount -t tmpfs hsa-drill /var/log && mkdir -p ${logDirectory(app)} && mount --bind ${join(this.root, app, 'logs')} ${logDirectory(app)}`,
      `mount -t tmpfs hsa-drill /var/lib && mkdir -p ${config.extensions.file_storage.directory} && mount --bind ${join(this.root, app, 'storage')} ${config.extensions.file_storage.directory}`,
      `mount --bind ${join(this.root, 'hosts')} /etc/hosts`,
      `exec ${this.binaries.shipper} --config=${join(this.root, app, 'config.yaml')} ${shipperArgs(app).join(' ')}`,
    ].join('\n');
    this.shippers.set(app, inNetns('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { HSA_POD_NAME: `${app}-6d5f8c7b9-x${app.length}` }));
  }

  async stopShipper(app: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stop(this.shippers.get(app), signal);
  }

  write(app: string, file: string, lines: readonly string[]): void {
    appendFileSync(join(this.root, app, 'logs', file), lines.map((l) => `${l}\n`).join(''));
  }

  /** Log rotation by renaming (logback's time-based policy), the application starting a new file. */
  rotate(app: string, file: string, to: string): void {
    renameSync(join(this.root, app, 'logs', file), join(this.root, app, 'logs', to));
  }

  /** LogsQL against VictoriaLogs: the matching documents, or undefined when it does not answer. */
  query(logsql: string, limit = 1_000_000): JsonObject[] | undefined {
    // Asked from inside the drill's network namespace (Node's fetch: no client to install).
    const ask = `fetch(process.argv[1], { method: 'POST', body: new URLSearchParams({ query: process.argv[2], limit: process.argv[3] }), signal: AbortSignal.timeout(20000) }).then(async (r) => { if (!r.ok) process.exit(2); process.stdout.write(await r.text()); }, () => process.exit(3));`;
    const run = spawnSync('ip', ['netns', 'exec', NETNS, process.execPath, '-e', ask, `http://127.0.0.1:${VICTORIA_PORT}/select/logsql/query`, logsql, String(limit)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.status !== 0) return undefined;
    return run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonObject);
  }

  async until(what: string, check: () => boolean | Promise<boolean>, seconds: number): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > seconds * 1000) throw new Error(`${this.name}: ${what}: not within ${seconds} s\n${this.gatewayOutput()}`);
      await sleep(250);
    }
    return (Date.now() - started) / 1000;
  }

  async stopAll(): Promise<void> {
    for (const app of this.shippers.keys()) await this.stopShipper(app, 'SIGKILL');
    await stop(this.gateway, 'SIGKILL');
    await stop(this.front, 'SIGKILL');
    await stop(this.victoria, 'SIGKILL');
  }
}

/** Distinct drill lines of a project found in the log service, and how many documents carried them. */
function found(run: Run, project: string, marker: string): { distinct: Set<string>; documents: JsonObject[] } {
  const documents = run.query(`resource.attributes.hsa.project:=${project} AND body.text:"${marker}"`) ?? [];
  return { distinct: new Set(documents.map((d) => String(d['body.text']))), documents };
}

const lines = (app: string, marker: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `2026-12-06 10:${String(Math.floor((from + i) / 600) % 60).padStart(2, '0')}:00.000 INFO [${app}] ${marker} line ${String(from + i).padStart(6, '0')} handled request`);

let binaries = { shipper: '', gateway: '', victoria: '' };
let certificates: { certificate: string; key: string; ca: string } = { certificate: '', key: '', ca: '' };

beforeAll(() => {
  const unshare = spawnSync('unshare', ['--mount', 'true']);
  if (unshare.status !== 0) throw new Error(`unshare --mount does not work here (${unshare.stderr.toString().trim()}): the drill needs root and mount namespaces`);
  spawnSync('ip', ['netns', 'del', NETNS], { stdio: 'ignore' });
  ip('netns', 'add', NETNS);
  ip('netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up');
  const tools = join(PROJECT_ROOT, '.cache', 'tools');
  const started = Date.now();
  binaries = { shipper: otelCollectorTool(tools), gateway: logGatewayTool(tools), victoria: victoriaLogsTool(tools) };
  process.stdout.write(`log drill tools: ${Object.values(binaries).join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  // What the chart's Secret holds: a CA and a certificate for the service name the gateway's endpoint names.
  certificates = issueSiteCertificates(work, 'log-service', { A: [elasticsearch.hostname], B: [elasticsearch.hostname] }).A;
});

afterAll(() => {
  for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', NETNS], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

test('the synthesized pieces the drill runs are what the pods get: the gateway reaches the log service by its Service name with its CA, the shipper excludes the settlement event file', () => {
  expect(elasticsearch.protocol).toBe('https:');
  expect(gatewayConfig.exporters.elasticsearch.tls.ca_file.startsWith(`${gatewayMounts.find((m) => m.name === 'ca')!.mount_path}/`)).toBe(true);
  expect(gatewayArgs).toEqual([`--config=${gatewayMounts.find((m) => m.name === 'config')!.mount_path}/config.yaml`]);
  expect(gatewayYaml).not.toContain(PASSWORD);
  const events = (demo.environment.applications.settlement!.businessEvents!).file;
  expect(shipperConfig('settlement').receivers.file_log.exclude).toEqual([events, `${events}.*`]);
  expect(shipperYaml.settlement).toContain(`elasticsearch.index: ${logIndex('hxjb')}`);
  expect(shipperYaml['intelligent-supervision']).toContain(`elasticsearch.index: ${logIndex('znjk')}`);
});

const N = 6_000;

test(`every line of ${N} per application reaches its project's index and is found by project, through a rotation, a killed shipper, the log service down and a restarted gateway`, async () => {
  const run = new Run('exact', binaries, gatewayYaml, shipperYaml);
  const marker = 'drill-exact';
  const want = Object.fromEntries(APPS.map((app) => [app.name, lines(app.name, marker, 0, N)]));
  const part = (app: string, from: number, to: number) => want[app]!.slice(Math.floor((N * from) / 100), Math.floor((N * to) / 100));
  try {
    await run.startVictoria();
    await run.startFront(certificates);
    run.startGateway(certificates.ca);
    // Written before the shippers run: read from the beginning. The settlement events beside the log are not logs.
    for (const app of APPS) run.write(app.name, 'app.log', part(app.name, 0, 30));
    run.write('settlement', 'settlement-events.log', ['{"serialNo":"JS1","bizType":"11","orgCode":"H1","amount":"1.00","settleTime":"2026-12-06 10:00:00"}']);
    for (const app of APPS) run.startShipper(app.name);
    for (const app of APPS) run.write(app.name, 'app.log', part(app.name, 30, 45));
    // Rotation by renaming, a new file started.
    run.rotate('settlement', 'app.log', 'app.2026-12-06.0.log');
    run.write('settlement', 'app.log', part('settlement', 45, 55));
    run.write('intelligent-supervision', 'app.log', part('intelligent-supervision', 45, 55));
    // A shipper killed (SIGKILL) while its application writes; started again from its checkpoints.
    await sleep(1500);
    await run.stopShipper('settlement', 'SIGKILL');
    run.write('settlement', 'app.log', part('settlement', 55, 65));
    run.startShipper('settlement');
    run.write('intelligent-supervision', 'app.log', part('intelligent-supervision', 55, 65));
    // The log service down for a while: the gateway answers with its error, the shippers hold and retry.
    await sleep(1500);
    await run.stopVictoria();
    for (const app of APPS) run.write(app.name, 'app.log', part(app.name, 65, 80));
    await sleep(5000);
    await run.startVictoria();
    // The gateway restarted (a rollout).
    await run.stopGateway();
    for (const app of APPS) run.write(app.name, 'app.log', part(app.name, 80, 90));
    run.startGateway(certificates.ca);
    for (const app of APPS) run.write(app.name, 'app.log', part(app.name, 90, 100));
    const lastWritten = Date.now();

    await run.until('every line found', () => APPS.every((app) => found(run, app.project, marker).distinct.size >= N), 180).catch((error: Error) => {
      const counts = APPS.map((app) => `${app.project}: ${found(run, app.project, marker).distinct.size}`).join(', ');
      throw new Error(`${error.message.split('\n')[0]} (found ${counts}; all documents: ${run.query('*')?.length}; front ${JSON.stringify(run.stats())}; a document: ${JSON.stringify(run.query('*', 1))})`);
    });
    const complete = (Date.now() - lastWritten) / 1000;
    await sleep(3000);
    for (const app of APPS) {
      const { distinct, documents } = found(run, app.project, marker);
      // Every line, and nothing else, by its project: none of the other project's, none of the event file.
      expect([...distinct].sort()).toEqual([...want[app.name]!].sort());
      expect(documents.every((d) => d['resource.attributes.service.name'] === app.name)).toBe(true);
      expect(documents.every((d) => String(d['resource.attributes.k8s.pod.name']).startsWith(`${app.name}-`))).toBe(true);
      process.stdout.write(`log drill: ${app.project}/${app.name}: ${distinct.size} of ${N} lines found, ${documents.length - distinct.size} sent twice\n`);
    }
    expect(run.query('body.text:"serialNo"')).toEqual([]);
    const stats = run.stats();
    // Elasticsearch would have put every document in its project's index, and only there.
    expect(stats.mismatched).toBe(0);
    expect(Object.keys(stats.byIndex).sort()).toEqual(APPS.map((app) => logIndex(app.project)).sort());
    expect(stats.refused).toBe(0);
    process.stdout.write(`log drill: all lines found ${complete.toFixed(1)} s after the last was written; ${stats.requests} requests to the log service, documents offered by index (retries included) ${JSON.stringify(stats.byIndex)}\n`);
  } finally {
    await run.stopAll();
  }
});

test('deliberately broken: the gateway without the log service CA delivers nothing, and a shipper without its project index lands its lines elsewhere; the drill sees both', async () => {
  // Without `tls.ca_file` the exporter cannot verify the log service's certificate.
  const noCa = gatewayYaml.replace(/\n {4}tls:\n {6}ca_file: \S+/, '');
  expect(noCa).not.toBe(gatewayYaml);
  const noIndex = { ...shipperYaml, settlement: shipperYaml.settlement!.replace(/\n {6}elasticsearch\.index: \S+/, '') };
  expect(noIndex.settlement).not.toBe(shipperYaml.settlement);
  const marker = 'drill-broken';

  const tls = new Run('broken-tls', binaries, noCa, shipperYaml);
  try {
    await tls.startVictoria();
    await tls.startFront(certificates);
    tls.startGateway(certificates.ca);
    tls.write('settlement', 'app.log', lines('settlement', marker, 0, 500));
    tls.startShipper('settlement');
    // The gateway tries, and breaks off each handshake: it does not trust the log service's certificate.
    await tls.until('the gateway refuses the certificate', () => tls.stats().tlsErrors > 0, 60);
    await sleep(5000);
    expect(found(tls, 'hxjb', marker).distinct.size).toBe(0);
    expect(tls.stats()).toMatchObject({ requests: 0, documents: 0 });
    process.stdout.write(`log drill, broken (no CA): 0 of 500 lines arrived; ${tls.stats().tlsErrors} handshakes broken off by the gateway\n`);
  } finally {
    await tls.stopAll();
  }

  const index = new Run('broken-index', binaries, gatewayYaml, noIndex);
  try {
    await index.startVictoria();
    await index.startFront(certificates);
    index.startGateway(certificates.ca);
    index.write('settlement', 'app.log', lines('settlement', marker, 0, 500));
    index.startShipper('settlement');
    await index.until('the lines reach the log service', () => index.stats().documents >= 500, 60);
    const stats = index.stats();
    expect(stats.byIndex[logIndex('hxjb')]).toBeUndefined();
    expect(stats.mismatched).toBeGreaterThanOrEqual(500);
    process.stdout.write(`log drill, broken (no index): ${JSON.stringify(stats.byIndex)}: none in ${logIndex('hxjb')}\n`);
  } finally {
    await index.stopAll();
  }
});
