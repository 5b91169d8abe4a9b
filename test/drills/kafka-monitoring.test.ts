/**
 * The Kafka pair's alerts judged by the real components (#27): demo's core Kafka pair as a real Apache
 * Kafka broker (the version the toolkit deploys) in each datacenter's network namespace and MirrorMaker 2
 * at the standby site B copying from A across the link, configured from the synthesized custom resources
 * as in the site-loss drill (support/kafka-sites.ts). Beside each, the Prometheus JMX exporter as Strimzi's
 * Kafka image runs it (a Java agent; its collector at that image's version, 1.5.0:
 * support/jmx-exporter.ts) with exactly the rules of the synthesized `hsa-kafka-metrics` ConfigMap,
 * turned into JSON as the Strimzi operator does; a real Prometheus per site with exactly its unit's
 * synthesized rules and the pair's synthesized scrape jobs (their DNS names and relabelling kept: the
 * target carries the name it would be found by), and Alertmanager (the deployed version) with exactly
 * the synthesized configuration, posting to webhook receivers on loopback (support/alerting.ts).
 *
 * The environment runs one broker per site (`middleware.kafka.brokers: 1`), as the drill does, so that
 * the broker-down rule counts exactly the brokers running. Each exporter listens on its own address (the
 * real agent's `host:port:file` form; Strimzi gives `9404:file`, every address of its own pod), as the
 * broker and the MirrorMaker 2 worker share the namespace here.
 *
 *   - healthy: every series a Kafka alert reads is served, with the labels the alert selects on, no
 *     Kafka alert fires at either site, and the DR overview's figures of the pair answer at each;
 *   - the link cut: MirrorMaker 2's link-down alert reaches the middleware team within its bound;
 *     restored, it resolves;
 *   - the same cut with the exporter rules as synthesized before the link-down alert (no fetch counter):
 *     no alert of the pair arrives within the bound (the cut was invisible);
 *   - MirrorMaker 2's source connector paused: the task-not-running alert;
 *   - MirrorMaker 2 stopped: the mirror-down alert, naming the failover command;
 *   - the broker at A stopped: the broker-down alert at A, naming the failover command.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { alertDeliveryBoundSeconds, ALERT_GROUP_INTERVAL_SECONDS, ALERT_PROCESSING_SECONDS, EVALUATION_INTERVAL_SECONDS, SCRAPE_INTERVAL_SECONDS } from '../../model/alertmanager-config';
import { dashboardQueries, unitDashboards } from '../../model/dashboards';
import { parseEnvironment } from '../../model/load-environment';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import { type Site } from '../../model/topology';
import { KAFKA_METRICS_CONFIG, KAFKA_METRICS_PORT, KAFKA_MIRROR_FETCH_WINDOW_SECONDS } from '../../pairs/kafka/kafka-monitoring';
import { withAdmin } from '../../pairs/kafka/kafka-member';
import { arrival, Monitoring, monitoringValuesOf, Receivers, synthesizedStacks, type DrillStack, type MonitoringValues } from './support/alerting';
import { buildJmxExporterAgent } from './support/jmx-exporter';
import { INTERNAL, kafkaResourcesOf, PROJECT_TOPIC, PROJECT_USER, requireKafkaLibs, startKafkaDatacenters, type KafkaDatacenters, type SynthesizedKafka } from './support/kafka-sites';
import { sleep, waitFor } from './support/timing';
import { cutLink, namespacesAvailable, restoreLink, tearDownAll } from './support/two-datacenters';

jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
const PAIR = 'kafka@core';
const TOPIC = PROJECT_TOPIC;
/** The records the project writes at A while the drill runs, per second. */
const PER_SECOND = 20;

/** The `hsa-kafka-metrics` ConfigMap of a synthesized stack, key by key. */
function metricsConfigMap(stack: DrillStack, name: string): Record<string, string> {
  const found = Object.values(stack.resource.kubernetes_config_map_v1 ?? {}).find((c) => c.metadata.name === KAFKA_METRICS_CONFIG.name);
  if (!found) throw new Error(`${name} has no ConfigMap ${KAFKA_METRICS_CONFIG.name}`);
  return found.data;
}

/** The metrics config file Strimzi mounts for the JMX exporter: the ConfigMap's YAML written as JSON (JmxPrometheusExporterModel). */
function strimziMetricsConfig(work: string, file: string, yaml: string): string {
  const path = join(work, file);
  writeFileSync(path, JSON.stringify(parse(yaml)));
  return path;
}

interface RuleFile {
  readonly groups: readonly { readonly rules: readonly { readonly alert: string; readonly expr: string; readonly labels: Record<string, string> }[] }[];
}

/** The metric names each of the pair's alerts at a site reads, from the synthesized rule file. */
function seriesRead(values: MonitoringValues): Map<string, string[]> {
  const rules = (values.serverFiles['alerting_rules.yml'] as RuleFile).groups.flatMap((g) => g.rules).filter((r) => r.labels.hsa_pair === PAIR);
  return new Map(rules.map((r) => [r.alert, [...new Set([...r.expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!))]]));
}

const available = namespacesAvailable();
if (!available) {
  test('fails: the Kafka alerting drill needs root and ip netns', () => {
    throw new Error('network namespaces are not available: run the drills as root on Linux with iproute2');
  });
}

(available ? describe : describe.skip)("the Kafka pair's alerts through real Kafka, MirrorMaker 2, the JMX exporter, Prometheus and Alertmanager", () => {
  let work: string;
  let receivers: Receivers;
  let dc: KafkaDatacenters;
  let monitoring: Monitoring;
  let values: Map<string, MonitoringValues>;
  let province: ProvinceModel;
  let resources: Record<Site, SynthesizedKafka>;
  /** The mirror's exporter rules MirrorMaker 2 is (re)started with: the synthesized ones, or the broken ones. */
  let mirrorRules: string;
  const measured: Record<string, number> = {};
  const metricsHost: Record<Site, { broker: string; mirror: string }> = { A: { broker: '', mirror: '' }, B: { broker: '', mirror: '' } };

  const startMirror = async () => {
    await dc.startMirror('B', resources.B.mirror!);
    await waitFor(async () => (await monitoring.query('B', `kafka_connect_connector_task_status{hsa_pair="${PAIR}", connector=~".*MirrorSourceConnector", status="running"}`)).length >= 1, 180, "MirrorMaker 2's source task at B did not run");
  };

  beforeAll(async () => {
    requireKafkaLibs();
    work = mkdtempSync(join(tmpdir(), 'hsa-kafka-monitoring-'));
    receivers = await Receivers.start();
    const url = (team: string) => receivers.url(team);
    const json = JSON.parse(readFileSync(join(ROOT, 'environments', 'demo.json'), 'utf8')) as { middleware?: object; observability?: unknown; sites: Record<Site, { zones: Record<string, { kafkaBrokerVips?: string[] }> }> };
    // One broker per site, as the drill runs: the environment says so, with one broker address per site.
    json.middleware = { ...json.middleware, kafka: { brokers: 1 } };
    for (const site of ['A', 'B'] as const) for (const zone of Object.values(json.sites[site].zones)) if (zone.kafkaBrokerVips) zone.kafkaBrokerVips = zone.kafkaBrokerVips.slice(0, 1);
    json.observability = { receivers: { default: { webhook: url('default') }, teams: { middleware: { webhook: url('middleware') }, platform: { webhook: url('platform') }, database: { webhook: url('database') } } } };
    const loaded = parseEnvironment('demo', 'environments/demo.json', JSON.stringify(json));
    province = resolveProvince(loaded.name, loaded.environment);
    const stacks = synthesizedStacks(join(work, 'synth'), [loaded], 'A');
    values = monitoringValuesOf(stacks);
    const stackOf = (site: Site) => `demo-core-${site.toLowerCase()}`;
    const bySite = <T>(make: (site: Site) => T): Record<Site, T> => ({ A: make('A'), B: make('B') });
    const stackAt = (site: Site) => stacks.get(stackOf(site))!;
    resources = bySite((site) => kafkaResourcesOf(stackOf(site), Object.values(stackAt(site).resource.kubernetes_manifest ?? {}).map((m) => m.manifest)));
    if (!resources.B.mirror || resources.A.mirror) throw new Error('with A active, MirrorMaker 2 must run at B only');
    const configs = bySite((site) => metricsConfigMap(stackAt(site), stackOf(site)));
    const brokerRules = bySite((site) => strimziMetricsConfig(work, `broker-${site}.json`, configs[site][KAFKA_METRICS_CONFIG.brokerKey]!));
    mirrorRules = strimziMetricsConfig(work, 'mirror-B.json', configs.B[KAFKA_METRICS_CONFIG.mirrorKey]!);
    const unitAt = (site: Site) => province.units.find((u) => u.zone === 'core' && u.site === site)!;
    for (const site of ['A', 'B'] as const) metricsHost[site] = { broker: unitAt(site).middlewarePlan.kafka!.brokerAddresses[0]!, mirror: unitAt(site).middlewareVips.kafka! };
    const agent = buildJmxExporterAgent(work);
    const javaOptions = (name: string): readonly string[] => {
      const [role, site] = name.split('-') as [string, Site];
      if (role === 'kafka') return agent.options(metricsHost[site].broker, KAFKA_METRICS_PORT, brokerRules[site]);
      if (role === 'connect') return agent.options(metricsHost[site].mirror, KAFKA_METRICS_PORT, mirrorRules);
      return [];
    };
    dc = await startKafkaDatacenters(work, province, { A: resources, B: resources }, javaOptions);
    await withAdmin(dc.target('A', PROJECT_USER), (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }));
    // The project's application writes at A throughout, so that every partition has records to copy.
    const producer = dc.java('A', 'producer-A', ['org.apache.kafka.tools.VerifiableProducer', '--topic', TOPIC, '--max-messages', '-1', '--throughput', String(PER_SECOND), '--acks', '-1', '--bootstrap-server', INTERNAL, '--producer.config', dc.clientConfig(PROJECT_USER)]);
    producer.stdout?.resume();
    monitoring = new Monitoring(
      work,
      {
        stackPrefix: 'demo-core',
        pair: PAIR,
        jobs: [
          { job: 'kafka-brokers', port: KAFKA_METRICS_PORT, address: { A: metricsHost.A.broker, B: metricsHost.B.broker } },
          { job: 'kafka-mirror', port: KAFKA_METRICS_PORT, address: { B: metricsHost.B.mirror } },
        ],
      },
      join(ROOT, '.cache', 'tools'),
    );
    // Prometheus waits for every exporter: MirrorMaker 2's answers once its worker runs.
    const started = startMirror();
    await monitoring.startAll(values);
    await started;
  });

  /** The DR overview dashboard's figures of the pair at a site, query by query, as its Prometheus answers them. */
  const overview = async (site: Site): Promise<Map<string, string[]>> => {
    const unit = province.units.find((u) => u.zone === 'core' && u.site === site)!;
    const queries = dashboardQueries(unitDashboards(province, unit)[0]!.json).filter((q) => q.includes(`hsa_pair="${PAIR}"`));
    const answers = new Map<string, string[]>();
    for (const query of queries) answers.set(query, ((await monitoring.query(site, query)) as { value: [number, string] }[]).map((r) => r.value[1]));
    return answers;
  };
  const fetchesFigure = (answers: Map<string, string[]>) => [...answers].find(([query]) => query.includes('kafka_mirror_source_consumer_fetch_total'))?.[1];

  afterAll(async () => {
    await monitoring?.stopAll();
    await tearDownAll();
    await receivers?.stop();
    // eslint-disable-next-line no-console
    console.log(`Kafka alerting drill: measured ${JSON.stringify(measured)}`);
    if (process.env.HSA_DRILL_KEEP === '1') console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  test('healthy: the JMX exporter serves every series a Kafka alert reads, with the labels it selects on, and no Kafka alert fires', async () => {
    // Records copied in the last minute: the latency figures are numbers, not NaN (for the partitions the
    // producer is writing to now: it sticks to one partition for a batch's worth of records).
    await waitFor(async () => (await monitoring.query('B', `kafka_mirror_source_replication_latency_ms_max{hsa_pair="${PAIR}"} >= 0`)).length >= 1, 120, 'MirrorMaker 2 at B copied nothing');
    await sleep((SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS) * 1000);
    const missing: string[] = [];
    for (const site of ['A', 'B'] as const) {
      for (const [alert, names] of seriesRead(values.get(`demo-core-${site.toLowerCase()}`)!)) {
        for (const name of names) {
          const found = await monitoring.query(site, `${name}{hsa_pair="${PAIR}", hsa_site="${site}"}`);
          if (found.length === 0) missing.push(`${alert} at ${site}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
    // The labels the rules' descriptions and groupings use, from the real MBean names (JMX quotes the
    // connector's name and the consumer's client id; the labels must not carry the quotes).
    const tasks = (await monitoring.query('B', `kafka_connect_connector_task_status{hsa_pair="${PAIR}"}`)) as { metric: Record<string, string> }[];
    expect(tasks.map((t) => t.metric.connector)).toContain('core-a->core-b.MirrorSourceConnector');
    expect(tasks.filter((t) => /["|]/.test(t.metric.connector ?? '"'))).toEqual([]);
    const fetches = (await monitoring.query('B', `kafka_mirror_source_consumer_fetch_total{hsa_pair="${PAIR}"}`)) as { metric: Record<string, string> }[];
    // One series per source task (the connector's tasksMax, at most the partitions), each of the flow A to B.
    expect(fetches.length).toBeGreaterThanOrEqual(1);
    expect([...new Set(fetches.map((f) => f.metric.flow))]).toEqual(['core-a->core-b']);
    expect((await monitoring.query('A', `kafka_log_log_size{hsa_pair="${PAIR}", topic="${TOPIC}"}`)).length).toBe(3);
    expect([...(await monitoring.firing('A')), ...(await monitoring.firing('B'))]).toEqual([]);
    // The DR overview's figures of the pair answer at each site, one value each; at B the fetches from A.
    for (const site of ['A', 'B'] as const) {
      const answers = await overview(site);
      expect(answers.size).toBeGreaterThanOrEqual(1);
      for (const [query, values] of answers) expect({ site, query, answered: values.length }).toEqual({ site, query, answered: 1 });
    }
    expect(Number(fetchesFigure(await overview('B'))![0])).toBeGreaterThan(0);
  });

  const linkDownBound = KAFKA_MIRROR_FETCH_WINDOW_SECONDS + alertDeliveryBoundSeconds(30);
  // The fetch in flight when the link went is given up after the consumer's request timeout (30 s);
  // the next one completes; then one scrape, one evaluation, and the group's next update.
  const resolveBound = 30 + SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS + ALERT_GROUP_INTERVAL_SECONDS + ALERT_PROCESSING_SECONDS;

  test(`a cut link: MirrorMaker 2's link-down alert reaches the middleware team within ${linkDownBound} s; restored, it resolves within ${resolveBound} s`, async () => {
    const cutAt = Date.now();
    cutLink();
    let firingAfter: number | undefined;
    let alsoFiring: string[];
    try {
      firingAfter = await arrival(cutAt, linkDownBound, () => receivers.find(cutAt, 'middleware', PAIR, 'HsaKafkaMirrorLinkDown', 'B', 'firing'));
      // What else fired at B during the cut: the task and latency alerts stay silent (the tasks run, the
      // latency is NaN with nothing copied), which is why the fetch counter is watched.
      alsoFiring = await monitoring.firing('B');
      // The DR overview says so too: no fetch from A in the last minute.
      expect(fetchesFigure(await overview('B'))).toEqual(['0']);
    } catch (error) {
      restoreLink();
      throw error;
    }
    if (firingAfter === undefined) restoreLink();
    console.log(`Kafka link cut: HsaKafkaMirrorLinkDown after ${firingAfter ?? 'never'} s; firing at B: ${alsoFiring.join(', ')}`);
    expect(firingAfter).toBeDefined();
    measured.linkDownSeconds = firingAfter!;
    const notification = receivers.find(cutAt, 'middleware', PAIR, 'HsaKafkaMirrorLinkDown', 'B', 'firing')!;
    expect(Receivers.alert(notification, 'HsaKafkaMirrorLinkDown').annotations.runbook).toContain('npm run switchover -- --env demo --to B --site-lost A --pairs kafka');
    expect(receivers.received.filter((n) => n.receiver === 'default')).toEqual([]);

    const restoredAt = Date.now();
    restoreLink();
    const resolvedAfter = await arrival(restoredAt, resolveBound, () => receivers.find(restoredAt, 'middleware', PAIR, 'HsaKafkaMirrorLinkDown', 'B', 'resolved'));
    expect(resolvedAfter).toBeDefined();
    measured.resolvedSeconds = resolvedAfter!;
  });

  test('the same cut with the exporter rules as synthesized before the link-down alert (no fetch counter): nothing of the pair arrives within the bound', async () => {
    const synthesized = mirrorRules;
    const rules = JSON.parse(readFileSync(synthesized, 'utf8')) as { rules: { name: string }[] };
    const before = { ...rules, rules: rules.rules.filter((r) => r.name !== 'kafka_mirror_source_consumer_fetch_total') };
    expect(before.rules.length).toBe(rules.rules.length - 1);
    mirrorRules = join(work, 'mirror-B-before.json');
    writeFileSync(mirrorRules, JSON.stringify(before));
    try {
      await dc.stopMirror('B');
      await startMirror();
      await waitFor(async () => (await monitoring.firing('B')).length === 0, 180, 'alerts of the pair still firing at B after MirrorMaker 2 restarted');
      const cutAt = Date.now();
      cutLink();
      try {
        expect(await arrival(cutAt, linkDownBound, () => receivers.received.find((n) => n.receivedAt >= cutAt && n.alerts.some((a) => a.status === 'firing' && a.labels.hsa_pair === PAIR)))).toBeUndefined();
      } finally {
        restoreLink();
      }
    } finally {
      mirrorRules = synthesized;
      await dc.stopMirror('B');
      await startMirror();
    }
  });

  const taskBound = alertDeliveryBoundSeconds(60);

  test(`the source connector paused: the task-not-running alert within ${taskBound} s`, async () => {
    const connector = `${resources.B.mirror!.spec.mirrors[0]!.source.alias}->${resources.B.mirror!.spec.target.alias}.MirrorSourceConnector`;
    await waitFor(async () => (await monitoring.firing('B')).length === 0, 120, 'alerts of the pair still firing at B before the pause');
    const pausedAt = Date.now();
    const paused = await dc.connect('B', 'PUT', `/connectors/${encodeURIComponent(connector)}/pause`);
    expect(paused.status).toBe(202);
    try {
      const after = await arrival(pausedAt, taskBound, () => receivers.find(pausedAt, 'middleware', PAIR, 'HsaKafkaMirrorTaskNotRunning', 'B', 'firing'));
      expect(after).toBeDefined();
      measured.taskNotRunningSeconds = after!;
      const alert = Receivers.alert(receivers.find(pausedAt, 'middleware', PAIR, 'HsaKafkaMirrorTaskNotRunning', 'B', 'firing')!, 'HsaKafkaMirrorTaskNotRunning');
      expect(alert.labels.connector).toBe(connector);
    } finally {
      expect((await dc.connect('B', 'PUT', `/connectors/${encodeURIComponent(connector)}/resume`)).status).toBe(202);
    }
  });

  test(`MirrorMaker 2 stopped: the mirror-down alert within ${taskBound} s, naming the failover`, async () => {
    // From the moment the worker is gone (its clean shutdown takes a few seconds, serving metrics meanwhile).
    await dc.stopMirror('B');
    const stoppedAt = Date.now();
    const after = await arrival(stoppedAt, taskBound, () => receivers.find(stoppedAt, 'middleware', PAIR, 'HsaKafkaMirrorDown', 'B', 'firing'));
    expect(after).toBeDefined();
    measured.mirrorDownSeconds = after!;
    const alert = Receivers.alert(receivers.find(stoppedAt, 'middleware', PAIR, 'HsaKafkaMirrorDown', 'B', 'firing')!, 'HsaKafkaMirrorDown');
    expect(alert.annotations.runbook).toContain('npm run switchover -- --env demo --to B --site-lost A --pairs kafka');
  });

  test(`the broker at the active site stopped: the broker-down alert at A within ${taskBound} s, naming the failover`, async () => {
    await dc.stopBroker('A');
    const stoppedAt = Date.now();
    const after = await arrival(stoppedAt, taskBound, () => receivers.find(stoppedAt, 'middleware', PAIR, 'HsaKafkaBrokerDown', 'A', 'firing'));
    expect(after).toBeDefined();
    measured.brokerDownSeconds = after!;
    const alert = Receivers.alert(receivers.find(stoppedAt, 'middleware', PAIR, 'HsaKafkaBrokerDown', 'A', 'firing')!, 'HsaKafkaBrokerDown');
    expect(alert.annotations.runbook).toContain('npm run switchover -- --env demo --to B --site-lost A');
  });
});
