/**
 * How the Kafka pairs are watched at one site. Strimzi serves each broker's and each MirrorMaker 2
 * worker's JMX through the Prometheus JMX exporter it ships in its Kafka image (`metricsConfig`, port
 * 9404), with the rules below: the toolkit's own, only what its alerts read. Prometheus finds every
 * pod behind a headless Service by DNS (no Kubernetes discovery, no cluster-wide read access).
 *
 * Alerts: a broker down, under-replicated partitions and a broker's volume filling at both sites; at the standby, MirrorMaker 2
 * stopped, a connector task not running, and replication latency beyond the bound.
 */
import { stringify } from 'yaml';
import type { AlertContext, AlertRule, AlertRuleGroup } from '../../model/alert-rules';
import type { ScrapeJob } from '../../model/monitoring-plan';
import type { DeploymentUnit } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import type { KafkaPlan } from './kafka-plan';

/** The port Strimzi opens for the JMX exporter on every pod with `metricsConfig`. */
export const KAFKA_METRICS_PORT = 9404;
/** The ConfigMap holding the exporter rules, and its keys. */
export const KAFKA_METRICS_CONFIG = { name: 'hsa-kafka-metrics', brokerKey: 'broker.yml', mirrorKey: 'mirror-maker-2.yml' } as const;
/**
 * Seconds a record may take from the active site's cluster into the standby's before the lag alert:
 * MirrorMaker 2 flushes offsets every 10 s and polls continuously; a minute means it is falling behind.
 */
export const KAFKA_MIRROR_LAG_ALERT_SECONDS = 60;
/**
 * The window in which MirrorMaker 2's source tasks must complete at least one fetch from the other site.
 * A healthy task fetches several times a second even with nothing to copy (the consumer's long poll).
 */
export const KAFKA_MIRROR_FETCH_WINDOW_SECONDS = 60;

/** The JMX exporter rules of the brokers: their partitions' replication inside the site. */
export function kafkaBrokerMetricsRules(): string {
  return stringify(
    {
      lowercaseOutputName: true,
      rules: [
        { pattern: 'kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value', name: 'kafka_server_replicamanager_underreplicatedpartitions', type: 'GAUGE' },
        // Each partition's log on this broker's volume, in bytes.
        { pattern: 'kafka.log<type=Log, name=Size, topic=(.+), partition=(.+)><>Value', name: 'kafka_log_log_size', labels: { topic: '$1', partition: '$2' }, type: 'GAUGE' },
      ],
    },
    { lineWidth: 0 },
  );
}

/**
 * The JMX exporter rules of MirrorMaker 2: each connector task's status (a gauge of 1 labelled with the
 * status); each source task's fetches from the other site's brokers (its consumer's client id is
 * `<source>-><target>|<task>|replication-consumer`, a counter); and, per mirrored partition, the
 * replication latency and the age of the newest record. JMX quotes a name holding `>` or `|` (both
 * connector and client id do), so the patterns leave the quotes out of the labels. The exporter turns
 * the attributes' dashes into underscores.
 *
 * The latency figures are the maximum over the records copied in the last minute: with nothing copied
 * they are NaN, which no threshold matches, so a cut link or a stalled source shows only in the fetches
 * (the real exporter and Kafka 4.1 showed it: test/drills/kafka-monitoring.test.ts).
 */
export function kafkaMirrorMetricsRules(): string {
  return stringify(
    {
      lowercaseOutputName: true,
      rules: [
        {
          pattern: 'kafka.connect<type=connector-task-metrics, connector="?([^",]+)"?, task=(.+)><>status: ([a-z-]+)',
          name: 'kafka_connect_connector_task_status',
          value: 1,
          labels: { connector: '$1', task: '$2', status: '$3' },
          type: 'GAUGE',
        },
        {
          pattern: 'kafka.consumer<type=consumer-fetch-manager-metrics, client-id="?([^|"]+)\\|([^|"]+)\\|replication-consumer"?><>fetch-total',
          name: 'kafka_mirror_source_consumer_fetch_total',
          labels: { flow: '$1', task: '$2' },
          type: 'COUNTER',
        },
        {
          pattern: 'kafka.connect.mirror<type=MirrorSourceConnector, source=(.+), target=(.+), topic=(.+), partition=(.+)><>(replication-latency-ms-max|record-age-ms-max)',
          name: 'kafka_mirror_source_$5',
          labels: { source: '$1', target: '$2', topic: '$3', partition: '$4' },
          type: 'GAUGE',
        },
      ],
    },
    { lineWidth: 0 },
  );
}

/** The MirrorMaker 2 at a standby site, by its Strimzi name. */
export function mirrorMakerName(plan: Pick<KafkaPlan, 'sourceAlias'>): string {
  return `mirror-from-${plan.sourceAlias}`;
}

/** The headless Service the toolkit adds so Prometheus finds every MirrorMaker 2 worker by DNS. */
export function mirrorMetricsServiceName(plan: Pick<KafkaPlan, 'sourceAlias'>): string {
  return `${mirrorMakerName(plan)}-metrics`;
}

export function kafkaScrapeJobs(unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan'>): ScrapeJob[] {
  const plan = unit.middlewarePlan.kafka;
  if (!plan) return [];
  const namespace = PLATFORM_NAMESPACES.middleware;
  const labels = { hsa_pair: `kafka@${unit.zone}`, hsa_site: unit.site };
  const every = (service: string) => [{ address: `${service}.${namespace}.svc:${KAFKA_METRICS_PORT}`, labels, everyAddress: true }];
  return [
    // Strimzi's own headless Service over the brokers.
    { name: 'kafka-brokers', namespace, port: KAFKA_METRICS_PORT, targets: every(`${plan.clusterName}-kafka-brokers`) },
    ...(plan.mirrorSource ? [{ name: 'kafka-mirror', namespace, port: KAFKA_METRICS_PORT, targets: every(mirrorMetricsServiceName(plan)) }] : []),
  ];
}

export function kafkaAlerts(context: AlertContext): AlertRuleGroup[] {
  const { unit } = context;
  const plan = unit.middlewarePlan.kafka;
  if (!plan) return [];
  const pair = `kafka@${unit.zone}`;
  const here = unit.site;
  const there = here === 'A' ? 'B' : 'A';
  const labels = { team: 'middleware' as const, hsa_pair: pair, hsa_site: here };
  const brokers = `job="kafka-brokers", hsa_pair="${pair}", hsa_site="${here}"`;
  const mirror = `job="kafka-mirror", hsa_pair="${pair}", hsa_site="${here}"`;
  const pods = `kubectl -n ${PLATFORM_NAMESPACES.middleware} get pods -l strimzi.io/cluster=${plan.clusterName}`;
  const rules: AlertRule[] = [
    {
      alert: 'HsaKafkaBrokerDown',
      expr: `count(up{${brokers}} == 1) < ${plan.brokers} or absent(up{${brokers}} == 1)`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `A broker of ${pair} at site ${here} is down`,
        description: `{{ $value }} of the ${plan.brokers} brokers of ${pair} at site ${here} answer their metrics endpoint (none when the value is 1 from absent()).`,
        runbook: `${pods}; the broker's logs and the Kafka resource's status (kubectl -n ${PLATFORM_NAMESPACES.middleware} get kafka ${plan.clusterName} -o yaml).${plan.mode === 'primary' ? ` If site ${here} is lost as a whole, fail over: ${context.switchoverCommand(there, { siteLost: here })}.` : ''}`,
      },
    },
    {
      alert: 'HsaKafkaUnderReplicated',
      expr: `sum(kafka_server_replicamanager_underreplicatedpartitions{${brokers}}) > 0`,
      for: '5m',
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `${pair} at site ${here} has under-replicated partitions`,
        description: `{{ $value }} partitions of ${pair} at site ${here} have fewer in-sync replicas than assigned: one more broker lost loses writes acknowledged with acks=all.`,
        runbook: `${pods}; kafka-topics.sh --describe --under-replicated-partitions against the site's bootstrap, and the brokers' disks.`,
      },
    },
    {
      alert: 'HsaKafkaVolumeHigh',
      expr: `max(sum by (instance) (kafka_log_log_size{${brokers}})) / ${plan.storageGiB * 1024 ** 3} > ${context.thresholds.volumeRatio}`,
      for: '10m',
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `A broker of ${pair} at site ${here} has used more than ${Math.round(context.thresholds.volumeRatio * 100)} % of its volume`,
        description: `The fullest broker's logs take {{ $value }} of its ${plan.storageGiB} GiB volume: when it is full the broker stops.`,
        runbook: `The topics' retention (retention.ms, retention.bytes) and the largest partitions; raise kafka.storageGiB in the environment (both sites alike).`,
      },
    },
  ];
  if (plan.mirrorSource) {
    const lagBound = KAFKA_MIRROR_LAG_ALERT_SECONDS;
    rules.push(
      {
        alert: 'HsaKafkaMirrorDown',
        expr: `absent(up{${mirror}} == 1)`,
        for: '1m',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `MirrorMaker 2 of ${pair} at site ${here} is not running`,
          description: `No MirrorMaker 2 worker of ${pair} answers at site ${here}: site ${there}'s records and consumer offsets are no longer copied here.`,
          runbook: `kubectl -n ${PLATFORM_NAMESPACES.middleware} get kafkamirrormaker2 ${mirrorMakerName(plan)} -o yaml (its conditions) and its pods; check the link to site ${there}'s brokers. If site ${there} is lost, fail over: ${context.switchoverCommand(here, { siteLost: there, pairs: 'kafka' })}.`,
        },
      },
      {
        // The only figure that stops when the link does: the tasks keep running and the latency figures
        // go NaN (nothing copied), so neither alert above nor the lag alert sees a cut link.
        alert: 'HsaKafkaMirrorLinkDown',
        expr: `sum by (flow) (increase(kafka_mirror_source_consumer_fetch_total{${mirror}}[${KAFKA_MIRROR_FETCH_WINDOW_SECONDS}s])) == 0`,
        for: '30s',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `MirrorMaker 2 of ${pair} at site ${here} gets nothing from site ${there}`,
          description: `No MirrorMaker 2 task of {{ $labels.flow }} completed a fetch from site ${there}'s brokers in ${KAFKA_MIRROR_FETCH_WINDOW_SECONDS} s: the link or site ${there}'s brokers are down, and what site ${there} takes from now on is not here.`,
          runbook: `From a MirrorMaker 2 pod at site ${here}, the other site's Kafka address (${plan.mirrorSource.host}:${plan.mirrorSource.port}); the connector's status (kubectl -n ${PLATFORM_NAMESPACES.middleware} get kafkamirrormaker2 ${mirrorMakerName(plan)} -o yaml). If site ${there} is lost, fail over: ${context.switchoverCommand(here, { siteLost: there, pairs: 'kafka' })}.`,
        },
      },
      {
        alert: 'HsaKafkaMirrorTaskNotRunning',
        expr: `max by (connector, task) (kafka_connect_connector_task_status{${mirror}, status!="running"}) == 1`,
        for: '1m',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `A MirrorMaker 2 task of ${pair} at site ${here} is not running`,
          description: `Task {{ $labels.task }} of connector {{ $labels.connector }} is not running: what it copies from site ${there} stops.`,
          runbook: `The KafkaMirrorMaker2 ${mirrorMakerName(plan)}'s status lists each connector's tasks and the failed one's trace; restart it with the annotation strimzi.io/restart-connector-task.`,
        },
      },
      {
        alert: 'HsaKafkaMirrorLagging',
        expr: `max(kafka_mirror_source_replication_latency_ms_max{${mirror}}) > ${lagBound * 1000}`,
        for: '2m',
        labels: { severity: 'warning', ...labels },
        annotations: {
          summary: `MirrorMaker 2 of ${pair} at site ${here} is more than ${lagBound} s behind`,
          description: `Records reach site ${here} up to {{ $value }} ms after site ${there} took them (bound ${lagBound} s): after a site loss that much is missing here.`,
          runbook: `The link's bandwidth to site ${there}; MirrorMaker 2's tasks (tasksMax) and its pods' CPU; the topics with the highest kafka_mirror_source_replication_latency_ms_max.`,
        },
      },
    );
  }
  return [{ name: `hsa-kafka-${unit.zone}-${here.toLowerCase()}`, rules }];
}
