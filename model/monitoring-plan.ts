/**
 * The toolkit's monitoring of one unit (one zone in one datacenter), planned from the DR model (#27): a
 * Prometheus per site cluster that scrapes exactly the exporters the unit deploys, by static address (no
 * Kubernetes discovery for them; only the kubelets are found through the API server, model/cluster-monitoring.ts),
 * labelled with the alert rules' contract
 * (model/alert-rules.ts), evaluates the unit's generated rules and sends to the site's Alertmanager, which
 * routes by team to the environment's receivers. Present when the environment declares `observability`
 * and leaves the stack to the toolkit.
 */
import { alertmanagerConfig, receiverTargets, type AlertmanagerConfig } from './alertmanager-config';
import type { AlertRuleGroup } from './alert-rules';
import type { ClusterMetricsSettings } from './cluster-monitoring';
import type { ProvisionedDashboard } from './dashboards';
import { OBSERVABILITY_DEFAULTS, type ObservabilitySettings } from './observability-schema';
import { PLATFORM_NAMESPACES, type Site } from './topology';

/** prometheus-community/prometheus (its Alertmanager is the chart's `alertmanager` dependency). */
export const PROMETHEUS_CHART_VERSION = '29.27.0';
/** Helm release name of a site's monitoring: the chart names its Services `prometheus-server`, `prometheus-alertmanager`. */
export const MONITORING_RELEASE = 'prometheus';
export const ALERTMANAGER_PORT = 9093;
/** Velero's metrics Service (vmware-tanzu/velero: `velero` in the backup namespace). */
export const VELERO_METRICS_PORT = 8085;

/** A group of targets scraped alike: same job, same port, in one namespace. */
export interface ScrapeJob {
  /** Prometheus's `job` label. */
  readonly name: string;
  /** The namespace the targets run in: its network policies admit Prometheus on `port`. */
  readonly namespace: string;
  readonly port: number;
  readonly targets: readonly ScrapeTarget[];
}

export interface ScrapeTarget {
  /** `host:port`: a StatefulSet pod's or a Service's cluster DNS name. */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Scrape every address the name resolves to (a headless Service over several pods, by DNS A records). @default false */
  readonly everyAddress?: boolean;
}

/**
 * What the blackbox exporter beside Prometheus checks from the site cluster: a TCP connection, a TLS
 * handshake (its certificate's expiry), or the platform zone answered by a DNS server.
 */
export type ProbeModule = 'tcp_connect' | 'tls_certificate' | 'dns_zone';

export interface ProbeTarget {
  readonly module: ProbeModule;
  /** `host:port`, an address (a VIP of this site or of the other). */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** prometheus-community/prometheus-blackbox-exporter, beside each site's Prometheus. */
export const BLACKBOX_CHART_VERSION = '11.17.2';
export const BLACKBOX_RELEASE = 'blackbox';
export const BLACKBOX_PORT = 9115;

/** What a site's monitoring is made of, as the model plans it and SiteMonitoring renders it (one documented struct). */
export interface MonitoringSettings {
  readonly namespace: string;
  readonly chartVersion: string;
  readonly retentionDays: number;
  readonly storageGiB: number;
  readonly site: Site;
  readonly scrapeJobs: readonly ScrapeJob[];
  readonly probes: readonly ProbeTarget[];
  /** The zone the `dns_zone` probe asks the DNS controller for (its SOA). */
  readonly dnsZone: string;
  readonly blackboxChartVersion: string;
  readonly ruleGroups: readonly AlertRuleGroup[];
  /** The unit's dashboards, provisioned as ConfigMaps for the province's Grafana (model/dashboards.ts). */
  readonly dashboards: readonly ProvisionedDashboard[];
  readonly alertmanager: AlertmanagerConfig;
  /** Where Alertmanager posts: the receivers' ports, at their networks (`receiverNetworks`) or their own addresses. */
  readonly receivers: { readonly addresses: readonly string[]; readonly ports: readonly number[] };
  /** The Secrets holding receivers' URLs (`webhookFromSecret`), mounted into the Alertmanager pod. */
  readonly receiverSecrets: readonly string[];
  /** The cluster's own metrics (the kubelets), unless `observability.clusterMetrics.enabled` is false. @default - not read */
  readonly clusterMetrics?: ClusterMetricsSettings;
}

/** The monitoring of one unit, as the model plans it. */
export type UnitMonitoringPlan = MonitoringSettings;

/** Whether the toolkit deploys the monitoring: the environment declares `observability` and leaves the stack to it. */
export function toolkitMonitors(settings: ObservabilitySettings | undefined): settings is ObservabilitySettings {
  return settings !== undefined && (settings.stack ?? OBSERVABILITY_DEFAULTS.stack) === 'toolkit';
}

/** What the plan is made from: the unit's scrape jobs and rules (model/observability.ts) and the province's settings. */
export function planUnitMonitoring(
  settings: ObservabilitySettings,
  site: Site,
  watched: { readonly scrapeJobs: readonly ScrapeJob[]; readonly probes: readonly ProbeTarget[]; readonly dnsZone: string },
  clusterMetrics: ClusterMetricsSettings | undefined,
  ruleGroups: readonly AlertRuleGroup[],
  dashboards: readonly ProvisionedDashboard[],
): UnitMonitoringPlan {
  const config = alertmanagerConfig(settings);
  return {
    namespace: PLATFORM_NAMESPACES.monitoring,
    chartVersion: PROMETHEUS_CHART_VERSION,
    retentionDays: settings.retentionDays ?? OBSERVABILITY_DEFAULTS.retentionDays,
    storageGiB: settings.storageGiB ?? OBSERVABILITY_DEFAULTS.storageGiB,
    site,
    ...watched,
    blackboxChartVersion: BLACKBOX_CHART_VERSION,
    ruleGroups,
    dashboards,
    alertmanager: config,
    receivers: receiverEgress(settings),
    receiverSecrets: [...new Set(receiverTargets(settings).flatMap(({ target }) => (target.webhookFromSecret ? [target.webhookFromSecret.secret] : [])))].sort(),
    ...(clusterMetrics ? { clusterMetrics } : {}),
  };
}

/**
 * The schema has made sure a webhook given by host name, or kept in a Secret, comes with `receiverNetworks`.
 * A URL in a Secret gives its port in the environment (`webhookFromSecret.port`).
 */
function receiverEgress(settings: ObservabilitySettings): UnitMonitoringPlan['receivers'] {
  const targets = receiverTargets(settings).map(({ target }) => target);
  const urls = targets.flatMap((target) => (target.webhook !== undefined ? [new URL(target.webhook)] : []));
  const ports = [
    ...new Set([
      ...urls.map((url) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80)),
      ...targets.flatMap((target) => (target.webhookFromSecret ? [target.webhookFromSecret.port ?? 443] : [])),
    ]),
  ].sort((a, b) => a - b);
  const addresses = settings.receiverNetworks ?? [...new Set(urls.map((url) => url.hostname.replace(/^\[|\]$/g, '')))].sort();
  return { addresses, ports };
}

/** The namespaces Prometheus scrapes and on which ports: each admits it there (and only there). */
export function scrapedPorts(plan: Pick<MonitoringSettings, 'scrapeJobs'>, namespace: string): number[] {
  return [...new Set(plan.scrapeJobs.filter((job) => job.namespace === namespace).map((job) => job.port))].sort((a, b) => a - b);
}
