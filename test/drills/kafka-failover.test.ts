/**
 * Kafka DR drill: two real Apache Kafka clusters (KRaft, the version the toolkit deploys, jars from Maven
 * Central: test/drills/kafka/pom.xml), one in each datacenter's network namespace at the environment's
 * own addresses (the zone's Kafka VIP and first broker VIP, port 9094; the in-cluster bootstrap Service
 * stands as 127.0.0.1:9092 inside each namespace). What the Strimzi operator would make of the
 * synthesized custom resources, the drill makes itself and says so:
 * - Kafka: each `spec.kafka.listeners[]` entry becomes a broker listener (`tls` -> SSL with the
 *   certificate of `configuration.brokerCertChainAndKey`, `authentication.type: scram-sha-512` ->
 *   SASL with SCRAM-SHA-512); `authorization.type: simple` -> the StandardAuthorizer. Strimzi's own
 *   replication and controller listeners (its brokers' identity) are plaintext on 127.0.0.1 here, as
 *   super user; the drill's single broker takes its replication factors from the drill, not from
 *   `spec.kafka.config`.
 * - KafkaUser (the User Operator): SCRAM-SHA-512 credentials from the users Secret (formatted into the
 *   cluster's metadata), `spec.authorization.acls` created as Kafka ACLs.
 * - KafkaMirrorMaker2: `spec.target` becomes the Connect worker (bootstrap, group id, the three storage
 *   topics, its config, its login), each `spec.mirrors[]` entry a MirrorSourceConnector and a
 *   MirrorCheckpointConnector posted to Connect's REST API with the entry's patterns (include and
 *   exclude), tasks and connector config, byte-array converters, and each cluster's `tls` and
 *   `authentication` as `source.cluster.*` / `target.cluster.*` client settings (the truststore as a
 *   PEM file where Strimzi builds a PKCS12 one). Its source is the other site's real address, across
 *   the inter-datacenter link, over TLS as `hsa-mirror-maker`.
 * The project's applications (producer, consumer group) log in as the project's user on its topic
 * prefix; the switchover logs in as `hsa-switchover`. A project's user must not reach another project's
 * topics, and the external listener must not answer without TLS.
 *
 * The switchover is `executeSwitchover` (what `npm run switchover` runs) with a deployer that starts or
 * stops MirrorMaker 2 as the synthesized stacks of the new active site say. A producer writes at a steady
 * rate at A, a consumer group commits part of it; the link is cut mid-write and A keeps acknowledging
 * writes of its own. The failover promotes B; the group resumes at B from its translated offsets; when A
 * is back its records MirrorMaker 2 never copied are counted and saved, A is rebuilt clean and follows B.
 * Every acknowledged message must be at B or saved (0 lost), and the count of saved records must equal
 * the acknowledged messages missing at B. Then a planned failback to A (B writes, then stops; the
 * switchover waits for the mirror, moves, rebuilds B clean): 0 lost, 0 twice. Without the identity
 * replication policy, or with a plaintext external listener, the drill must fail.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { KAFKA_SYSTEM_USERS } from '../../pairs/kafka/kafka-plan';
import { resolveProvince } from '../../model/platform-model';
import { otherSite, type Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { executeSwitchover, InjectedFault, type SwitchoverOutcome } from '../../switchover/execute-switchover';
import { groupOffsets, KafkaAuthenticationError, kafkaReachable, readRecords, withAdmin } from '../../pairs/kafka/kafka-member';
import { INTERNAL, KafkaDatacenters, PROJECT_TOPIC, PROJECT_USER, kafkaResourcesOf, requireKafkaLibs, startKafkaDatacenters, stop, type SynthesizedKafka } from './support/kafka-sites';
import { cutLink, namespacesAvailable, restoreLink, setSeatReachable, tearDownAll } from './support/two-datacenters';
import { sleep, waitFor } from './support/timing';
import { terraformLiteralText } from '../../synthesized/terraform-literal';

jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
const TOPIC = PROJECT_TOPIC;
const GROUP = 'hxjb.settlement-app';
// 100 s of writes: Connect starts, the consumer group's offsets reach B (checkpoints every 10 s) and
// the link is cut while A still writes.
const MESSAGES = 40000;
const PER_SECOND = 400;

type Mutation = 'none' | 'default-replication-policy' | 'plaintext-external-listener';

/** The synthesized Kafka resources of each core stack, per active site, broken on purpose by `mutation`. */
function synthesizedKafka(work: string, mutation: Mutation): Record<Site, Record<Site, SynthesizedKafka>> {
  const envs = loadEnvironments(join(ROOT, 'environments'), ['demo']);
  const result = { A: {}, B: {} } as Record<Site, Record<Site, SynthesizedKafka>>;
  for (const active of ['A', 'B'] as const) {
    const outdir = join(work, `synth-${active}`);
    buildPlatformApp(outdir, envs, { activeSite: active }).synth();
    for (const site of ['A', 'B'] as const) {
      const stack = JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', `demo-core-${site.toLowerCase()}`, 'cdk.tf.json'), 'utf8'))) as { resource: { kubernetes_manifest?: Record<string, { manifest: { kind: string } & Record<string, unknown> }> } };
      const resources = kafkaResourcesOf(`demo-core-${site.toLowerCase()} (active ${active})`, Object.values(stack.resource.kubernetes_manifest ?? {}).map((m) => m.manifest));
      const { cluster, mirror } = resources;
      if (mirror && mutation === 'default-replication-policy') {
        for (const entry of mirror.spec.mirrors) {
          delete entry.sourceConnector.config['replication.policy.class'];
          delete entry.checkpointConnector.config['replication.policy.class'];
        }
      }
      if (mutation === 'plaintext-external-listener') {
        for (const listener of cluster.spec.kafka.listeners) if (listener.type === 'loadbalancer') listener.tls = false;
      }
      result[active][site] = resources;
    }
  }
  return result;
}

/** JSON events of a Verifiable* tool, line by line. */
function events(child: ChildProcess, on: (event: { name: string; value?: string; success?: boolean }) => void): Promise<void> {
  let buffer = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) on(JSON.parse(line) as { name: string; value?: string; success?: boolean });
  });
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * An application consuming as GROUP at `site`, committing as it goes, from its committed offsets (at B:
 * those MirrorMaker 2 translated); a partition the group never committed is read from its beginning.
 */
function startConsumer(dc: KafkaDatacenters, site: Site): { values: string[]; idleMs: () => number; stop: () => Promise<string[]> } {
  const child = dc.java(site, `consumer-${site}`, ['org.apache.kafka.tools.VerifiableConsumer', '--topic', TOPIC, '--group-id', GROUP, '--verbose', '--reset-policy', 'earliest', '--bootstrap-server', INTERNAL, '--consumer.config', dc.clientConfig(PROJECT_USER)]);
  const values: string[] = [];
  let last = Date.now();
  let committed = 0;
  const log = join(dc.work, `consumer-${site}.events`);
  const exited = events(child, (event) => {
    if (event.name !== 'record_data') writeFileSync(log, `${JSON.stringify(event)}\n`, { flag: 'a' });
    if (event.name === 'record_data') {
      values.push(event.value!);
      last = Date.now();
    }
    if (event.name === 'offsets_committed' && event.success) committed++;
  });
  return {
    values,
    idleMs: () => Date.now() - last,
    stop: async () => {
      await stop(child, 'SIGTERM', 20);
      await exited;
      if (values.length > 0 && committed === 0) throw new Error(`consumer at ${site} committed no offsets`);
      return values;
    },
  };
}

async function topicValues(dc: KafkaDatacenters, site: Site): Promise<string[]> {
  const values: string[] = [];
  await readRecords(dc.target(site), TOPIC, undefined, (r) => values.push(r.value?.toString('utf8') ?? ''));
  return values;
}

/**
 * Runs the switchover as an operator would. With `kills`, the run is killed at every fault point it has
 * not been killed at yet (before and after each step) and started again on its journal each time.
 */
async function switchover(dc: KafkaDatacenters, journal: string, activeSite: Site, extra: { siteLost?: Site; discardDivergent?: boolean; kills?: Set<string> } = {}): Promise<SwitchoverOutcome> {
  const env = loadEnvironments(join(ROOT, 'environments'), ['demo'])[0]!.environment;
  const province = resolveProvince('demo', { ...env, activeSite });
  const lines: string[] = [];
  const kills = extra.kills;
  let killed = 0;
  for (;;) {
    try {
      const outcome = await executeSwitchover({
        province,
        kinds: ['kafka'],
        to: otherSite(activeSite),
        ...(extra.siteLost ? { siteLost: extra.siteLost } : {}),
        execute: true,
        journalDir: journal,
        kafka: dc.access(KAFKA_SYSTEM_USERS.switchover),
        discardDivergent: extra.discardDivergent ?? false,
        deployer: dc.deployer(),
        print: (line) => lines.push(line),
        ...(kills ? { killAt: (point: string) => !kills.has(point) && kills.add(point) !== undefined } : {}),
      });
      console.log(`switchover ${activeSite} -> ${otherSite(activeSite)}${extra.siteLost ? ` (site ${extra.siteLost} lost)` : ''}: ${outcome.status}${kills ? ` after ${killed} kills and restarts` : ''}${'reason' in outcome ? ` (${outcome.reason})` : ''}\n${lines.join('\n')}`);
      return outcome;
    } catch (error) {
      if (!(error instanceof InjectedFault)) throw error;
      killed++;
      lines.push(`-- ${error.message}; started again on the journal`);
    }
  }
}

interface DrillResult {
  acknowledged: number;
  missingAtB: number;
  divergentSaved: number;
  lostForGood: number;
  resumedAtB: number;
  reconsumedAtB: number;
  consumedAtA: number;
  rtoSeconds: number;
  windowSeconds: number;
  duplicatesAtA: number;
  failback?: FailbackResult;
}

interface FailbackResult {
  acknowledgedAtB: number;
  lost: number;
  unmirroredWhenMoved: number;
  duplicates: { A: number; B: number };
  sameRecords: boolean;
  reconsumedAtA: number;
  rtoSeconds: number;
}

/**
 * Failing back, planned (both sites up, B active, A following): B's applications write and consume, then
 * stop; the switchover B -> A waits until MirrorMaker 2 at A has every record and the group's offsets,
 * promotes A, stops the mirror at A, rebuilds B clean, and verifies B follows A. Every record B
 * acknowledged must be at A, each once, and the group resumes at A.
 */
async function plannedFailback(dc: KafkaDatacenters, journal: string): Promise<FailbackResult> {
  const acknowledged = new Set<string>();
  // Values "2.<n>": distinct from the first producer's.
  const producer = dc.java('B', 'producer-B', ['org.apache.kafka.tools.VerifiableProducer', '--topic', TOPIC, '--max-messages', '4000', '--throughput', String(PER_SECOND), '--acks', '-1', '--value-prefix', '2', '--bootstrap-server', INTERNAL, '--producer.config', dc.clientConfig(PROJECT_USER)]);
  const produced = events(producer, (event) => {
    if (event.name === 'producer_send_success') acknowledged.add(event.value!);
  });
  const consumerAtB = startConsumer(dc, 'B');
  await produced;
  await waitFor(async () => consumerAtB.idleMs() > 10_000, 120, 'the group at B did not settle');
  const consumedAtB = await consumerAtB.stop();

  const outcome = await switchover(dc, journal, 'B');
  expect(outcome).toMatchObject({ status: 'completed' });
  const report = outcome.status === 'completed' ? outcome.report : undefined;
  const kafka = report!.pairs.find((p) => p.pair.startsWith('kafka@'))!;

  const [atA, atB] = [await topicValues(dc, 'A'), await topicValues(dc, 'B')];
  const consumerAtA = startConsumer(dc, 'A');
  await waitFor(async () => consumerAtA.idleMs() > 15_000, 180, 'the group at A did not settle');
  const resumedAtA = await consumerAtA.stop();
  const seen = new Set([...consumedAtB, ...resumedAtA]);
  const setA = new Set(atA);
  const seenAtB = new Set(consumedAtB);
  const result: FailbackResult = {
    acknowledgedAtB: acknowledged.size,
    lost: [...acknowledged].filter((v) => !setA.has(v) || !seen.has(v)).length,
    unmirroredWhenMoved: kafka.unmirroredRecords ?? -1,
    duplicates: { A: atA.length - setA.size, B: atB.length - new Set(atB).size },
    sameRecords: atA.length === atB.length && atB.every((v) => setA.has(v)),
    reconsumedAtA: resumedAtA.filter((v) => seenAtB.has(v)).length,
    rtoSeconds: report!.rtoSeconds,
  };
  console.log(
    `Kafka planned failback B -> A: ${result.acknowledgedAtB} acknowledged at B, not copied when the switchover moved: ${result.unmirroredWhenMoved}, lost: ${result.lost}; ` +
      `A holds ${atA.length} records (${result.duplicates.A} twice), B rebuilt from A ${atB.length} (${result.duplicates.B} twice); the group read ${result.reconsumedAtA} again at A; RTO ${result.rtoSeconds.toFixed(1)} s`,
  );
  return result;
}

async function siteLossDrill(mutation: Mutation): Promise<DrillResult> {
  requireKafkaLibs();
  const work = mkdtempSync(join(tmpdir(), 'hsa-kafka-drill-'));
  const journal = join(work, 'journal');
  try {
    const env = loadEnvironments(join(ROOT, 'environments'), ['demo'])[0]!.environment;
    const province = resolveProvince('demo', { ...env, activeSite: 'A' });
    const crs = synthesizedKafka(work, mutation);
    const dc = await startKafkaDatacenters(work, province, crs);
    const pair = dc.pair;
    await withAdmin(dc.target('A', PROJECT_USER), (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }));
    // Least privilege: another project's user reaches none of this project's topics.
    const otherProject = crs.A.A.users.map((u) => u.metadata.name).find((name) => name.startsWith('proj-') && name !== PROJECT_USER);
    if (!otherProject) throw new Error('demo core has one Kafka project only: the least-privilege check needs two');
    const seenByOther = await withAdmin(dc.target('A', otherProject), (admin) => admin.fetchTopicMetadata({ topics: [TOPIC] })).then(
      () => 'read the topic metadata',
      (error: Error) => error.message,
    );
    if (!/not authorized|authoriz/i.test(seenByOther)) throw new Error(`${otherProject} reached ${TOPIC} of ${PROJECT_USER}: ${seenByOther}`);
    // A wrong password is a refused login, said so with the user, never "does not answer".
    const wrong = dc.target('A');
    const loginRefused = await kafkaReachable({ ...wrong, access: { ...wrong.access, password: 'not-the-password' } }).then(
      (answered) => `answered: ${String(answered)}`,
      (error: Error) => (error instanceof KafkaAuthenticationError ? error.message : `${error.name}: ${error.message}`),
    );
    if (!loginRefused.includes(`refused the login of user "${KAFKA_SYSTEM_USERS.switchover}"`)) throw new Error(`a wrong Kafka password was reported as: ${loginRefused}`);
    console.log(`Kafka, a wrong password: ${loginRefused}`);

    // A steady producer at A; a consumer group commits part of it there.
    const acknowledged = new Set<string>();
    const producer = dc.java('A', 'producer-A', ['org.apache.kafka.tools.VerifiableProducer', '--topic', TOPIC, '--max-messages', String(MESSAGES), '--throughput', String(PER_SECOND), '--acks', '-1', '--bootstrap-server', INTERNAL, '--producer.config', dc.clientConfig(PROJECT_USER)]);
    const produced = events(producer, (event) => {
      if (event.name === 'producer_send_success') acknowledged.add(event.value!);
    });
    const consumerAtA = startConsumer(dc, 'A');
    // Site A active: B's stacks as synthesized (MirrorMaker 2 at B mirroring A).
    await dc.deployer().deploy(['demo-core-b'], 'A');
    await waitFor(async () => (await groupOffsets(dc.target('B')).catch(() => new Map())).has(GROUP), 90, `the group ${GROUP} has no translated offsets at B`);
    // One more checkpoint interval, so the translated offsets follow the group closely.
    await sleep(12_000);

    const sum = (offsets: Map<string, Map<string, number>>) => [...(offsets.get(GROUP)?.values() ?? [])].reduce((a, b) => a + b, 0);
    const committedAtA = sum(await groupOffsets(dc.target('A')));
    const translatedAtB = sum(await groupOffsets(dc.target('B')));
    console.log(`group ${GROUP}: committed ${committedAtA} at A, translated to ${translatedAtB} at B`);

    // Site A lost mid-write: the link and the operator's way into A cut; A keeps acknowledging writes
    // (its consuming application is lost with it).
    const cutAt = acknowledged.size;
    if (cutAt >= MESSAGES) throw new Error(`the producer finished before the link was cut (${cutAt} acknowledged): the drill would prove nothing`);
    cutLink();
    setSeatReachable('A', false);
    const consumedAtA = await consumerAtA.stop();
    // Without a broken configuration, every run of the site loss is killed at every fault point and resumed.
    const kills = mutation === 'none' ? new Set<string>() : undefined;
    const failover = await switchover(dc, journal, 'A', { siteLost: 'A', ...(kills ? { kills } : {}) });
    expect(failover).toMatchObject({ status: 'waiting' });
    await produced;
    expect(acknowledged.size).toBe(MESSAGES);

    // The group resumes at B from its translated offsets.
    const consumerAtB = startConsumer(dc, 'B');
    // Until it has read nothing for 15 s (the JVM starts and joins within that).
    await waitFor(async () => consumerAtB.idleMs() > 15_000, 180, 'the group at B did not settle');
    const resumedAtB = await consumerAtB.stop();
    const atB = new Set(await topicValues(dc, 'B'));
    const missingAtB = [...acknowledged].filter((v) => !atB.has(v));

    // A is back: its records B never got are counted and saved; the switchover refuses until acknowledged.
    restoreLink();
    setSeatReachable('A', true);
    const refused = await switchover(dc, journal, 'A', { siteLost: 'A', ...(kills ? { kills } : {}) });
    expect(refused).toMatchObject({ status: 'refused' });
    const savedFile = join(journal, `divergent-kafka-${pair.zone}.jsonl`);
    const saved = readFileSync(savedFile, 'utf8').split('\n').filter(Boolean).map((l) => Buffer.from((JSON.parse(l) as { value: string }).value, 'base64').toString('utf8'));
    const completed = await switchover(dc, journal, 'A', { siteLost: 'A', discardDivergent: true, ...(kills ? { kills } : {}) });
    if (kills) console.log(`Kafka site loss: killed at ${kills.size} fault points and resumed each time`);
    expect(completed).toMatchObject({ status: 'completed' });
    const report = completed.status === 'completed' ? completed.report : undefined;
    const kafkaReport = report!.pairs.find((p) => p.pair === `kafka@${pair.zone}`)!;

    // A was rebuilt clean and follows B: it holds B's records, each once.
    const atA = await topicValues(dc, 'A');
    const duplicatesAtA = atA.length - new Set(atA).size;
    expect(new Set(atA)).toEqual(atB);

    const savedSet = new Set(saved);
    const lostForGood = [...acknowledged].filter((v) => !atB.has(v) && !savedSet.has(v)).length;
    const seenAtA = new Set(consumedAtA);
    const reconsumedAtB = resumedAtB.filter((v) => seenAtA.has(v)).length;
    const result: DrillResult = {
      acknowledged: acknowledged.size,
      missingAtB: missingAtB.length,
      divergentSaved: kafkaReport.divergentRecords ?? -1,
      lostForGood,
      resumedAtB: resumedAtB.length,
      reconsumedAtB,
      consumedAtA: consumedAtA.length,
      rtoSeconds: report!.rtoSeconds,
      windowSeconds: kafkaReport.windowSeconds ?? -1,
      duplicatesAtA,
    };
    if (mutation === 'none') result.failback = await plannedFailback(dc, join(work, 'journal-failback'));
    console.log(
      `Kafka site-loss drill (${mutation}): ${result.acknowledged} acknowledged at A (${cutAt} before the cut); ` +
        `missing at B: ${result.missingAtB}, saved at A as divergent: ${result.divergentSaved} (${saved.length} lines), lost for good: ${lostForGood}; ` +
        `group consumed ${consumedAtA.length} at A, then ${result.resumedAtB} at B of which ${reconsumedAtB} already consumed at A; RTO ${result.rtoSeconds.toFixed(1)} s, window ${result.windowSeconds} s; ` +
        `A rebuilt: ${atA.length} records, ${duplicatesAtA} duplicates`,
    );
    return result;
  } finally {
    await tearDownAll();
    // HSA_DRILL_KEEP=1 keeps the logs and the journal for a look after a failure.
    if (process.env.HSA_DRILL_KEEP === '1') console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

const available = namespacesAvailable();

afterAll(async () => {
  await tearDownAll();
});

test('site loss, then planned failback: the group resumes at B from translated offsets; every acknowledged record is at B or saved at A, the saved count equals what B misses; A rebuilt clean follows B; failing back loses nothing and copies nothing twice', async () => {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const result = await siteLossDrill('none');
  expect(result.lostForGood).toBe(0);
  expect(result.divergentSaved).toBe(result.missingAtB);
  expect(result.resumedAtB).toBeGreaterThan(0);
  // Resumed from the translated offsets: without them the group would read all it consumed at A again.
  expect(result.reconsumedAtB).toBeLessThan(result.consumedAtA / 2);
  expect(result.duplicatesAtA).toBe(0);
  // (c) failback, planned: nothing lost, nothing twice, both sites hold the same records.
  expect(result.failback).toMatchObject({ lost: 0, unmirroredWhenMoved: 0, duplicates: { A: 0, B: 0 }, sameRecords: true });
  expect(result.failback!.acknowledgedAtB).toBe(4000);
});

test('fails with a broken configuration: without the identity replication policy the topic is renamed at B and the group finds nothing', async () => {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const outcome = await siteLossDrill('default-replication-policy').then(
    (result) => result,
    (error: Error) => error,
  );
  console.log(`Kafka drill without IdentityReplicationPolicy: ${outcome instanceof Error ? outcome.message.split('\n')[0] : JSON.stringify(outcome)}`);
  // The drill must fail on the broken configuration, not on its own machinery: a drill that cannot
  // start its servers proves nothing about the mirror.
  if (outcome instanceof Error) expect(outcome.message).not.toMatch(/no Kafka jars|did not start|needs root|Connect at [AB] refused/);
  const passed = !(outcome instanceof Error) && outcome.lostForGood === 0 && outcome.divergentSaved === outcome.missingAtB && outcome.resumedAtB > 0 && outcome.duplicatesAtA === 0;
  expect(passed).toBe(false);
});

test('fails with a broken configuration: a plaintext external listener is refused before any record crosses the datacenter link', async () => {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const outcome = await siteLossDrill('plaintext-external-listener').then(
    (result) => result,
    (error: Error) => error,
  );
  console.log(`Kafka drill with a plaintext external listener: ${outcome instanceof Error ? outcome.message.split('\n')[0] : JSON.stringify(outcome)}`);
  expect(outcome).toBeInstanceOf(Error);
  expect((outcome as Error).message).toContain('answers without TLS');
});
