/**
 * The database pair's alerts judged by the real components (#27): ningxia's core-zone CloudNativePG pair
 * as two real PostgreSQL servers in two network namespaces (datacenter A and B, support/two-datacenters.ts),
 * the primary at A and B streaming from it as the replica cluster does, each watched by CloudNativePG's
 * own metrics exporter (its instance manager's code, built from the operator's module at the version the
 * toolkit deploys: conformance/cloudnative-pg/main.go `metrics`) with the operator's default queries of
 * that version, for exactly the synthesized Cluster of its site; a real Prometheus per site with exactly
 * its unit's synthesized rules and the pair's synthesized scrape job, and a real Alertmanager (the deployed
 * version, built from its Go module) with exactly the synthesized configuration, posting to webhook
 * receivers on loopback (support/alerting.ts); the database team's receiver is ningxia's, kept in a Secret
 * (`webhookFromSecret`), which Alertmanager reads where the pod mounts it.
 *
 * The servers run with the PostgreSQL parameters CloudNativePG's webhook sets on the synthesized Cluster
 * (among them `wal_receiver_timeout`, which decides how soon a cut link is seen) and with CloudNativePG's
 * own archive command; not with its logging parameters (its instance manager collects the logs from
 * /controller/log; here each server logs to the drill) nor TLS (the link's certificates are not what
 * this drill judges). The exporter sees the data directory where a pod has it
 * (/var/lib/postgresql/data/pgdata, in a mount namespace of its own).
 *
 *   - the link cut: the standby's link-down alert reaches the database team within the bound; restored, it resolves;
 *   - the standby's replay paused while the applications write: the lag alert arrives within its bound;
 *   - the DR overview dashboard's database figures answer from each site's Prometheus, as the pair is;
 *   - the standby promoted while A stays active: the split-brain alert;
 *   - the primary stopped: the database-down alert at A, naming the failover command.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudNativePgTool } from '../../conformance/cloudnative-pg';
import { alertDeliveryBoundSeconds, ALERT_GROUP_INTERVAL_SECONDS, ALERT_PROCESSING_SECONDS, EVALUATION_INTERVAL_SECONDS, SCRAPE_INTERVAL_SECONDS } from '../../model/alertmanager-config';
import { dashboardQueries, unitDashboards } from '../../model/dashboards';
import { parseEnvironment } from '../../model/load-environment';
import type { ReceiverTarget } from '../../model/observability-schema';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES, type Site } from '../../model/topology';
import { databasePairName, databasePairsOf } from '../../pairs/database/database-driver';
import { CLOUDNATIVE_PG_METRICS_PORT, CLOUDNATIVE_PG_QUERIES_TTL_SECONDS, DATABASE_LAG_ALERT_SECONDS } from '../../pairs/database/database-monitoring';
import { Monitoring, monitoringValuesOf, Receivers, synthesizedStacks, type DrillStack, type MonitoringValues } from './support/alerting';
import { POSTGRESQL_PORT, PostgresqlSites, postgresUser, startWriter } from './support/postgresql-sites';
import { sleep, waitFor } from './support/timing';
import { buildTwoDatacenters, cutLink, namespacesAvailable, restoreLink, spawnIn, tearDownAll } from './support/two-datacenters';

jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
/** Where a CloudNativePG pod has its data directory (the exporter reads its WAL state there). */
const POD_PGDATA = '/var/lib/postgresql/data/pgdata';
const NAMESPACE = PLATFORM_NAMESPACES.middleware;

interface Cluster {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: { readonly bootstrap: { readonly initdb?: { readonly database: string } }; readonly postgresql: { readonly parameters: Record<string, string> } };
}

/** The site's Cluster as the API server receives it (the namespace resolved, as Terraform does). */
function clusterOf(stack: DrillStack): Cluster {
  const found = Object.values(stack.resource.kubernetes_manifest ?? {}).find((m) => m.manifest.kind === 'Cluster')!;
  const manifest = JSON.parse(JSON.stringify(found.manifest)) as Cluster;
  return { ...manifest, metadata: { ...manifest.metadata, namespace: NAMESPACE } };
}

/** CloudNativePG's mutating webhook on the Cluster: the parameters it sets, the monitoring queries it adds. */
function defaulted(tool: string, cluster: Cluster): Cluster {
  const run = spawnSync(tool, ['defaults'], { input: JSON.stringify(cluster), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`CloudNativePG's defaults failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Cluster;
}

const readIfThere = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(nothing)');

/** A postgresql.conf literal. */
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The settings file (CloudNativePG's `custom.conf`) of a site's server: the Cluster's parameters as
 * CloudNativePG's webhook set them, without the logging ones (see above), and CloudNativePG's archive
 * command run by its own code for this pod.
 */
function customConf(tool: string, cluster: Cluster, pod: string, dataDir: string): string {
  const parameters = Object.entries(cluster.spec.postgresql.parameters).filter(([key]) => !key.startsWith('log_') && key !== 'logging_collector');
  return [...parameters.map(([key, value]) => `${key} = ${literal(value)}`), `archive_command = ${literal(`${tool} wal-archive --pod-name ${pod} --pg-data ${dataDir} %p`)}`, 'hot_standby = on', ''].join('\n');
}

const available = namespacesAvailable();
if (!available) {
  test('fails: the database alerting drill needs root and ip netns', () => {
    throw new Error('network namespaces are not available: run the drills as root on Linux with iproute2');
  });
}

(available ? describe : describe.skip)("the database pair's alerts through real PostgreSQL, CloudNativePG's exporter, Prometheus and Alertmanager", () => {
  let work: string;
  let tool: string;
  let receivers: Receivers;
  let province: ProvinceModel;
  let db: PostgresqlSites;
  let monitoring: Monitoring;
  let values: Map<string, MonitoringValues>;
  let pair: string;
  let applicationDatabase: string;
  /** Each site's Cluster as synthesized, and after CloudNativePG's webhook. */
  const synthesizedClusters = new Map<Site, Cluster>();
  const clusters = new Map<Site, Cluster>();
  const measured: Record<string, number> = {};
  /** The Secrets the environment keeps receivers' URLs in, with the drill's URLs: secret -> key -> URL. */
  const receiverSecrets: Record<string, Record<string, string>> = {};
  const pod = (site: Site) => `${clusters.get(site)!.metadata.name}-1`;

  const exporters = new Map<Site, ChildProcess>();

  /** The exporter beside a site's server, as in the pod: its data directory at the pod's path, its server on the socket. */
  function startExporter(site: Site, cluster: Cluster = clusters.get(site)!): void {
    const clusterFile = join(work, `cluster-${site}.json`);
    writeFileSync(clusterFile, JSON.stringify(cluster));
    const script = ['set -e', 'mount -t tmpfs tmpfs /var/lib/postgresql', `mkdir -p ${POD_PGDATA}`, `mount --bind ${db.dir(site)} ${POD_PGDATA}`, `exec ${tool} metrics --cluster ${clusterFile} --pgdata ${POD_PGDATA} --pod ${pod(site)}`].join('\n');
    const exporter = spawnIn(site, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env: { ...process.env, PGHOST: db.sockets(site), PGPORT: String(POSTGRESQL_PORT) } });
    const log = join(work, `exporter-${site}.log`);
    exporter.stdout?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    exporter.stderr?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    exporters.set(site, exporter);
  }

  async function stopExporter(site: Site): Promise<void> {
    const exporter = exporters.get(site)!;
    if (exporter.exitCode !== null || exporter.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => exporter.once('exit', () => resolve()));
    exporter.kill('SIGKILL');
    await exited;
  }

  /** What a site's exporter serves now, read directly. */
  async function exported(site: Site): Promise<string> {
    const response = await fetch(`http://${db.host[site]}:${CLOUDNATIVE_PG_METRICS_PORT}/metrics`).catch(() => undefined);
    return response?.ok ? response.text() : '';
  }

  /** A metric of the pair at a site, as its Prometheus has it now. */
  async function value(site: Site, metric: string, matchers = ''): Promise<number | undefined> {
    const result = (await monitoring.query(site, `max(${metric}{hsa_pair="${pair}", hsa_site="${site}"${matchers}})`)) as { value: [number, string] }[];
    return result[0] ? Number(result[0].value[1]) : undefined;
  }

  const streaming = async () => (await value('B', 'cnpg_pg_replication_is_wal_receiver_up')) === 1 && (await value('B', 'cnpg_pg_replication_lag')) === 0;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hsa-database-alerts-'));
    const { uid, gid } = postgresUser();
    chownSync(work, uid, gid);
    tool = cloudNativePgTool(join(ROOT, '.cache', 'tools'));
    receivers = await Receivers.start();
    // The environment's receivers, each pointed at the drill's: a webhook by its URL, one kept in a Secret
    // (ningxia's database team) by the Secret's content, as the province creates it.
    const json = JSON.parse(readFileSync(join(ROOT, 'environments', 'ningxia.json'), 'utf8')) as { observability: { receivers: { default: ReceiverTarget; teams: Record<string, ReceiverTarget> } } };
    const pointed = (name: string, target: ReceiverTarget): ReceiverTarget => {
      if (!target.webhookFromSecret) return { ...target, webhook: receivers.url(name) };
      (receiverSecrets[target.webhookFromSecret.secret] ??= {})[target.webhookFromSecret.key ?? 'url'] = receivers.url(name);
      return target;
    };
    const { receivers: declared } = json.observability;
    json.observability.receivers = { default: pointed('default', declared.default), teams: Object.fromEntries(Object.entries(declared.teams).map(([team, target]) => [team, pointed(team, target)])) };
    expect(Object.keys(receiverSecrets)).toEqual(['hsa-alerts-database-robot']);
    const loaded = parseEnvironment('ningxia', 'environments/ningxia.json', JSON.stringify(json));
    province = resolveProvince(loaded.name, loaded.environment);
    const [ref] = databasePairsOf(province);
    pair = databasePairName(ref!);
    const host = { A: ref!.address.A.host, B: ref!.address.B.host };
    buildTwoDatacenters({ A: [host.A], B: [host.B] });
    const stacks = synthesizedStacks(join(work, 'synth'), [loaded], 'A');
    values = monitoringValuesOf(stacks);
    // The database team's URL is not in the synthesized output: Alertmanager reads it from the Secret's file.
    const alertmanagerValues = JSON.stringify(values.get(`ningxia-${ref!.zone}-a`)!.alertmanager);
    expect(alertmanagerValues).toContain('"url_file":"/etc/alertmanager/receivers/hsa-alerts-database-robot/url"');
    expect(alertmanagerValues).not.toContain(receivers.url('database'));
    for (const site of ['A', 'B'] as const) {
      synthesizedClusters.set(site, clusterOf(stacks.get(`ningxia-${ref!.zone}-${site.toLowerCase()}`)!));
      clusters.set(site, defaulted(tool, synthesizedClusters.get(site)!));
    }
    applicationDatabase = clusters.get('A')!.spec.bootstrap.initdb!.database;
    // The queries' results are kept for CloudNativePG's default TTL, which the bounds below add.
    expect(JSON.stringify(clusters.get('B')!.spec)).not.toContain('metricsQueriesTTL');

    // The primary at A, created as the Cluster's initdb creates it (data checksums, its application database).
    db = new PostgresqlSites(work, host);
    db.run('A', 'initdb', ['-D', db.dir('A'), '-A', 'trust', '--data-checksums', '-U', 'postgres']);
    // Drill-only access rules: the seat and the other datacenter connect without a password.
    db.writeDataFile('A', 'pg_hba.conf', ['local all all trust', 'host all all 0.0.0.0/0 trust', 'host replication all 0.0.0.0/0 trust', ''].join('\n'));
    db.writeDataFile('A', 'postgresql.conf', "include 'custom.conf'\n", 'a');
    db.writeDataFile('A', 'custom.conf', customConf(tool, clusters.get('A')!, pod('A'), db.dir('A')));
    db.start('A');
    await db.waitUp('A');
    await db.sql('A', `CREATE DATABASE ${applicationDatabase}`);
    await db.sql('A', 'CREATE TABLE settlement (id bigint PRIMARY KEY, at timestamptz DEFAULT now())', applicationDatabase);
    // B's replica cluster: a base backup of A over the link, then streaming from it.
    db.run('B', 'pg_basebackup', ['-h', host.A, '-p', String(POSTGRESQL_PORT), '-U', 'postgres', '-D', db.dir('B'), '-R', '-X', 'stream']);
    db.writeDataFile('B', 'custom.conf', customConf(tool, clusters.get('B')!, pod('B'), db.dir('B')));
    db.start('B');
    await db.waitUp('B');
    for (const site of ['A', 'B'] as const) startExporter(site);

    monitoring = new Monitoring(work, { stackPrefix: `ningxia-${ref!.zone}`, pair, jobs: [{ job: 'database', port: CLOUDNATIVE_PG_METRICS_PORT, address: host }], receiverSecrets }, join(ROOT, '.cache', 'tools'));
    await monitoring.startAll(values);
    // Replicating: both exporters up, A not in recovery, B in recovery with its WAL receiver up; nothing fires for the pair.
    await waitFor(streaming, 60, `site B's exporter never showed streaming (${work}/exporter-B.log)`);
    expect(await value('A', 'cnpg_collector_up')).toBe(1);
    expect(await value('A', 'cnpg_pg_replication_in_recovery')).toBe(0);
    expect(await value('B', 'cnpg_pg_replication_in_recovery')).toBe(1);
    await sleep((SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS) * 1000);
    expect([...(await monitoring.firing('A')), ...(await monitoring.firing('B'))]).toEqual([]);
  });

  afterAll(async () => {
    await monitoring?.stopAll();
    await db?.stopAll().catch(() => undefined);
    await tearDownAll();
    await receivers?.stop();
    // eslint-disable-next-line no-console
    console.log(`database alerting drill: measured ${JSON.stringify(measured)}`);
    // What the exporters said last, for a failed run.
    for (const site of ['A', 'B'] as const) console.log(`exporter at ${site}, last lines:\n${readIfThere(join(work, `exporter-${site}.log`)).split('\n').filter((l) => /error|Error|fail/.test(l)).slice(-10).join('\n')}`);
    if (work && !process.env.HSA_KEEP_DRILL_WORK) rmSync(work, { recursive: true, force: true });
  });

  /** How long after a cut the standby's WAL receiver gives up: CloudNativePG's `wal_receiver_timeout`. */
  const receiverTimeoutSeconds = () => {
    const setting = clusters.get('B')!.spec.postgresql.parameters.wal_receiver_timeout!;
    const match = /^(\d+)(ms|s|min)?$/.exec(setting);
    if (!match) throw new Error(`wal_receiver_timeout ${setting}: not a duration this drill reads`);
    return Number(match[1]) * ({ ms: 0.001, s: 1, min: 60 }[match[2] ?? 'ms'] ?? 0.001);
  };
  // The replication figures come from CloudNativePG's queries, whose results its exporter keeps for their TTL.
  const linkDownBound = () => receiverTimeoutSeconds() + CLOUDNATIVE_PG_QUERIES_TTL_SECONDS + alertDeliveryBoundSeconds(30);

  test("CloudNativePG's archive command marks each WAL segment archived (no backup is configured in the Cluster), so nothing waits to be archived", async () => {
    const archived = async () => ((await db.sql('A', 'SELECT archived_count, failed_count FROM pg_stat_archiver')) as { archived_count: string; failed_count: string }[])[0]!;
    // Attempts before the exporter served the Cluster failed and were retried (in a pod the instance
    // manager starts first); from then on none may fail.
    const before = await archived();
    await db.sql('A', 'SELECT pg_switch_wal()');
    await waitFor(async () => Number((await archived()).archived_count) > Number(before.archived_count), 30, `A's archiver never archived (${work}/postgres-A.log)`);
    expect((await archived()).failed_count).toBe(before.failed_count);
    await waitFor(async () => ((await value('A', 'cnpg_collector_pg_wal_archive_status', ', value="done"')) ?? 0) > 0, 60, "A's exporter never reported an archived segment");
    expect(await value('A', 'cnpg_collector_pg_wal_archive_status', ', value="ready"')).toBeLessThanOrEqual(1);
  });

  test('broken on purpose: the standby Cluster copied without naming its application database leaves every replication metric of the standby missing', async () => {
    // As the toolkit synthesized it before the database monitoring drill: `pg_basebackup: { source }` only,
    // which CloudNativePG's webhook completes with its default database `app`, absent from the copy.
    const synthesized = synthesizedClusters.get('B')!;
    const { bootstrap } = synthesized.spec as unknown as { bootstrap: { pg_basebackup: { source: string } } };
    const broken = defaulted(tool, { ...synthesized, spec: { ...synthesized.spec, bootstrap: { pg_basebackup: { source: bootstrap.pg_basebackup.source } } } as Cluster['spec'] });
    await stopExporter('B');
    startExporter('B', broken);
    try {
      // PostgreSQL answers; the queries fail (counted from the second scrape on): their metrics are missing.
      await waitFor(async () => /^cnpg_last_error 1$/m.test(await exported('B')), 30, "the broken Cluster's exporter never answered");
      const text = await exported('B');
      expect(text).toMatch(/^cnpg_collector_up\{[^}]*\} 1$/m);
      expect(text).not.toMatch(/^cnpg_pg_replication_is_wal_receiver_up/m);
    } finally {
      await stopExporter('B');
      startExporter('B');
    }
    await waitFor(async () => /^cnpg_pg_replication_is_wal_receiver_up 1$/m.test(await exported('B')), 30, "the synthesized Cluster's exporter never answered again");
  });

  test(`a cut link: the standby's link-down alert reaches the database team within its bound; restored, it resolves`, async () => {
    const bound = linkDownBound();
    measured.linkDownBoundSeconds = bound;
    const cutAt = Date.now();
    cutLink();
    try {
      const { seconds, notification } = await receivers.arrives(cutAt, bound, 'database', pair, 'HsaDatabaseReplicationLinkDown', 'B');
      measured.linkDownSeconds = seconds;
      expect(Receivers.alert(notification, 'HsaDatabaseReplicationLinkDown').annotations.runbook).toContain('npm run switchover -- --env ningxia --to B --site-lost A --pairs database');
      // None of the pair's alerts went to the default receiver: each has its team.
      expect(receivers.received.filter((n) => n.receiver === 'default' && n.alerts.some((a) => a.labels.hsa_pair === pair))).toEqual([]);
    } catch (error) {
      restoreLink();
      throw error;
    }
    const restoredAt = Date.now();
    restoreLink();
    // The WAL receiver is restarted within wal_retrieve_retry_interval (5 s); then one scrape, one evaluation and the group's next update.
    const resolveBound = 5 + CLOUDNATIVE_PG_QUERIES_TTL_SECONDS + SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS + ALERT_GROUP_INTERVAL_SECONDS + ALERT_PROCESSING_SECONDS;
    measured.resolveBoundSeconds = resolveBound;
    measured.resolvedSeconds = (await receivers.arrives(restoredAt, resolveBound, 'database', pair, 'HsaDatabaseReplicationLinkDown', 'B', 'resolved')).seconds;
  });

  const lagBound = DATABASE_LAG_ALERT_SECONDS + CLOUDNATIVE_PG_QUERIES_TTL_SECONDS + alertDeliveryBoundSeconds(60);

  test(`the standby's replay paused while the applications write: the lag alert arrives within ${lagBound} s`, async () => {
    await waitFor(streaming, 60, 'site B never streamed from A again');
    const writer = startWriter(db, 'A', applicationDatabase);
    try {
      const pausedAt = Date.now();
      await db.sql('B', 'SELECT pg_wal_replay_pause()');
      measured.standbyBehindSeconds = (await receivers.arrives(pausedAt, lagBound, 'database', pair, 'HsaDatabaseStandbyBehind', 'B')).seconds;
      // Still streaming all the while: the receiver is up, only the replay waits.
      expect(await value('B', 'cnpg_pg_replication_is_wal_receiver_up')).toBe(1);
    } finally {
      await db.sql('B', 'SELECT pg_wal_replay_resume()');
      const acknowledged = await writer.stop();
      measured.rowsWrittenDuringLag = acknowledged.length;
    }
    const resumedAt = Date.now();
    const resolveBound = CLOUDNATIVE_PG_QUERIES_TTL_SECONDS + SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS + ALERT_GROUP_INTERVAL_SECONDS + ALERT_PROCESSING_SECONDS;
    measured.standbyCaughtUpResolvedSeconds = (await receivers.arrives(resumedAt, resolveBound, 'database', pair, 'HsaDatabaseStandbyBehind', 'B', 'resolved')).seconds;
  });

  test("the DR overview dashboard's database figures answer from each site's Prometheus, as the pair is", async () => {
    await waitFor(streaming, 60, 'site B never caught up');
    await sleep(SCRAPE_INTERVAL_SECONDS * 1000);
    const answers: Record<string, string[]> = {};
    for (const site of ['A', 'B'] as const) {
      const unit = province.units.find((u) => u.zone === 'core' && u.site === site)!;
      const queries = dashboardQueries(unitDashboards(province, unit)[0]!.json).filter((q) => q.includes(`hsa_pair="${pair}"`));
      expect(queries.length).toBeGreaterThanOrEqual(1);
      for (const query of queries) {
        const result = (await monitoring.query(site, query)) as { value: [number, string] }[];
        expect({ site, query, answered: result.length }).toEqual({ site, query, answered: 1 });
        (answers[site] ??= []).push(result[0]!.value[1]);
      }
    }
    // Site A: not in recovery (0). Site B: in recovery (1), its replay caught up (0 s).
    expect(answers.A![0]).toBe('0');
    expect(answers.B!.slice(0, 2)).toEqual(['1', '0']);
  });

  const splitBrainBound = CLOUDNATIVE_PG_QUERIES_TTL_SECONDS + alertDeliveryBoundSeconds(15);

  test(`the standby promoted while site A stays active: the split-brain alert arrives within ${splitBrainBound} s`, async () => {
    const promotedAt = Date.now();
    await db.sql('B', 'SELECT pg_promote(true, 60)');
    measured.splitBrainSeconds = (await receivers.arrives(promotedAt, splitBrainBound, 'database', pair, 'HsaDatabaseSplitBrain', 'B')).seconds;
  });

  const downBound = alertDeliveryBoundSeconds(60);

  test(`the primary stopped: the database-down alert at A reaches the database team within ${downBound} s, naming the failover`, async () => {
    const stoppedAt = Date.now();
    await db.stop('A', 'immediate');
    const { seconds, notification } = await receivers.arrives(stoppedAt, downBound, 'database', pair, 'HsaDatabaseDown', 'A');
    measured.databaseDownSeconds = seconds;
    expect(Receivers.alert(notification, 'HsaDatabaseDown').annotations.runbook).toContain('npm run switchover -- --env ningxia --to B --site-lost A');
    // The exporter itself stays up and says so: PostgreSQL does not answer it.
    expect(await value('A', 'cnpg_collector_up')).toBe(0);
  });
});
