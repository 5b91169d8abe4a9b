/**
 * Kafka DR drill: two real Apache Kafka clusters (KRaft, the version the toolkit deploys, jars from Maven
 * Central: test/drills/kafka/pom.xml) stand for datacenter A and B on loopback, and MirrorMaker 2 runs
 * from the KafkaMirrorMaker2 the toolkit synthesizes for site B. The drill maps the custom resource to
 * Kafka Connect as the Strimzi operator does: `spec.target` becomes the Connect worker (bootstrap
 * servers, group id, the three storage topics and their settings), each `spec.mirrors[]` entry becomes a
 * MirrorSourceConnector and a MirrorCheckpointConnector posted to Connect's REST API, with the
 * entry's topic and group patterns, tasks and connector configuration, and byte-array converters. The
 * only changes are the addresses: the CR's bootstrap addresses map to the loopback ports of the two
 * clusters.
 *
 * A producer writes N messages at A (acknowledged by all replicas); a consumer group commits part of
 * them at A; MirrorMaker 2 copies the topic (same name: IdentityReplicationPolicy) and translates the
 * group's offsets to B. Then A is lost (MirrorMaker 2 stopped, A's broker killed) and the same group
 * resumes at B: every acknowledged message must be consumed at A or at B (0 lost); re-consumed ones are
 * reported. Without the identity replication policy the drill must fail.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { buildPlatformApp } from '../../stacks/platform-app';
import { sleep, waitFor } from './support/timing';

jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
const LIBS = process.env.HSA_KAFKA_LIBS ?? join(ROOT, '.cache', 'kafka-libs');
const TOPIC = 'hsa-settlement-events';
const GROUP = 'settlement-app';
const MESSAGES = 3000;
const CONSUMED_AT_A = 1800;
const base = 21000 + (process.pid % 300) * 10;
const PORTS = { A: base, B: base + 2, connect: base + 4 };
const running = new Set<ChildProcess>();

interface MirrorMaker2 {
  spec: {
    target: { alias: string; bootstrapServers: string; groupId: string; configStorageTopic: string; statusStorageTopic: string; offsetStorageTopic: string; config: Record<string, string | number> };
    mirrors: {
      source: { alias: string; bootstrapServers: string };
      sourceConnector: { tasksMax: number; config: Record<string, string | number> };
      checkpointConnector: { tasksMax: number; config: Record<string, string | number> };
      topicsPattern: string;
      groupsPattern: string;
    }[];
  };
}

function java(args: readonly string[], options: { timeoutMs?: number } = {}): string {
  return execFileSync('java', ['-cp', `${LIBS}/*`, ...args], { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function background(name: string, work: string, args: readonly string[]): ChildProcess {
  const child = spawn('java', ['-Xmx512m', '-cp', `${LIBS}/*`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = join(work, `${name}.log`);
  writeFileSync(log, '');
  child.stdout?.on('data', (c: Buffer) => writeFileSync(log, c, { flag: 'a' }));
  child.stderr?.on('data', (c: Buffer) => writeFileSync(log, c, { flag: 'a' }));
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** A single-node KRaft cluster (broker and controller) on loopback. */
function startCluster(work: string, site: 'A' | 'B'): ChildProcess {
  const dir = join(work, `kafka-${site}`);
  mkdirSync(dir, { recursive: true });
  const port = PORTS[site];
  const file = join(dir, 'server.properties');
  writeFileSync(
    file,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${port + 1}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop()!;
  java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', file]);
  return background(`kafka-${site}`, work, ['kafka.Kafka', file]);
}

async function waitForCluster(site: 'A' | 'B'): Promise<void> {
  await waitFor(
    async () => {
      try {
        java(['org.apache.kafka.tools.TopicCommand', '--bootstrap-server', `127.0.0.1:${PORTS[site]}`, '--list'], { timeoutMs: 20_000 });
        return true;
      } catch {
        return false;
      }
    },
    90,
    `Kafka at ${site} did not start`,
  );
}

function http(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port: PORTS.connect, path, method, headers: data ? { 'content-type': 'application/json' } : {}, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end(data);
  });
}

/** The KafkaMirrorMaker2 synthesized for the demo core zone at site B (site A active). */
function synthesizedMirrorMaker(work: string): MirrorMaker2 {
  const outdir = join(work, 'synth');
  buildPlatformApp(outdir, loadEnvironments(join(ROOT, 'environments'), ['demo']), { activeSite: 'A' }).synth();
  const stack = JSON.parse(readFileSync(join(outdir, 'stacks', 'demo-core-b', 'cdk.tf.json'), 'utf8')) as { resource: { kubernetes_manifest: Record<string, { manifest: { kind: string } & MirrorMaker2 }> } };
  return Object.values(stack.resource.kubernetes_manifest).find((m) => m.manifest.kind === 'KafkaMirrorMaker2')!.manifest;
}

/** Kafka Connect running MirrorMaker 2 at B, configured from the custom resource as Strimzi does. */
async function startMirrorMaker(work: string, cr: MirrorMaker2, mapAddress: (bootstrap: string) => string): Promise<ChildProcess> {
  const target = cr.spec.target;
  const file = join(work, 'connect-worker.properties');
  const byteArray = 'org.apache.kafka.connect.converters.ByteArrayConverter';
  writeFileSync(
    file,
    [
      `bootstrap.servers=${mapAddress(target.bootstrapServers)}`,
      `group.id=${target.groupId}`,
      `config.storage.topic=${target.configStorageTopic}`,
      `status.storage.topic=${target.statusStorageTopic}`,
      `offset.storage.topic=${target.offsetStorageTopic}`,
      ...Object.entries(target.config).map(([k, v]) => `${k}=${v}`),
      `key.converter=${byteArray}`,
      `value.converter=${byteArray}`,
      `listeners=http://127.0.0.1:${PORTS.connect}`,
      '',
    ].join('\n'),
  );
  const worker = background('connect', work, ['org.apache.kafka.connect.cli.ConnectDistributed', file]);
  await waitFor(async () => (await http('GET', '/connectors')).status === 200, 90, 'Kafka Connect did not start');
  for (const mirror of cr.spec.mirrors) {
    const common = {
      'source.cluster.alias': mirror.source.alias,
      'target.cluster.alias': target.alias,
      'source.cluster.bootstrap.servers': mapAddress(mirror.source.bootstrapServers),
      'target.cluster.bootstrap.servers': mapAddress(target.bootstrapServers),
      'key.converter': byteArray,
      'value.converter': byteArray,
    };
    const connectors = [
      { name: `${mirror.source.alias}->${target.alias}.MirrorSourceConnector`, class: 'org.apache.kafka.connect.mirror.MirrorSourceConnector', spec: mirror.sourceConnector, extra: { topics: mirror.topicsPattern } },
      { name: `${mirror.source.alias}->${target.alias}.MirrorCheckpointConnector`, class: 'org.apache.kafka.connect.mirror.MirrorCheckpointConnector', spec: mirror.checkpointConnector, extra: { groups: mirror.groupsPattern } },
    ];
    for (const connector of connectors) {
      const config = { 'connector.class': connector.class, 'tasks.max': String(connector.spec.tasksMax), ...common, ...connector.extra, ...Object.fromEntries(Object.entries(connector.spec.config).map(([k, v]) => [k, String(v)])) };
      const response = await http('PUT', `/connectors/${encodeURIComponent(connector.name)}/config`, config);
      if (response.status !== 200 && response.status !== 201) throw new Error(`Connect refused ${connector.name}: ${response.status} ${response.body}`);
    }
  }
  return worker;
}

/** Values acknowledged by the verifiable producer. */
function produce(site: 'A', count: number): Set<string> {
  const out = java(['org.apache.kafka.tools.VerifiableProducer', '--topic', TOPIC, '--max-messages', String(count), '--acks', '-1', '--bootstrap-server', `127.0.0.1:${PORTS[site]}`], { timeoutMs: 120_000 });
  const acked = new Set<string>();
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { name: string; value?: string };
    if (event.name === 'producer_send_success') acked.add(event.value!);
  }
  return acked;
}

/** Consumes as GROUP (committing as it goes); stops at `max` messages or after `idleSeconds` without one. */
async function consume(site: 'A' | 'B', work: string, max: number, idleSeconds: number): Promise<string[]> {
  const child = background(`consumer-${site}`, work, ['org.apache.kafka.tools.VerifiableConsumer', '--topic', TOPIC, '--group-id', GROUP, '--max-messages', String(max), '--verbose', '--reset-policy', 'earliest', '--bootstrap-server', `127.0.0.1:${PORTS[site]}`]);
  let last = Date.now();
  const values: string[] = [];
  let committed = 0;
  let buffer = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as { name: string; value?: string; success?: boolean };
      if (event.name === 'record_data') {
        values.push(event.value!);
        last = Date.now();
      }
      if (event.name === 'offsets_committed' && event.success) committed++;
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  while (child.exitCode === null && Date.now() - last < idleSeconds * 1000) await sleep(200);
  await kill(child, 'SIGTERM');
  await exited;
  if (values.length > 0 && committed === 0) throw new Error(`consumer at ${site} committed no offsets`);
  return values;
}

function groupOffsetAt(site: 'A' | 'B'): number {
  try {
    const out = java(['org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--bootstrap-server', `127.0.0.1:${PORTS[site]}`, '--describe', '--group', GROUP], { timeoutMs: 30_000 });
    return out
      .split('\n')
      .filter((l) => l.includes(TOPIC))
      .map((l) => Number(l.trim().split(/\s+/)[3]))
      .filter((n) => Number.isFinite(n))
      .reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

function endOffsetAt(site: 'A' | 'B'): number {
  try {
    const out = java(['org.apache.kafka.tools.GetOffsetShell', '--bootstrap-server', `127.0.0.1:${PORTS[site]}`, '--topic', TOPIC], { timeoutMs: 30_000 });
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.split(':').pop()))
      .reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

type Mutation = 'none' | 'default-replication-policy';

/** Runs the failover; returns acknowledged messages lost and re-consumed. Throws where a step fails. */
async function failoverDrill(mutation: Mutation): Promise<{ lost: number; reconsumed: number; groupOffsetAtB: number }> {
  if (!existsSync(LIBS) || readdirSync(LIBS).length === 0) {
    throw new Error(`no Kafka jars in ${LIBS}: run mvn -f test/drills/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=${LIBS} (.ci/run does)`);
  }
  const work = mkdtempSync(join(tmpdir(), 'hsa-kafka-drill-'));
  try {
    const cr = synthesizedMirrorMaker(work);
    if (mutation === 'default-replication-policy') {
      for (const mirror of cr.spec.mirrors) {
        delete mirror.sourceConnector.config['replication.policy.class'];
        delete mirror.checkpointConnector.config['replication.policy.class'];
      }
    }
    const mapAddress = (bootstrap: string) => {
      if (bootstrap === cr.spec.target.bootstrapServers) return `127.0.0.1:${PORTS.B}`;
      if (cr.spec.mirrors.some((m) => m.source.bootstrapServers === bootstrap)) return `127.0.0.1:${PORTS.A}`;
      throw new Error(`no loopback stand-in for ${bootstrap}`);
    };
    const clusterA = startCluster(work, 'A');
    startCluster(work, 'B');
    await Promise.all([waitForCluster('A'), waitForCluster('B')]);
    java(['org.apache.kafka.tools.TopicCommand', '--bootstrap-server', `127.0.0.1:${PORTS.A}`, '--create', '--topic', TOPIC, '--partitions', '3', '--replication-factor', '1']);
    const mirrorMaker = await startMirrorMaker(work, cr, mapAddress);

    const acked = produce('A', MESSAGES);
    expect(acked.size).toBe(MESSAGES);
    const consumedAtA = await consume('A', work, CONSUMED_AT_A, 20);
    const committedAtA = groupOffsetAt('A');

    // MirrorMaker 2 has copied every message and translated the group's committed offsets to B.
    await waitFor(async () => endOffsetAt('B') >= MESSAGES, 60, `the topic ${TOPIC} at B did not reach ${MESSAGES} messages`);
    await waitFor(async () => groupOffsetAt('B') > 0, 120, `the group ${GROUP} has no translated offsets at B`);
    const groupOffsetAtB = groupOffsetAt('B');

    // Site A lost: MirrorMaker 2 stops (the deploy at B removes it), A's broker dies.
    await kill(mirrorMaker, 'SIGTERM');
    await kill(clusterA, 'SIGKILL');

    const consumedAtB = await consume('B', work, MESSAGES, 15);
    const seen = new Set([...consumedAtA, ...consumedAtB]);
    const lost = [...acked].filter((v) => !seen.has(v)).length;
    const atA = new Set(consumedAtA);
    const reconsumed = consumedAtB.filter((v) => atA.has(v)).length;
    console.log(
      `Kafka drill (${mutation}): ${acked.size} acknowledged at A; group committed ${committedAtA} at A, translated to ${groupOffsetAtB} at B; ` +
        `after failover ${consumedAtB.length} consumed at B, ${reconsumed} of them already consumed at A; lost: ${lost}`,
    );
    return { lost, reconsumed, groupOffsetAtB };
  } finally {
    await Promise.all([...running].map((child) => kill(child, 'SIGKILL')));
    rmSync(work, { recursive: true, force: true });
  }
}

afterAll(async () => {
  await Promise.all([...running].map((child) => kill(child, 'SIGKILL')));
});

test('consumers at B resume from the translated offsets after losing A: 0 acknowledged messages lost', async () => {
  const { lost, groupOffsetAtB } = await failoverDrill('none');
  expect(groupOffsetAtB).toBeGreaterThan(0);
  expect(lost).toBe(0);
});

test('fails with a broken configuration: without the identity replication policy the topic is renamed at B and the consumers find nothing', async () => {
  const outcome = await failoverDrill('default-replication-policy').then(
    (result) => result,
    (error: Error) => error,
  );
  console.log(`Kafka drill without IdentityReplicationPolicy: ${outcome instanceof Error ? outcome.message : `lost ${outcome.lost}`}`);
  if (!(outcome instanceof Error)) expect(outcome.lost).toBeGreaterThan(0);
  else expect(outcome.message).toContain(`the topic ${TOPIC} at B did not reach`);
});
