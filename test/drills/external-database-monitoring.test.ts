/**
 * The alerts of a business database outside the clusters judged by the real components (#27): demo's
 * core-zone `product: postgresql` pair as two real PostgreSQL servers in two network namespaces
 * (datacenter A and B, support/two-datacenters.ts), TLS on, the primary at A and B streaming from it as
 * its DBA sets it up; at each site the real postgres_exporter at the version the toolkit deploys (0.19.1,
 * Debian's build, unpacked by .ci/run) run exactly as the chart's Deployment runs it with the synthesized
 * values (its arguments, DATA_SOURCE_URI, the login from the Secret the values name, uid 1001); a real
 * Prometheus per site with exactly its unit's synthesized rules and scrape job, and a real Alertmanager
 * (the deployed version, built from its Go module) with exactly the synthesized configuration, posting to
 * webhook receivers on loopback (support/alerting.ts).
 *
 * The monitoring role is what the environment's documentation asks the DBA for: LOGIN, pg_monitor,
 * admitted by pg_hba.conf only over TLS with its password (scram-sha-256). Everything else on the servers
 * is PostgreSQL's defaults (wal_receiver_timeout 60 s among them, which decides how soon a cut is seen).
 *
 *   - the exporter logs in over TLS and serves every series the alerts and the DR overview read; nothing fires;
 *   - broken on purpose: without TLS the exporter is refused; without the WAL receiver's collector the
 *     link-down rule's expression matches a healthy link;
 *   - the link cut: the standby's link-down alert reaches the database team within the bound; restored, it resolves;
 *   - the standby's replay paused while the applications write: the lag alert;
 *   - the standby promoted while A stays active: the split-brain alert;
 *   - the primary stopped: the database-down alert at A, naming the failover command.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertDeliveryBoundSeconds, ALERT_GROUP_INTERVAL_SECONDS, ALERT_PROCESSING_SECONDS, EVALUATION_INTERVAL_SECONDS, SCRAPE_INTERVAL_SECONDS } from '../../model/alertmanager-config';
import { dashboardQueries, unitDashboards } from '../../model/dashboards';
import { parseEnvironment } from '../../model/load-environment';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { databasePairName, databasePairsOf } from '../../pairs/database/database-driver';
import { DATABASE_LAG_ALERT_SECONDS } from '../../pairs/database/database-monitoring';
import { POSTGRES_EXPORTER_PORT } from '../../pairs/database/database-plan';
import type { PostgresExporterChartValues } from '../../pairs/database/postgresql-exporter-construct';
import { Monitoring, monitoringValuesOf, Receivers, synthesizedStacks, type MonitoringValues } from './support/alerting';
import { issueSiteCertificates } from './support/certificates';
import { POSTGRESQL_PORT, PostgresqlSites, postgresUser, startWriter } from './support/postgresql-sites';
import { sleep, waitFor } from './support/timing';
import { buildTwoDatacenters, cutLink, namespacesAvailable, restoreLink, spawnIn, tearDownAll } from './support/two-datacenters';

jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
/** Debian's build of postgres_exporter 0.19.1, unpacked by .ci/run (bookworm's own is 0.11.1). */
const EXPORTER = join(ROOT, '.cache', 'tools', 'postgres-exporter-0.19.1', 'usr', 'bin', 'prometheus-postgres-exporter');
/** The chart's pod runs as this user (podSecurityContext.runAsUser, left at the chart's default). */
const CHART_RUN_AS = 1001;
const MONITOR_ROLE = 'hsa_monitor';
const STANDBY_SLOT = 'standby_b';

/** A Secret's content, as Kubernetes gives it to `secretKeyRef`. */
type SecretData = Readonly<Record<string, string>>;

/**
 * How prometheus-postgres-exporter 8.0.0's Deployment runs the exporter with these values
 * (templates/deployment.yaml and the `data_source_uri` helper): its arguments and environment. Only the
 * values the toolkit sets are read; any other way of giving the login fails here rather than guess.
 */
function exporterInvocation(values: PostgresExporterChartValues, secrets: Readonly<Record<string, SecretData>>): { args: string[]; env: Record<string, string> } {
  const { datasource } = values.config;
  const fromSecret = (ref: { readonly name: string; readonly key: string }) => {
    const value = secrets[ref.name]?.[ref.key];
    if (value === undefined) throw new Error(`the exporter's values read key ${ref.key} of Secret ${ref.name}, which the drill did not create`);
    return value;
  };
  return {
    args: ['--config.file=/etc/postgres_exporter.yml', `--web.listen-address=:${values.service.targetPort}`, ...values.config.extraArgs],
    env: {
      DATA_SOURCE_URI: `${datasource.host}:${Number(datasource.port)}/${datasource.database}?sslmode=${datasource.sslmode}`,
      DATA_SOURCE_USER: fromSecret(datasource.userSecret),
      DATA_SOURCE_PASS: fromSecret(datasource.passwordSecret),
    },
  };
}

const readIfThere = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(nothing)');

const available = namespacesAvailable();
if (!available) {
  test('fails: the external database alerting drill needs root and ip netns', () => {
    throw new Error('network namespaces are not available: run the drills as root on Linux with iproute2');
  });
}

(available ? describe : describe.skip)("a database outside the clusters: its alerts through real PostgreSQL, postgres_exporter, Prometheus and Alertmanager", () => {
  let work: string;
  let receivers: Receivers;
  let province: ProvinceModel;
  let db: PostgresqlSites;
  let monitoring: Monitoring;
  let values: Map<string, MonitoringValues>;
  let pair: string;
  let host: Record<Site, string>;
  const exporterValues = new Map<Site, PostgresExporterChartValues>();
  /** The Secrets the province creates in the middleware namespace, as the drill made them. */
  const secrets: Record<string, Record<string, string>> = {};
  const exporters = new Map<Site, ChildProcess>();
  const measured: Record<string, number> = {};

  /** A site's exporter in its datacenter, as the chart's pod runs it (or with values changed on purpose). */
  function startExporter(site: Site, chartValues: PostgresExporterChartValues = exporterValues.get(site)!, logName = `exporter-${site}`): ChildProcess {
    const { args, env } = exporterInvocation(chartValues, secrets);
    const exporter = spawnIn(site, 'setpriv', [`--reuid=${CHART_RUN_AS}`, `--regid=${CHART_RUN_AS}`, '--clear-groups', '--', EXPORTER, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    const log = join(work, `${logName}.log`);
    exporter.stdout?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    exporter.stderr?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    return exporter;
  }

  async function stopProcess(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** What a site's exporter serves now, read directly. */
  async function exported(site: Site, port = POSTGRES_EXPORTER_PORT): Promise<string> {
    const response = await fetch(`http://${host[site]}:${port}/metrics`).catch(() => undefined);
    return response?.ok ? response.text() : '';
  }

  /** A metric of the pair at a site, as its Prometheus has it now. */
  async function value(site: Site, metric: string, matchers = ''): Promise<number | undefined> {
    const result = (await monitoring.query(site, `max(${metric}{hsa_pair="${pair}", hsa_site="${site}"${matchers}})`)) as { value: [number, string] }[];
    return result[0] ? Number(result[0].value[1]) : undefined;
  }

  const streaming = async () => (await value('B', 'pg_stat_wal_receiver_received_tli', ', status="streaming"')) !== undefined && (await value('B', 'pg_replication_lag_seconds')) === 0;

  /** The servers' settings beyond PostgreSQL's defaults: TLS with this site's certificate. */
  const customConf = (certificate: string, key: string) => ['ssl = on', `ssl_cert_file = '${certificate}'`, `ssl_key_file = '${key}'`, ''].join('\n');

  beforeAll(async () => {
    if (!existsSync(EXPORTER)) throw new Error(`postgres_exporter 0.19.1 is not at ${EXPORTER}: .ci/run unpacks Debian's build there (see its postgres_exporter lines)`);
    work = mkdtempSync(join(tmpdir(), 'hsa-external-database-alerts-'));
    const { uid, gid } = postgresUser();
    chownSync(work, uid, gid);
    receivers = await Receivers.start();
    const json = JSON.parse(readFileSync(join(ROOT, 'environments', 'demo.json'), 'utf8')) as { observability: { receivers: { default: { webhook: string }; teams: Record<string, { webhook: string }> } } };
    const { receivers: declared } = json.observability;
    json.observability.receivers = { default: { webhook: receivers.url('default') }, teams: Object.fromEntries(Object.keys(declared.teams).map((team) => [team, { webhook: receivers.url(team) }])) };
    const loaded = parseEnvironment('demo', 'environments/demo.json', JSON.stringify(json));
    province = resolveProvince(loaded.name, loaded.environment);
    const [ref] = databasePairsOf(province);
    expect(province.units.find((u) => u.zone === ref!.zone)!.middlewarePlan.database!.product.kind).toBe('postgresql');
    pair = databasePairName(ref!);
    host = { A: ref!.address.A.host, B: ref!.address.B.host };
    buildTwoDatacenters({ A: [host.A], B: [host.B] });
    const stacks = synthesizedStacks(join(work, 'synth'), [loaded], 'A');
    values = monitoringValuesOf(stacks);
    for (const site of ['A', 'B'] as const) {
      const stack = stacks.get(`demo-${ref!.zone}-${site.toLowerCase()}`)!;
      const release = Object.values(stack.resource.helm_release ?? {}).find((r) => r.chart === 'prometheus-postgres-exporter');
      if (!release) throw new Error(`demo-${ref!.zone}-${site.toLowerCase()} deploys no postgres_exporter`);
      exporterValues.set(site, JSON.parse(release.values[0]!) as PostgresExporterChartValues);
    }
    // The monitoring role's Secret, as the province creates it (the name the values give).
    const password = randomBytes(18).toString('base64url');
    const { userSecret } = exporterValues.get('A')!.config.datasource;
    secrets[userSecret.name] = { username: MONITOR_ROLE, password };

    // Each site's server certificate (its database address), readable by postgres only.
    const certificates = issueSiteCertificates(work, 'database', { A: [host.A], B: [host.B] });
    for (const site of ['A', 'B'] as const) {
      execFileSync('chown', ['-R', `${uid}:${gid}`, certificates[site].dir]);
      chmodSync(certificates[site].key, 0o600);
    }

    db = new PostgresqlSites(work, host);
    db.run('A', 'initdb', ['-D', db.dir('A'), '-A', 'trust', '-U', 'postgres']);
    // Drill-only access for the drill's own sessions and the standby; the monitoring role only over TLS with its password.
    db.writeDataFile('A', 'pg_hba.conf', [`hostssl postgres ${MONITOR_ROLE} 0.0.0.0/0 scram-sha-256`, `host all ${MONITOR_ROLE} 0.0.0.0/0 reject`, 'local all all trust', 'host all postgres 0.0.0.0/0 trust', 'host replication postgres 0.0.0.0/0 trust', ''].join('\n'));
    db.writeDataFile('A', 'postgresql.conf', "include 'custom.conf'\n", 'a');
    db.writeDataFile('A', 'custom.conf', customConf(certificates.A.certificate, certificates.A.key));
    db.start('A');
    await db.waitUp('A');
    await db.sql('A', `CREATE ROLE ${MONITOR_ROLE} LOGIN PASSWORD '${password}'`);
    await db.sql('A', `GRANT pg_monitor TO ${MONITOR_ROLE}`);
    await db.sql('A', 'CREATE DATABASE hsa');
    await db.sql('A', 'CREATE TABLE settlement (id bigint PRIMARY KEY, at timestamptz DEFAULT now())', 'hsa');
    // B streams through a physical replication slot, as docs/observability.md asks of the DBA: postgres_exporter
    // reports no WAL receiver that streams without one (its collector skips a row whose slot_name is null).
    await db.sql('A', `SELECT pg_create_physical_replication_slot('${STANDBY_SLOT}')`);
    db.run('B', 'pg_basebackup', ['-h', host.A, '-p', String(POSTGRESQL_PORT), '-U', 'postgres', '-D', db.dir('B'), '-R', '-X', 'stream', '-S', STANDBY_SLOT, '--checkpoint=fast']);
    db.writeDataFile('B', 'custom.conf', customConf(certificates.B.certificate, certificates.B.key));
    db.start('B');
    await db.waitUp('B');
    for (const site of ['A', 'B'] as const) exporters.set(site, startExporter(site));

    monitoring = new Monitoring(work, { stackPrefix: `demo-${ref!.zone}`, pair, jobs: [{ job: 'database', port: POSTGRES_EXPORTER_PORT, address: host }] }, join(ROOT, '.cache', 'tools'));
    await monitoring.startAll(values);
    await waitFor(streaming, 60, `site B's exporter never showed streaming (${work}/exporter-B.log)`);
  });

  afterAll(async () => {
    await monitoring?.stopAll();
    for (const exporter of exporters.values()) await stopProcess(exporter);
    await db?.stopAll().catch(() => undefined);
    await tearDownAll();
    await receivers?.stop();
    // eslint-disable-next-line no-console
    console.log(`external database alerting drill: measured ${JSON.stringify(measured)}`);
    for (const site of ['A', 'B'] as const) console.log(`exporter at ${site}, last lines:\n${readIfThere(join(work, `exporter-${site}.log`)).split('\n').filter((l) => /level=(ERROR|WARN)/.test(l)).slice(-5).join('\n')}`);
    if (work && !process.env.HSA_KEEP_DRILL_WORK) rmSync(work, { recursive: true, force: true });
  });

  test('the exporter logs in as the monitoring role over TLS and serves every series the alerts and the DR overview read; nothing of the pair fires', async () => {
    expect(await value('A', 'pg_up')).toBe(1);
    expect(await value('B', 'pg_up')).toBe(1);
    expect(await value('A', 'pg_replication_is_replica')).toBe(0);
    expect(await value('B', 'pg_replication_is_replica')).toBe(1);
    expect(await value('B', 'pg_replication_lag_seconds')).toBe(0);
    for (const site of ['A', 'B'] as const) expect(await value(site, 'pg_stat_archiver_failed_count')).toBe(0);
    // Its sessions at A are the monitoring role's, over TLS (it keeps its connection between scrapes).
    const sessions = async () => (await db.sql('A', `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = '${MONITOR_ROLE}'`)) as { ssl: boolean }[];
    await waitFor(async () => (await sessions()).length > 0, 20, 'the exporter kept no session at A');
    expect((await sessions()).every((s) => s.ssl)).toBe(true);
    // The DR overview's database figures answer at each site.
    for (const site of ['A', 'B'] as const) {
      const unit = province.units.find((u) => u.zone === 'core' && u.site === site)!;
      const queries = dashboardQueries(unitDashboards(province, unit)[0]!.json).filter((q) => q.includes(`hsa_pair="${pair}"`));
      expect(queries.length).toBe(site === 'A' ? 1 : 3);
      for (const query of queries) expect({ site, query, answered: (await monitoring.query(site, query)).length }).toEqual({ site, query, answered: 1 });
    }
    await sleep((SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS) * 1000);
    expect([...(await monitoring.firing('A')), ...(await monitoring.firing('B'))]).toEqual([]);
  });

  test('broken on purpose: without TLS the exporter is refused; without the WAL receiver collector a healthy link matches the synthesized link-down rule', async () => {
    const synthesized = exporterValues.get('B')!;
    // Without TLS, beside the synthesized exporter (on another port: only its login is judged here).
    const withoutTls: PostgresExporterChartValues = { ...synthesized, service: { ...synthesized.service, targetPort: POSTGRES_EXPORTER_PORT + 1 }, config: { ...synthesized.config, datasource: { ...synthesized.config.datasource, sslmode: 'disable' } } };
    const plain = startExporter('B', withoutTls, 'exporter-B-without-tls');
    try {
      await waitFor(async () => /^pg_up 0$/m.test(await exported('B', POSTGRES_EXPORTER_PORT + 1)), 30, 'the exporter without TLS was never refused (pg_hba.conf admits the monitoring role over TLS only)');
    } finally {
      await stopProcess(plain);
    }
    // Without the collector: the rule's own expression, evaluated by site B's Prometheus, matches once the
    // receiver's series go stale, though B streams. Put back at once, so the rule's 30 s never pass.
    const linkDown = ((values.get('demo-core-b')!.serverFiles['alerting_rules.yml'] as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules).find((r) => r.alert === 'HsaDatabaseReplicationLinkDown' && r.expr.includes(pair)))!.expr;
    expect(await monitoring.query('B', linkDown)).toEqual([]);
    await stopProcess(exporters.get('B')!);
    exporters.set('B', startExporter('B', { ...synthesized, config: { ...synthesized.config, extraArgs: [] } }));
    try {
      await waitFor(async () => (await monitoring.query('B', linkDown)).length === 1, 2 * SCRAPE_INTERVAL_SECONDS + 5, 'without the collector the link-down expression never matched');
      expect(await db.sql('B', 'SELECT status FROM pg_stat_wal_receiver')).toEqual([{ status: 'streaming' }]);
    } finally {
      await stopProcess(exporters.get('B')!);
      exporters.set('B', startExporter('B'));
    }
    await waitFor(async () => (await monitoring.query('B', linkDown)).length === 0, 2 * SCRAPE_INTERVAL_SECONDS + 5, 'the synthesized exporter never served the receiver again');
    expect(receivers.received.filter((n) => n.alerts.some((a) => a.labels.hsa_pair === pair))).toEqual([]);
  });

  /** The standby's wal_receiver_timeout: how long after a cut its WAL receiver gives up (PostgreSQL's default here). */
  const receiverTimeoutSeconds = async () => {
    const [row] = (await db.sql('B', "SELECT setting::int AS ms FROM pg_settings WHERE name = 'wal_receiver_timeout'")) as { ms: number }[];
    return row!.ms / 1000;
  };

  test('a cut link: the standby\'s link-down alert reaches the database team within its bound; restored, it resolves', async () => {
    await waitFor(streaming, 60, 'site B never streamed from A again');
    const bound = (await receiverTimeoutSeconds()) + alertDeliveryBoundSeconds(30);
    measured.linkDownBoundSeconds = bound;
    const cutAt = Date.now();
    cutLink();
    try {
      const { seconds, notification } = await receivers.arrives(cutAt, bound, 'database', pair, 'HsaDatabaseReplicationLinkDown', 'B');
      measured.linkDownSeconds = seconds;
      expect(Receivers.alert(notification, 'HsaDatabaseReplicationLinkDown').annotations.runbook).toContain('npm run switchover -- --env demo --to B --site-lost A --pairs database');
      // Only the link's alert: both servers answer their own site's exporter, B is still a standby.
      expect(await monitoring.firing('A')).toEqual([]);
      expect(await monitoring.firing('B')).toEqual(['HsaDatabaseReplicationLinkDown']);
      expect(receivers.received.filter((n) => n.receiver === 'default' && n.alerts.some((a) => a.labels.hsa_pair === pair))).toEqual([]);
    } catch (error) {
      restoreLink();
      throw error;
    }
    const restoredAt = Date.now();
    restoreLink();
    // The WAL receiver is restarted within wal_retrieve_retry_interval (5 s); then one scrape, one evaluation and the group's next update.
    const resolveBound = 5 + SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS + ALERT_GROUP_INTERVAL_SECONDS + ALERT_PROCESSING_SECONDS;
    measured.resolveBoundSeconds = resolveBound;
    measured.resolvedSeconds = (await receivers.arrives(restoredAt, resolveBound, 'database', pair, 'HsaDatabaseReplicationLinkDown', 'B', 'resolved')).seconds;
  });

  const lagBound = DATABASE_LAG_ALERT_SECONDS + alertDeliveryBoundSeconds(60);

  test(`the standby's replay paused while the applications write: the lag alert arrives within ${lagBound} s`, async () => {
    await waitFor(streaming, 60, 'site B never streamed from A again');
    const writer = startWriter(db, 'A', 'hsa');
    try {
      const pausedAt = Date.now();
      await db.sql('B', 'SELECT pg_wal_replay_pause()');
      measured.standbyBehindSeconds = (await receivers.arrives(pausedAt, lagBound, 'database', pair, 'HsaDatabaseStandbyBehind', 'B')).seconds;
      // Still streaming all the while: the link's alert stays silent, only the replay waits.
      expect(await monitoring.firing('B')).toEqual(['HsaDatabaseStandbyBehind']);
    } finally {
      await db.sql('B', 'SELECT pg_wal_replay_resume()');
      measured.rowsWrittenDuringLag = (await writer.stop()).length;
    }
  });

  const splitBrainBound = alertDeliveryBoundSeconds(15);

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
    expect(Receivers.alert(notification, 'HsaDatabaseDown').annotations.runbook).toContain('npm run switchover -- --env demo --to B --site-lost A');
    // The exporter itself stays up and says so: PostgreSQL does not answer it.
    expect(await value('A', 'pg_up')).toBe(0);
  });
});
