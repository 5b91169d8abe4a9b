/**
 * How the business database's pair is watched at one site, when CloudNativePG runs it: every instance
 * serves its metrics on port 9187 (the instance manager's exporter, with the operator's default queries:
 * `cnpg_collector_up`, `cnpg_pg_replication_*`, `cnpg_collector_pg_wal_archive_status`). The DR member is
 * the Cluster's (designated) primary: a Service of the toolkit's selects it, as the `-rw` Service does,
 * on the metrics port (the `-rw` Service carries 5432 only).
 *
 * Alerts: the member down; at the standby site, its WAL receiver down (the link), its replay behind the
 * bound, and a split brain (it left recovery while the other site is active); at both, WAL files piling
 * up unarchived.
 *
 * A PostgreSQL outside the clusters (`product: postgresql`) is read by postgres_exporter in the site's
 * middleware namespace (pairs/database/postgresql-exporter-construct.ts), this site's server only, with
 * its default collectors and the WAL receiver's: the same alerts from its metrics (`pg_up`,
 * `pg_replication_*`, `pg_stat_wal_receiver_*`, `pg_stat_archiver_*`), except the volume's, which the
 * toolkit does not know. Another product (`other`) has no exporter the toolkit can deploy: the blackbox
 * exporter checks that this site's server accepts connections; its replication is its DBA's to watch.
 */
import type { AlertContext, AlertRule, AlertRuleGroup } from '../../model/alert-rules';
import type { Endpoint } from '../../model/middleware-model';
import type { ProbeTarget, ScrapeJob } from '../../model/monitoring-plan';
import type { DeploymentUnit } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import { POSTGRES_EXPORTER_PORT, POSTGRES_EXPORTER_RELEASE, type CloudNativePgPlan, type PostgresqlMonitoringPlan } from './database-plan';

/** The metrics port of every CloudNativePG instance. */
export const CLOUDNATIVE_PG_METRICS_PORT = 9187;
/** Seconds of replay lag at the standby site before the alert (the replica cluster streams continuously). */
export const DATABASE_LAG_ALERT_SECONDS = 30;
/**
 * How long CloudNativePG's exporter serves its queries' results before running them again (the Cluster's
 * `monitoring.metricsQueriesTTL`, left at CloudNativePG's default): the replication figures the alerts
 * read (`cnpg_pg_replication_*`) may be this old, which each of their delivery bounds adds. Found by the
 * database alerting drill (test/drills/database-monitoring.test.ts): a cut link reported 55 s after the
 * cut in one run and past 80 s in the next.
 */
export const CLOUDNATIVE_PG_QUERIES_TTL_SECONDS = 30;
/** WAL segments ready to archive but not archived: archiving is failing when they pile up. */
export const WAL_READY_ALERT_SEGMENTS = 10;

/** The toolkit's Service over a Cluster's (designated) primary, on the metrics port. */
export function databaseMetricsServiceName(cluster: Pick<CloudNativePgPlan, 'self'>): string {
  return `${cluster.self}-metrics`;
}

function cloudNativePgOf(unit: Pick<DeploymentUnit, 'middlewarePlan'>): CloudNativePgPlan | undefined {
  const product = unit.middlewarePlan.database?.product;
  return product?.kind === 'cloudnative-pg' ? product.cluster : undefined;
}

function outsideOf(unit: Pick<DeploymentUnit, 'middlewarePlan'>): PostgresqlMonitoringPlan | undefined {
  const product = unit.middlewarePlan.database?.product;
  return product?.kind === 'postgresql' ? product.monitoring : undefined;
}

export function databaseScrapeJobs(unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan'>): ScrapeJob[] {
  const namespace = PLATFORM_NAMESPACES.middleware;
  const cluster = cloudNativePgOf(unit);
  // CloudNativePG's instance manager and postgres_exporter serve on the same port.
  const service = cluster ? databaseMetricsServiceName(cluster) : outsideOf(unit) ? POSTGRES_EXPORTER_RELEASE : undefined;
  if (!service) return [];
  const port = cluster ? CLOUDNATIVE_PG_METRICS_PORT : POSTGRES_EXPORTER_PORT;
  return [{ name: 'database', namespace, port, targets: [{ address: `${service}.${namespace}.svc:${port}`, labels: { hsa_pair: `database@${unit.zone}`, hsa_site: unit.site } }] }];
}

/** Another product's server at this site, checked by the blackbox exporter: it accepts connections. */
export function databaseProbes(unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan'>): ProbeTarget[] {
  const database = unit.middlewarePlan.database;
  if (database?.product.kind !== 'other') return [];
  return [{ module: 'tcp_connect', address: `${database.address.host}:${database.address.port}`, labels: { hsa_pair: `database@${unit.zone}`, hsa_site: unit.site, hsa_target_site: unit.site } }];
}

export function databaseAlerts(context: AlertContext): AlertRuleGroup[] {
  const { unit } = context;
  const database = unit.middlewarePlan.database;
  if (database?.product.kind === 'postgresql') return postgresqlAlerts(context, database.product.monitoring);
  if (database?.product.kind === 'other') return otherProductAlerts(context, database.address, database.product.name);
  const cluster = cloudNativePgOf(unit);
  if (!cluster) return [];
  const pair = `database@${unit.zone}`;
  const here = unit.site;
  const there = here === 'A' ? 'B' : 'A';
  const selector = `job="database", hsa_pair="${pair}", hsa_site="${here}"`;
  const labels = { team: 'database' as const, hsa_pair: pair, hsa_site: here };
  const status = `kubectl -n ${PLATFORM_NAMESPACES.middleware} get cluster ${cluster.self} -o yaml (its status and conditions); kubectl cnpg status ${cluster.self} -n ${PLATFORM_NAMESPACES.middleware}`;
  const rules: AlertRule[] = [
    {
      alert: 'HsaDatabaseDown',
      expr: `absent(cnpg_collector_up{${selector}} == 1)`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `The ${cluster.mode === 'primary' ? 'primary' : 'designated primary'} of ${pair} at site ${here} does not answer`,
        description: `${cluster.self}'s (designated) primary at site ${here} is down, or PostgreSQL does not answer its instance manager.`,
        runbook: `${status}.${cluster.mode === 'primary' ? ` If site ${here} is lost as a whole, fail over: ${context.switchoverCommand(there, { siteLost: here })}.` : ''}`,
      },
    },
    {
      alert: 'HsaDatabaseWalNotArchived',
      expr: `max(cnpg_collector_pg_wal_archive_status{${selector}, value="ready"}) > ${WAL_READY_ALERT_SEGMENTS}`,
      for: '10m',
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `WAL of ${pair} at site ${here} is not being archived`,
        description: `{{ $value }} WAL segments wait to be archived at site ${here}: archiving fails, and the volume fills until PostgreSQL stops.`,
        runbook: `${status}; the instance's logs for archive_command errors; the volume's free space.`,
      },
    },
    {
      alert: 'HsaDatabaseVolumeHigh',
      expr: `sum(cnpg_pg_database_size_bytes{${selector}}) / ${cluster.storageGiB * 1024 ** 3} > ${context.thresholds.volumeRatio}`,
      for: '10m',
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `The databases of ${pair} at site ${here} fill more than ${Math.round(context.thresholds.volumeRatio * 100)} % of their volume`,
        description: `The databases take {{ $value }} of each instance's ${cluster.storageGiB} GiB volume (WAL comes on top): when it is full PostgreSQL stops.`,
        runbook: `${status}; the largest tables; raise the database's storageGiB in the environment (both sites alike).`,
      },
    },
  ];
  if (cluster.mode === 'standby') {
    rules.push(
      {
        alert: 'HsaDatabaseReplicationLinkDown',
        expr: `max(cnpg_pg_replication_is_wal_receiver_up{${selector}}) == 0`,
        for: '30s',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `${pair} at site ${here} no longer streams from site ${there}`,
          description: `The replica cluster ${cluster.self} at site ${here} has no WAL receiver: site ${there}'s transactions stop arriving here.`,
          runbook: `Check the datacenter link and ${cluster.primary} at site ${there}; ${status}. If site ${there} is lost, fail over: ${context.switchoverCommand(here, { siteLost: there, pairs: 'database' })}.`,
        },
      },
      {
        alert: 'HsaDatabaseStandbyBehind',
        expr: `max(cnpg_pg_replication_lag{${selector}}) > ${DATABASE_LAG_ALERT_SECONDS}`,
        for: '1m',
        labels: { severity: 'warning', ...labels },
        annotations: {
          summary: `${pair} at site ${here} replays more than ${DATABASE_LAG_ALERT_SECONDS} s behind site ${there}`,
          description: `The last transaction replayed at site ${here} is {{ $value }} s old: after a site loss that much is missing here.`,
          runbook: `The link's bandwidth and latency; the replica's disk and CPU; pg_stat_wal_receiver at site ${here}.`,
        },
      },
      {
        alert: 'HsaDatabaseSplitBrain',
        expr: `max(cnpg_pg_replication_in_recovery{${selector}}) == 0`,
        for: '15s',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `${pair} at site ${here} takes writes while site ${context.province.activeSite} is the active site`,
          description: `${cluster.self} at site ${here} left recovery although the environment makes site ${there}'s ${cluster.primary} the primary: both sites may take writes.`,
          runbook: `If a switchover promoted it, finish that switchover (run it again with the same --journal). Otherwise demote it at once (replica.primary back to ${cluster.primary}) and find who promoted it. Planned: ${context.switchoverCommand(here, { pairs: 'database' })}.`,
        },
      },
    );
  }
  return [{ name: `hsa-database-${unit.zone}-${here.toLowerCase()}`, rules }];
}

/**
 * A PostgreSQL outside the clusters, read by postgres_exporter at each site: the same alerts as
 * CloudNativePG's from the exporter's metrics. The link: at the standby, a server in recovery whose WAL
 * receiver is not streaming (PostgreSQL ends it after `wal_receiver_timeout` without a word from the
 * primary, 60 s unless its DBA set another, and the row of pg_stat_wal_receiver goes or leaves
 * `streaming`). postgres_exporter 0.19.1 skips a receiver without a replication slot (its `slot_name` is
 * null): the environment's documentation asks for one (found by the external database alerting drill).
 */
function postgresqlAlerts(context: AlertContext, plan: PostgresqlMonitoringPlan): AlertRuleGroup[] {
  const { unit } = context;
  const pair = `database@${unit.zone}`;
  const here = unit.site;
  const there = here === 'A' ? 'B' : 'A';
  const selector = `job="database", hsa_pair="${pair}", hsa_site="${here}"`;
  const labels = { team: 'database' as const, hsa_pair: pair, hsa_site: here };
  const server = `${plan.server.host}:${plan.server.port}`;
  const psql = (query: string) => `psql "host=${plan.server.host} port=${plan.server.port} dbname=postgres" -c "${query}"`;
  const exporter = `kubectl -n ${PLATFORM_NAMESPACES.middleware} logs deploy/${POSTGRES_EXPORTER_RELEASE}`;
  const rules: AlertRule[] = [
    {
      alert: 'HsaDatabaseDown',
      expr: `absent(pg_up{${selector}} == 1)`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `The ${plan.mode} PostgreSQL of ${pair} at site ${here} does not answer`,
        description: `Site ${here}'s PostgreSQL at ${server} refuses its exporter's connection, or the exporter is down (pg_up 0 also when the monitoring role's login is refused: the Secret ${plan.credentialsSecret}, pg_hba.conf).`,
        runbook: `${psql('SELECT 1')}; ${exporter}.${plan.mode === 'primary' ? ` If site ${here} is lost as a whole, fail over: ${context.switchoverCommand(there, { siteLost: here })}.` : ''}`,
      },
    },
    {
      alert: 'HsaDatabaseWalNotArchived',
      expr: `max(increase(pg_stat_archiver_failed_count{${selector}}[10m])) > 0`,
      for: '10m',
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `WAL of ${pair} at site ${here} is not being archived`,
        description: `{{ $value }} attempts to archive a WAL segment failed at site ${here} in 10 minutes: the segments stay in pg_wal until the volume fills and PostgreSQL stops.`,
        runbook: `${psql('SELECT * FROM pg_stat_archiver')}; the server's log for archive_command errors; pg_wal's free space.`,
      },
    },
  ];
  if (plan.mode === 'standby') {
    rules.push(
      {
        alert: 'HsaDatabaseReplicationLinkDown',
        expr: `max(pg_replication_is_replica{${selector}}) == 1 unless max(pg_stat_wal_receiver_received_tli{${selector}, status="streaming"})`,
        for: '30s',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `${pair} at site ${here} no longer streams from site ${there}`,
          description: `The standby ${server} at site ${here} has no streaming WAL receiver: site ${there}'s transactions stop arriving here. (postgres_exporter sees only a receiver that streams through a replication slot: a standby without primary_slot_name reads as down.)`,
          runbook: `Check the datacenter link and the primary at site ${there}; ${psql('SELECT status, sender_host, last_msg_receipt_time FROM pg_stat_wal_receiver')}. If site ${there} is lost, fail over: ${context.switchoverCommand(here, { siteLost: there, pairs: 'database' })}.`,
        },
      },
      {
        alert: 'HsaDatabaseStandbyBehind',
        expr: `max(pg_replication_lag_seconds{${selector}}) > ${DATABASE_LAG_ALERT_SECONDS}`,
        for: '1m',
        labels: { severity: 'warning', ...labels },
        annotations: {
          summary: `${pair} at site ${here} replays more than ${DATABASE_LAG_ALERT_SECONDS} s behind site ${there}`,
          description: `The last transaction replayed at site ${here} is {{ $value }} s old while more has arrived: after a site loss that much is missing here.`,
          runbook: `The link's bandwidth and latency; the standby's disk and CPU; ${psql('SELECT pg_is_wal_replay_paused(), pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()')}.`,
        },
      },
      {
        alert: 'HsaDatabaseSplitBrain',
        expr: `max(pg_replication_is_replica{${selector}}) == 0`,
        for: '15s',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `${pair} at site ${here} takes writes while site ${context.province.activeSite} is the active site`,
          description: `The standby ${server} at site ${here} left recovery although the environment makes site ${there} the primary: both sites may take writes.`,
          runbook: `If a switchover promoted it, finish that switchover (run it again with the same --journal). Otherwise stop the applications' writes here and have its DBA rebuild it as a standby of site ${there} (pg_rewind). Planned: ${context.switchoverCommand(here, { pairs: 'database' })}.`,
        },
      },
    );
  }
  return [{ name: `hsa-database-${unit.zone}-${here.toLowerCase()}`, rules }];
}

/** Another product: whether this site's server accepts connections, checked by the blackbox exporter. */
function otherProductAlerts(context: AlertContext, address: Endpoint, product: string): AlertRuleGroup[] {
  const { unit } = context;
  const pair = `database@${unit.zone}`;
  const here = unit.site;
  const there = here === 'A' ? 'B' : 'A';
  const active = context.province.activeSite === here;
  const server = `${address.host}:${address.port}`;
  return [
    {
      name: `hsa-database-${unit.zone}-${here.toLowerCase()}`,
      rules: [
        {
          alert: 'HsaDatabaseDown',
          expr: `max(probe_success{job="probe-tcp_connect", hsa_pair="${pair}", hsa_site="${here}", hsa_target_site="${here}"}) == 0`,
          for: '1m',
          labels: { severity: 'critical', team: 'database', hsa_pair: pair, hsa_site: here },
          annotations: {
            summary: `${product} of ${pair} at site ${here} does not accept connections`,
            description: `Site ${here}'s ${product} at ${server} refuses or drops connections from its own cluster. Its replication is watched by its DBA's own tools.`,
            runbook: `${product}'s own tools at ${server}.${active ? ` If site ${here} is lost as a whole, fail over: ${context.switchoverCommand(there, { siteLost: here })}.` : ''}`,
          },
        },
      ],
    },
  ];
}
