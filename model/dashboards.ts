/**
 * The dashboards of one unit (#27), built as typed code with Grafana's foundation SDK from the same model
 * as the alerts: the DR overview (each pair's direction and lag against its bound, the backups' age, what
 * fires), and the four dimensions of the source documents: business (per application: the gateway's calls
 * and the settlement figures), middleware, the site cluster, compute resources. Every query reads the
 * metrics the unit's Prometheus scrapes under the labels of model/alert-rules.ts's contract; the drill
 * test/drills/alert-rules.test.ts has Prometheus's own parser (promtool) read every one of them.
 *
 * Grafana itself is AGPL-3.0: the toolkit does not deploy it. The dashboards are provisioned as ConfigMaps
 * labelled `grafana_dashboard` (the Grafana chart's sidecar convention) for the province's own Grafana,
 * whose Prometheus data source the `datasource` variable picks.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { BACKUP_MAX_AGE_SECONDS, VELERO_SCHEDULE } from './alert-rules';
import { CADVISOR_JOB, CLUSTER_RATIOS, KUBELET_JOB } from './cluster-monitoring';
import { readsClusterMetrics } from './observability-schema';
import type { MonitoredUnit } from './observability';
import type { ProvinceModel } from './platform-model';
import { CERTIFICATE_WARNING_DAYS } from './traffic-monitoring';
import { DATABASE_LAG_ALERT_SECONDS } from '../pairs/database/database-monitoring';
import { KAFKA_MIRROR_FETCH_WINDOW_SECONDS, KAFKA_MIRROR_LAG_ALERT_SECONDS } from '../pairs/kafka/kafka-monitoring';
import { redisLagAlertSeconds } from '../pairs/redis/redis-monitoring';

/** A dashboard as Grafana reads it (JSON), with the name of the ConfigMap that provisions it. */
export interface ProvisionedDashboard {
  /** `hsa-dashboard-<kind>`: the ConfigMap's name, the same at every site. */
  readonly name: string;
  readonly uid: string;
  readonly title: string;
  /** The dashboard's JSON, deterministic. */
  readonly json: string;
}

export type DashboardKind = 'dr' | 'business' | 'middleware' | 'cluster' | 'resources';

/** Every PromQL expression a dashboard holds, with Grafana's variables, for the parser's check. */
export function dashboardQueries(json: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.expr === 'string') found.push(record.expr);
    Object.values(record).forEach(walk);
  };
  walk(JSON.parse(json));
  return found;
}

const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
const RED = 'red';
const GREEN = 'green';
const ORANGE = 'orange';

function query(expr: string, legend?: string, instant = false): prometheus.DataqueryBuilder {
  const built = new prometheus.DataqueryBuilder().expr(expr).datasource(DATASOURCE);
  if (legend) built.legendFormat(legend);
  return instant ? built.instant() : built.range();
}

function thresholds(steps: readonly (readonly [number | null, string])[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

function series(title: string, unit: string, queries: readonly prometheus.DataqueryBuilder[], description: string, width = 12): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder().title(title).description(description).unit(unit).datasource(DATASOURCE).height(8).span(width);
  for (const q of queries) panel.withTarget(q);
  return panel;
}

/** A single figure coloured against its bound: green below `warnAt`, red from `alertAt`. */
function figure(title: string, unit: string, expr: string, description: string, steps: readonly (readonly [number | null, string])[], legend?: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DATASOURCE)
    .withTarget(query(expr, legend, true))
    .thresholds(thresholds(steps))
    .colorMode(common.BigValueColorMode.Background)
    .height(5)
    .span(6);
}

function listing(title: string, expr: string, description: string): table.PanelBuilder {
  return new table.PanelBuilder().title(title).description(description).datasource(DATASOURCE).withTarget(query(expr, undefined, true).format(prometheus.PromQueryFormat.Table)).height(8).span(24);
}

function note(title: string, markdown: string): text.PanelBuilder {
  return new text.PanelBuilder().title(title).mode(text.TextMode.Markdown).content(markdown).height(4).span(24);
}

function base(province: Pick<ProvinceModel, 'envName'>, unit: Pick<MonitoredUnit, 'zone' | 'site'>, kind: DashboardKind, title: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(`HSA ${province.envName} ${unit.zone} ${unit.site}: ${title}`)
    .uid(`hsa-${province.envName}-${unit.zone}-${unit.site.toLowerCase()}-${kind}`)
    .tags(['hsa', province.envName, `zone-${unit.zone}`, `site-${unit.site}`, kind])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .readonly()
    .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
}

function provisioned(kind: DashboardKind, built: dashboard.DashboardBuilder): ProvisionedDashboard {
  const model = built.build();
  // Every panel its own id, in order (the builder leaves some unset or 0).
  let id = 0;
  for (const panel of model.panels ?? []) {
    panel.id = ++id;
    for (const inner of 'panels' in panel && Array.isArray(panel.panels) ? (panel.panels as { id?: number }[]) : []) inner.id = ++id;
  }
  return { name: `hsa-dashboard-${kind}`, uid: model.uid ?? '', title: model.title ?? '', json: `${JSON.stringify(model, null, 2)}\n` };
}

/** The DR overview: each pair's direction, lag against its bound, the backups' age, the firing alerts. */
function drOverview(province: Pick<ProvinceModel, 'envName' | 'activeSite'>, unit: MonitoredUnit): ProvisionedDashboard {
  const here = unit.site;
  const built = base(province, unit, 'dr', 'disaster recovery');
  built.withPanel(
    note(
      'Direction',
      `The environment makes **site ${province.activeSite}** the active site (生产中心); site ${here} is ${here === province.activeSite ? 'the active site' : 'the standby'} for every pair below. ` +
        `A switchover changes the environment and redeploys; the switchover's journal records when. Plan one with \`npm run switchover -- --env ${province.envName} --to <site> --journal <dir>\`.`,
    ),
  );
  const sel = (pair: string) => `hsa_pair="${pair}", hsa_site="${here}"`;
  for (const redis of unit.middlewarePlan.redis.filter((plan) => plan.peerAddress)) {
    const pair = `${redis.role}@${unit.zone}`;
    const bound = redisLagAlertSeconds(redis);
    built.withRow(new dashboard.RowBuilder(`${pair} (Redis, ${redis.mode} here)`));
    built.withPanel(figure('Member is primary', 'bool', `max(redis_instance_info{${sel(pair)}, role="master"}) or on() vector(0)`, `1 when site ${here}'s member takes writes; the environment expects ${redis.mode === 'primary' ? '1' : '0'} here.`, redis.mode === 'primary' ? [[null, RED], [1, GREEN]] : [[null, GREEN], [1, RED]]));
    if (redis.mode === 'standby') {
      built.withPanel(figure('Link up', 'bool', `max(redis_master_link_up{${sel(pair)}})`, 'The replication link to the active site.', [[null, RED], [1, GREEN]]));
      built.withPanel(figure('Last contact', 's', `max(redis_master_last_io_seconds_ago{${sel(pair)}})`, `Seconds since the active site last sent; the bound is ${bound} s.`, [[null, GREEN], [bound, RED]]));
    } else {
      built.withPanel(figure('Replicas connected', 'none', `max(redis_connected_slaves{${sel(pair)}})`, `The pair has ${redis.replicas + 1}: the local replicas and the other site's server.`, [[null, RED], [redis.replicas + 1, GREEN]]));
      built.withPanel(figure('Slowest replica', 's', `max(redis_connected_slave_lag_seconds{${sel(pair)}})`, `The bound is ${bound} s.`, [[null, GREEN], [bound, RED]]));
    }
  }
  const kafka = unit.middlewarePlan.kafka;
  if (kafka) {
    const pair = `kafka@${unit.zone}`;
    built.withRow(new dashboard.RowBuilder(`${pair} (Kafka, ${kafka.mode} here)`));
    built.withPanel(figure('Brokers up', 'none', `count(up{job="kafka-brokers", ${sel(pair)}} == 1)`, `Of ${kafka.brokers}.`, [[null, RED], [kafka.brokers, GREEN]]));
    if (kafka.mirrorSource) {
      built.withPanel(figure('MirrorMaker 2 workers up', 'none', `count(up{job="kafka-mirror", ${sel(pair)}} == 1) or on() vector(0)`, 'Copying the active site into this one.', [[null, RED], [1, GREEN]]));
      built.withPanel(
        figure(
          'Fetches from the active site',
          'none',
          `sum(increase(kafka_mirror_source_consumer_fetch_total{${sel(pair)}}[${KAFKA_MIRROR_FETCH_WINDOW_SECONDS}s])) or on() vector(0)`,
          `Completed by MirrorMaker 2's tasks in the last ${KAFKA_MIRROR_FETCH_WINDOW_SECONDS} s; none: the link or the active site's brokers are down.`,
          [[null, RED], [1, GREEN]],
        ),
      );
      built.withPanel(figure('Replication latency', 'ms', `max(kafka_mirror_source_replication_latency_ms_max{${sel(pair)}})`, `Of the records copied in the last minute (none copied: no value); the bound is ${KAFKA_MIRROR_LAG_ALERT_SECONDS} s.`, [[null, GREEN], [KAFKA_MIRROR_LAG_ALERT_SECONDS * 1000, RED]]));
    }
  }
  const fastdfs = unit.middlewarePlan.fastdfs;
  if (fastdfs) {
    const pair = `fastdfs@${unit.zone}`;
    built.withRow(new dashboard.RowBuilder(`${pair} (FastDFS, ${fastdfs.mode} here)`));
    built.withPanel(figure('This site answers', 'bool', `min(probe_success{job="probe-tcp_connect", ${sel(pair)}, hsa_target_site="${here}"})`, 'Its tracker and storage server.', [[null, RED], [1, GREEN]]));
    built.withPanel(figure('Other site reachable', 'bool', `min(probe_success{job="probe-tcp_connect", ${sel(pair)}, hsa_target_site!="${here}"})`, 'The path the storage servers sync over.', [[null, RED], [1, GREEN]]));
  }
  const database = unit.middlewarePlan.database?.product;
  if (database?.kind === 'cloudnative-pg') {
    const pair = `database@${unit.zone}`;
    built.withRow(new dashboard.RowBuilder(`${pair} (CloudNativePG, ${database.cluster.mode} here)`));
    built.withPanel(figure('In recovery', 'bool', `max(cnpg_pg_replication_in_recovery{job="database", ${sel(pair)}})`, `1 at the standby's replica cluster, 0 at the primary; the environment expects ${database.cluster.mode === 'standby' ? '1' : '0'} here.`, database.cluster.mode === 'standby' ? [[null, RED], [1, GREEN]] : [[null, GREEN], [1, RED]]));
    if (database.cluster.mode === 'standby') {
      built.withPanel(figure('Replay lag', 's', `max(cnpg_pg_replication_lag{job="database", ${sel(pair)}})`, `The bound is ${DATABASE_LAG_ALERT_SECONDS} s.`, [[null, GREEN], [DATABASE_LAG_ALERT_SECONDS, RED]]));
    }
  }
  if (database?.kind === 'postgresql') {
    const pair = `database@${unit.zone}`;
    const { mode } = database.monitoring;
    built.withRow(new dashboard.RowBuilder(`${pair} (PostgreSQL outside the clusters, ${mode} here)`));
    built.withPanel(figure('In recovery', 'bool', `max(pg_replication_is_replica{job="database", ${sel(pair)}})`, `1 at the standby, 0 at the primary; the environment expects ${mode === 'standby' ? '1' : '0'} here.`, mode === 'standby' ? [[null, RED], [1, GREEN]] : [[null, GREEN], [1, RED]]));
    if (mode === 'standby') {
      built.withPanel(figure('Replay lag', 's', `max(pg_replication_lag_seconds{job="database", ${sel(pair)}})`, `The bound is ${DATABASE_LAG_ALERT_SECONDS} s.`, [[null, GREEN], [DATABASE_LAG_ALERT_SECONDS, RED]]));
      built.withPanel(figure('Streaming from the active site', 'bool', `count(pg_stat_wal_receiver_received_tli{job="database", ${sel(pair)}, status="streaming"})`, 'Its WAL receiver; no value when it is not streaming.', [[null, RED], [1, GREEN]]));
    }
  }
  if (unit.backupPlan) {
    built.withRow(new dashboard.RowBuilder('Backups'));
    built.withPanel(
      figure('Last successful backup', 'h', `(time() - max(velero_backup_last_successful_timestamp{schedule="${VELERO_SCHEDULE}", hsa_site="${here}"})) / 3600`, `Age of the daily off-site backup; the bound is ${BACKUP_MAX_AGE_SECONDS / 3600} h (GB/T 20988).`, [
        [null, GREEN],
        [24, ORANGE],
        [BACKUP_MAX_AGE_SECONDS / 3600, RED],
      ]),
    );
  }
  built.withRow(new dashboard.RowBuilder('Firing'));
  built.withPanel(listing('Alerts firing at this site', `ALERTS{alertstate="firing", hsa_site="${here}"}`, 'Each with its team, pair or backup; docs/observability.md has the first response.'));
  return provisioned('dr', built);
}

/** Business, per application: the gateway's calls by route, and the settlement figures of today. */
function business(province: Pick<ProvinceModel, 'envName'>, unit: MonitoredUnit): ProvisionedDashboard {
  const here = unit.site;
  const built = base(province, unit, 'business', 'business');
  for (const pipeline of unit.business?.applications ?? []) {
    const app = `application="${pipeline.application}", hsa_site="${here}"`;
    built.withRow(new dashboard.RowBuilder(`${pipeline.application}: today's settlements (业务实时监控)`));
    built.withPanel(series('Settlements today, by business type', 'none', [query(`sum by (business_name) (hsa_business_today_events{${app}})`, '{{business_name}}')], 'Each event counted once, as the application wrote it.'));
    built.withPanel(series('Amount today, by business type', 'currencyCNY', [query(`sum by (business_name) (hsa_business_today_amount_yuan{${app}})`, '{{business_name}}')], 'Summed exactly in fen by the figures service.'));
    built.withPanel(listing('Today by institution', `sort_desc(sum by (institution, business_name) (hsa_business_today_amount_yuan{${app}}))`, 'Amount per institution and business type.'));
    built.withPanel(series('Events refused', 'none', [query(`sum by (reason) (increase(hsa_business_rejected_total{${app}}[$__rate_interval]))`, '{{reason}}')], 'Lines the declaration does not allow: missing from the figures.', 24));
  }
  if (unit.traffic.gateway) {
    const gateway = `job="gateway", hsa_site="${here}"`;
    built.withRow(new dashboard.RowBuilder('Service gateway'));
    built.withPanel(series('Calls by route', 'reqps', [query(`sum by (route) (rate(kong_http_requests_total{${gateway}}[$__rate_interval]))`, '{{route}}')], 'Each route leads to one application.'));
    built.withPanel(series('Errors by institution', 'percentunit', [query(`sum by (consumer) (rate(kong_http_requests_total{${gateway}, code=~"5.."}[$__rate_interval])) / sum by (consumer) (rate(kong_http_requests_total{${gateway}}[$__rate_interval]))`, '{{consumer}}')], 'Share of each institution’s calls answered 5xx.'));
    built.withPanel(series('Latency p95 by route', 'ms', [query(`histogram_quantile(0.95, sum by (route, le) (rate(kong_request_latency_ms_bucket{${gateway}}[$__rate_interval])))`, '{{route}}')], 'At the gateway, the application included.', 24));
  }
  return provisioned('business', built);
}

function middleware(province: Pick<ProvinceModel, 'envName'>, unit: MonitoredUnit): ProvisionedDashboard {
  const here = `hsa_site="${unit.site}"`;
  const built = base(province, unit, 'middleware', 'middleware');
  if (unit.middlewarePlan.redis.length > 0) {
    built.withRow(new dashboard.RowBuilder('Redis'));
    built.withPanel(series('Commands', 'ops', [query(`sum by (hsa_pair) (rate(redis_commands_processed_total{job="redis", ${here}}[$__rate_interval]))`, '{{hsa_pair}}')], 'Per pair, at its member here.'));
    built.withPanel(series('Memory used', 'bytes', [query(`max by (hsa_pair) (redis_memory_used_bytes{job="redis", ${here}})`, '{{hsa_pair}}')], 'Against maxmemory (the environment’s memoryMiB).'));
    built.withPanel(series('Clients', 'none', [query(`max by (hsa_pair) (redis_connected_clients{job="redis", ${here}})`, '{{hsa_pair}}')], 'Connected clients.', 24));
  }
  if (unit.middlewarePlan.kafka) {
    built.withRow(new dashboard.RowBuilder('Kafka'));
    built.withPanel(series('Under-replicated partitions', 'none', [query(`sum(kafka_server_replicamanager_underreplicatedpartitions{job="kafka-brokers", ${here}})`, 'under-replicated')], 'Inside this site’s cluster.'));
    built.withPanel(series('Mirror latency by topic', 'ms', [query(`max by (topic) (kafka_mirror_source_replication_latency_ms_max{job="kafka-mirror", ${here}})`, '{{topic}}')], 'At the standby only.'));
  }
  if (unit.middlewarePlan.database?.product.kind === 'cloudnative-pg') {
    built.withRow(new dashboard.RowBuilder('Database'));
    built.withPanel(series('Replay lag', 's', [query(`max(cnpg_pg_replication_lag{job="database", ${here}})`, 'lag')], 'At the replica cluster.'));
    built.withPanel(series('WAL waiting to be archived', 'none', [query(`max(cnpg_collector_pg_wal_archive_status{job="database", ${here}, value="ready"})`, 'ready')], 'Piling up means archiving fails.'));
  }
  if (unit.middlewarePlan.database?.product.kind === 'postgresql') {
    built.withRow(new dashboard.RowBuilder('Database'));
    built.withPanel(series('Replay lag', 's', [query(`max(pg_replication_lag_seconds{job="database", ${here}})`, 'lag')], 'At the standby.'));
    built.withPanel(series('WAL archiving failures', 'none', [query(`max(increase(pg_stat_archiver_failed_count{job="database", ${here}}[10m]))`, 'failed')], 'In the last 10 minutes.'));
  }
  if (unit.middlewarePlan.fastdfs) {
    built.withRow(new dashboard.RowBuilder('FastDFS'));
    built.withPanel(series('Reachable', 'bool', [query(`probe_success{job="probe-tcp_connect", hsa_pair=~"fastdfs@.*", ${here}}`, '{{hsa_target_site}} {{hsa_port}}')], 'Both sites’ tracker and storage server, from here.', 24));
  }
  return provisioned('middleware', built);
}

function cluster(province: Pick<ProvinceModel, 'envName'>, unit: MonitoredUnit): ProvisionedDashboard {
  const here = `hsa_site="${unit.site}"`;
  const built = base(province, unit, 'cluster', 'site cluster');
  built.withPanel(listing('Targets down', `up{${here}} == 0`, 'Every scraped exporter that does not answer.'));
  built.withPanel(series('Targets up by job', 'none', [query(`sum by (job) (up{${here}})`, '{{job}}')], 'What this Prometheus scrapes.'));
  built.withPanel(series('DNS controller and load balancer', 'bool', [query(`probe_success{hsa_probe=~"dns-controller|load-balancer", ${here}}`, '{{hsa_probe}}')], 'Probed from this cluster.'));
  built.withPanel(
    figure('Certificate expiring first', 'd', `min((probe_ssl_earliest_cert_expiry{hsa_probe="certificate", ${here}} - time()) / 86400)`, 'Days until the earliest expiry among the cross-site TLS endpoints.', [
      [null, RED],
      [7, ORANGE],
      [CERTIFICATE_WARNING_DAYS, GREEN],
    ]),
  );
  built.withPanel(listing('Certificates', `(probe_ssl_earliest_cert_expiry{hsa_probe="certificate", ${here}} - time()) / 86400`, 'Days left per endpoint.'));
  return provisioned('cluster', built);
}

/**
 * Compute resources: the nodes' and every container's CPU, memory and disk and every volume (the
 * kubelets, when `observability.clusterMetrics` is on), each scraped process's CPU and memory (the
 * exporters, the gateway, Prometheus itself) and Redis's memory.
 */
function resources(province: Pick<ProvinceModel, 'envName' | 'observability'>, unit: MonitoredUnit): ProvisionedDashboard {
  const here = `hsa_site="${unit.site}"`;
  const built = base(province, unit, 'resources', 'compute resources');
  if (readsClusterMetrics(province.observability)) {
    const cadvisor = `job="${CADVISOR_JOB}", ${here}`;
    built.withPanel(series('Node CPU', 'percentunit', [query(CLUSTER_RATIOS.nodeCpu(cadvisor, '$__rate_interval'), '{{node}}')], 'Busy share of each node\'s cores.', 8));
    built.withPanel(series('Node memory', 'percentunit', [query(CLUSTER_RATIOS.nodeMemory(cadvisor), '{{node}}')], 'Working set of each node against its memory.', 8));
    built.withPanel(series('Node disk', 'percentunit', [query(CLUSTER_RATIOS.nodeDisk(cadvisor), '{{node}} {{device}}')], 'Each node\'s filesystems.', 8));
    built.withPanel(listing('Containers nearest their memory limit', `topk(10, ${CLUSTER_RATIOS.containerMemory(cadvisor)})`, 'Working set against the limit: at 1 the container is killed.'));
    built.withPanel(listing('Fullest volumes', `topk(10, ${CLUSTER_RATIOS.volume(`job="${KUBELET_JOB}", ${here}`)})`, 'Every volume a kubelet reports.'));
  }
  built.withPanel(series('CPU by target', 'percentunit', [query(`sum by (job, instance) (rate(process_cpu_seconds_total{${here}}[$__rate_interval]))`, '{{job}} {{instance}}')], 'Cores used by each scraped process.'));
  built.withPanel(series('Memory by target', 'bytes', [query(`max by (job, instance) (process_resident_memory_bytes{${here}})`, '{{job}} {{instance}}')], 'Resident memory of each scraped process.'));
  if (unit.middlewarePlan.redis.length > 0) {
    built.withPanel(series('Redis memory against its limit', 'percentunit', [query(`max by (hsa_pair) (redis_memory_used_bytes{${here}} / redis_memory_max_bytes{${here}})`, '{{hsa_pair}}')], 'Share of maxmemory.', 24));
  }
  return provisioned('resources', built);
}

/** The unit's dashboards, in a fixed order. */
export function unitDashboards(province: Pick<ProvinceModel, 'envName' | 'activeSite' | 'observability'>, unit: MonitoredUnit): ProvisionedDashboard[] {
  return [drOverview(province, unit), business(province, unit), middleware(province, unit), cluster(province, unit), resources(province, unit)];
}
