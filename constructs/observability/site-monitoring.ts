import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { AlertmanagerConfig } from '../../model/alertmanager-config';
import { EVALUATION_INTERVAL_SECONDS, RECEIVER_SECRETS_DIR, SCRAPE_INTERVAL_SECONDS } from '../../model/alertmanager-config';
import type { AlertRuleGroup } from '../../model/alert-rules';
import { CADVISOR_JOB, KEPT_SERIES, KUBELET_JOB, KUBELET_PORT, PROMETHEUS_SERVICE_ACCOUNT, type ClusterMetricsSettings } from '../../model/cluster-monitoring';
import { IMAGES, imageReference } from '../../model/images';
import { ALERTMANAGER_PORT, BLACKBOX_PORT, BLACKBOX_RELEASE, MONITORING_RELEASE, scrapedPorts, type ProbeModule, type ProbeTarget, type MonitoringSettings, type ScrapeJob } from '../../model/monitoring-plan';
import type { SitePlacement } from '../placement';
import { annotateResource, declareImages } from '../annotations';
import { helmRelease } from '../l1/helm';
import { clusterRoleBindingV1, clusterRoleV1, configMapV1 } from '../l1/kubernetes';
import { helmValues, type ChartSource } from '../middleware/chart-source';
import { addPlatformNamespace } from '../tenancy/platform-namespace';
import { Peer, type NetworkPolicySet } from '../tenancy/network-policy-set';
import { podSecurityLabels } from '../tenancy/tenant-namespace';

/** The unit's monitoring plan, where it runs and what it pulls. */
export interface SiteMonitoringProps extends SitePlacement, MonitoringSettings {
  /** The province's chart repository and image mirror. */
  readonly source: ChartSource;
}

/** An image block of the prometheus-community charts: the full repository, registry included. */
interface ChartImage {
  readonly repository: string;
  readonly tag: string;
}

/** What Pod Security Admission's `restricted` level asks of a pod and of each container. */
interface RestrictedPodSecurity {
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly runAsNonRoot: true;
  readonly fsGroup: number;
  readonly seccompProfile: { readonly type: 'RuntimeDefault' };
}
interface RestrictedContainerSecurity {
  readonly allowPrivilegeEscalation: false;
  readonly readOnlyRootFilesystem: true;
  readonly capabilities: { readonly drop: readonly ['ALL'] };
}

/** One job of the chart's `scrapeConfigs` map (the key is the job name). */
type ScrapeConfigValue =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly static_configs?: readonly { readonly targets: readonly string[]; readonly labels: Readonly<Record<string, string>> }[];
      /** Every pod behind a headless Service, by its DNS A records. */
      readonly dns_sd_configs?: readonly { readonly names: readonly string[]; readonly type: 'A'; readonly port: number }[];
      /** A probe job asks the blackbox exporter at `/probe?module=<m>&target=<address>`. */
      readonly metrics_path?: '/probe';
      readonly params?: { readonly module: readonly [ProbeModule] };
      /** DNS discovery carries no labels (each name's are set from `__meta_dns_name`); a probe's target becomes a parameter. */
      readonly relabel_configs?: readonly RelabelConfig[];
    }
  | KubeletScrapeConfig;

interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly regex?: string;
  readonly target_label: string;
  readonly replacement?: string;
}

/** A kubelet endpoint of every node the API server lists, with the ServiceAccount's token (model/cluster-monitoring.ts). */
interface KubeletScrapeConfig {
  readonly enabled: true;
  readonly scheme: 'https';
  readonly metrics_path: '/metrics' | '/metrics/cadvisor';
  readonly kubernetes_sd_configs: readonly [{ readonly role: 'node' }];
  readonly authorization: { readonly credentials_file: string };
  readonly tls_config: { readonly ca_file: string; readonly insecure_skip_verify: boolean };
  readonly relabel_configs: readonly RelabelConfig[];
  /** Only the series the alerts and dashboards read are kept. */
  readonly metric_relabel_configs: readonly [{ readonly source_labels: readonly ['__name__']; readonly regex: string; readonly action: 'keep' }];
}

/** Where Kubernetes mounts a pod's ServiceAccount token and the cluster's CA. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How the blackbox exporter runs each probe module. */
type BlackboxModule =
  | { readonly prober: 'tcp'; readonly timeout: string; readonly tcp: { readonly preferred_ip_protocol: 'ip4'; readonly tls?: true; readonly tls_config?: { readonly insecure_skip_verify: true } } }
  | {
      readonly prober: 'dns';
      readonly timeout: string;
      readonly dns: {
        readonly query_name: string;
        readonly query_type: 'SOA';
        readonly transport_protocol: 'udp';
        readonly preferred_ip_protocol: 'ip4';
        readonly valid_rcodes: readonly ['NOERROR'];
        readonly validate_answer_rrs: { readonly fail_if_none_matches_regexp: readonly string[] };
      };
    };

/** The subset of prometheus-community/prometheus-blackbox-exporter values the toolkit sets. */
interface BlackboxChartValues {
  readonly fullnameOverride: string;
  readonly image: { readonly registry: string; readonly repository: string; readonly tag: string };
  readonly podSecurityContext: Pick<RestrictedPodSecurity, 'seccompProfile'>;
  readonly resources: ContainerResources;
  readonly config: { readonly modules: Readonly<Record<ProbeModule, BlackboxModule>> };
}

interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}
const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): ContainerResources => ({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

/**
 * The chart's default jobs discover targets through the Kubernetes API, which needs a ClusterRole the
 * deploy identity cannot grant (and the toolkit does not want): each is turned off by name, as the
 * chart's map of jobs merges with what is set.
 */
const CHART_DISCOVERY_JOBS = [
  'kubernetes-api-servers',
  'kubernetes-nodes',
  'kubernetes-nodes-cadvisor',
  'kubernetes-service-endpoints',
  'kubernetes-service-endpoints-slow',
  'prometheus-pushgateway',
  'kubernetes-services',
  'kubernetes-pods',
  'kubernetes-pods-slow',
] as const;

/** The subset of prometheus-community/prometheus values the toolkit sets, typed so a misspelled key fails to compile. */
interface PrometheusChartValues {
  /** Not the chart's ClusterRole (it reads pods, services, endpoints and ingresses everywhere): the toolkit's own, nodes only, when the cluster's metrics are read. */
  readonly rbac: { readonly create: false };
  /** Named so the toolkit's ClusterRoleBinding can name it. */
  readonly serviceAccounts: { readonly server: { readonly create: true; readonly name: string } };
  readonly configmapReload: { readonly prometheus: { readonly image: ChartImage; readonly containerSecurityContext: RestrictedContainerSecurity; readonly resources: ContainerResources } };
  readonly server: {
    readonly image: ChartImage;
    /** Only to list the nodes and read their kubelets (clusterMetrics). */
    readonly automountServiceAccountToken: boolean;
    readonly global: { readonly scrape_interval: string; readonly evaluation_interval: string; readonly external_labels: Readonly<Record<string, string>> };
    readonly retention: string;
    readonly persistentVolume: { readonly enabled: true; readonly size: string };
    readonly securityContext: RestrictedPodSecurity;
    readonly containerSecurityContext: RestrictedContainerSecurity;
    readonly resources: ContainerResources;
    /** The site's Alertmanager by its Service, instead of the chart's pod discovery. */
    readonly alertmanagers: readonly { readonly static_configs: readonly { readonly targets: readonly string[] }[] }[];
  };
  readonly scrapeConfigs: Readonly<Record<string, ScrapeConfigValue>>;
  readonly serverFiles: { readonly 'alerting_rules.yml': { readonly groups: readonly AlertRuleGroup[] } };
  readonly alertmanager: {
    readonly image: ChartImage;
    readonly automountServiceAccountToken: false;
    readonly config: AlertmanagerConfig & { readonly enabled: true; readonly templates: readonly string[] };
    /** The Secrets holding receivers' URLs, each as files under RECEIVER_SECRETS_DIR (absent when none). */
    readonly extraSecretMounts?: readonly { readonly name: string; readonly mountPath: string; readonly secretName: string; readonly readOnly: true }[];
    readonly persistence: { readonly size: string };
    readonly podSecurityContext: Pick<RestrictedPodSecurity, 'fsGroup' | 'seccompProfile'>;
    readonly securityContext: Omit<RestrictedPodSecurity, 'fsGroup' | 'seccompProfile'> & RestrictedContainerSecurity;
    readonly resources: ContainerResources;
  };
  readonly 'kube-state-metrics': { readonly enabled: false };
  readonly 'prometheus-node-exporter': { readonly enabled: false };
  readonly 'prometheus-pushgateway': { readonly enabled: false };
}

/**
 * The labels the charts give each component's pods (prometheus 29.27.0, its alertmanager 1.42.0,
 * prometheus-blackbox-exporter 11.17.2, read from their renders): each egress path of the namespace is
 * opened to the one component that uses it. The conformance procedure checks every selector against the
 * real renders.
 */
export const MONITORING_PODS = {
  server: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/instance': MONITORING_RELEASE },
  alertmanager: { 'app.kubernetes.io/name': 'alertmanager', 'app.kubernetes.io/instance': MONITORING_RELEASE },
  blackbox: { 'app.kubernetes.io/name': 'prometheus-blackbox-exporter', 'app.kubernetes.io/instance': BLACKBOX_RELEASE },
} as const;

/** nobody:nogroup, as the chart's own defaults run both servers. */
const NOBODY = 65534;

/**
 * One site cluster's monitoring (监控) for one zone: Prometheus with the unit's generated alert rules,
 * scraping the exporters the unit deploys at their static addresses with the rules' labels, and the
 * site's Alertmanager routing by team to the environment's receivers (prometheus-community/prometheus and
 * its alertmanager dependency). Its namespace is `restricted` for Pod Security Admission and denied by
 * default: it reaches the scraped namespaces on their exporter ports and the receivers on theirs.
 */
export class SiteMonitoring extends Construct {
  readonly namespaceName: string;
  private readonly release: TerraformResource;

  /**
   * The blackbox exporter: what has no exporter of its own (FastDFS, the DNS controller, the load
   * balancer, the certificates) is checked from the cluster. It reaches each probed address on its port only.
   */
  private addBlackbox(props: SiteMonitoringProps, namespaceName: string, policies: NetworkPolicySet): void {
    const byPort = new Map<string, { port: number; protocol: 'TCP' | 'UDP'; addresses: string[] }>();
    for (const probe of props.probes) {
      const separator = probe.address.lastIndexOf(':');
      const port = Number(probe.address.slice(separator + 1));
      const protocol = probe.module === 'dns_zone' ? 'UDP' : 'TCP';
      const key = `${port}/${protocol}`;
      const entry = byPort.get(key) ?? { port, protocol, addresses: [] };
      entry.addresses.push(probe.address.slice(0, separator));
      byPort.set(key, entry);
    }
    for (const { port, protocol, addresses } of [...byPort.values()].sort((a, b) => a.port - b.port)) {
      const name = `allow-to-probed-${port}-${protocol.toLowerCase()}`;
      policies.allowTo(name, Peer.addresses(addresses), [{ port, protocol }], { name, pods: MONITORING_PODS.blackbox });
    }
    const tcp = { prober: 'tcp' as const, timeout: '5s' };
    const values: BlackboxChartValues = {
      fullnameOverride: `${BLACKBOX_RELEASE}-exporter`,
      image: { registry: props.source.imageRegistry, repository: `${props.source.imagePath}/${IMAGES.blackboxExporter.name}`, tag: IMAGES.blackboxExporter.tag },
      podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      resources: resources('20m', '32Mi', '200m', '128Mi'),
      config: {
        modules: {
          tcp_connect: { ...tcp, tcp: { preferred_ip_protocol: 'ip4' } },
          // The expiry is what is read; whether the other site trusts the certificate is its replication's check.
          tls_certificate: { ...tcp, tcp: { preferred_ip_protocol: 'ip4', tls: true, tls_config: { insecure_skip_verify: true } } },
          dns_zone: {
            prober: 'dns',
            timeout: '5s',
            dns: { query_name: props.dnsZone, query_type: 'SOA', transport_protocol: 'udp', preferred_ip_protocol: 'ip4', valid_rcodes: ['NOERROR'], validate_answer_rrs: { fail_if_none_matches_regexp: ['.*\\sSOA\\s.*'] } },
          },
        },
      },
    };
    const release = helmRelease(this, 'Blackbox', {
      name: BLACKBOX_RELEASE,
      namespace: namespaceName,
      repository: props.source.repository,
      chart: 'prometheus-blackbox-exporter',
      version: props.blackboxChartVersion,
      values: [helmValues(values)],
      atomic: true,
      timeout: 600,
    });
    declareImages(release, [imageReference(props.source.imageRegistry, props.source.imagePath, 'blackboxExporter')]);
  }

  /**
   * The cluster's own metrics: a ClusterRole with nodes and nodes/metrics only, bound to Prometheus's
   * ServiceAccount; the node discovery through the API server and each kubelet on its port, and nothing
   * else, opened in the namespace's egress.
   */
  private addClusterMetrics(plan: ClusterMetricsSettings, site: string, namespaceName: string, policies: NetworkPolicySet, scrapeConfigs: Record<string, ScrapeConfigValue>): void {
    const role = clusterRoleV1(this, 'KubeletReader', {
      metadata: { name: plan.clusterRole },
      rule: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      ],
    });
    clusterRoleBindingV1(this, 'KubeletReaderBinding', {
      metadata: { name: plan.clusterRole },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: plan.clusterRole },
      subject: [{ kind: 'ServiceAccount', name: plan.serviceAccount, namespace: namespaceName }],
      dependsOn: [role],
    });
    policies.allowTo('AllowToApiServer', Peer.addresses([plan.apiServer.host]), [plan.apiServer.port], { name: 'allow-to-api-server', pods: MONITORING_PODS.server });
    policies.allowTo('AllowToKubelets', Peer.addresses(plan.nodeNetworks), [KUBELET_PORT], { name: 'allow-to-kubelets', pods: MONITORING_PODS.server });
    const kubelet = (job: typeof KUBELET_JOB | typeof CADVISOR_JOB): KubeletScrapeConfig => ({
      enabled: true,
      scheme: 'https',
      metrics_path: job === CADVISOR_JOB ? '/metrics/cadvisor' : '/metrics',
      kubernetes_sd_configs: [{ role: 'node' }],
      authorization: { credentials_file: `${SERVICE_ACCOUNT_DIR}/token` },
      tls_config: { ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt`, insecure_skip_verify: plan.kubeletTls === 'skip-verify' },
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' },
        { target_label: 'hsa_site', replacement: site },
      ],
      metric_relabel_configs: [{ source_labels: ['__name__'], regex: KEPT_SERIES[job].join('|'), action: 'keep' }],
    });
    scrapeConfigs[KUBELET_JOB] = kubelet(KUBELET_JOB);
    scrapeConfigs[CADVISOR_JOB] = kubelet(CADVISOR_JOB);
  }

  constructor(scope: Construct, id: string, props: SiteMonitoringProps) {
    super(scope, id);
    const { namespaceName, policies } = addPlatformNamespace(this, 'Namespace', { name: props.namespace, labels: podSecurityLabels('restricted') });
    this.namespaceName = namespaceName;
    for (const target of [...new Set(props.scrapeJobs.map((job) => job.namespace))].sort()) {
      policies.allowTo(`AllowTo-${target}`, Peer.namespace(target), scrapedPorts(props, target), { name: `allow-to-${target}`, pods: MONITORING_PODS.server });
    }
    policies.allowTo('AllowToReceivers', Peer.addresses(props.receivers.addresses), props.receivers.ports, { name: 'allow-to-alert-receivers', pods: MONITORING_PODS.alertmanager });

    const image = (id: 'prometheus' | 'prometheusConfigReloader' | 'alertmanager'): ChartImage => ({ repository: `${props.source.imageRegistry}/${props.source.imagePath}/${IMAGES[id].name}`, tag: IMAGES[id].tag });
    const containerSecurity: RestrictedContainerSecurity = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
    const podSecurity: RestrictedPodSecurity = { runAsUser: NOBODY, runAsGroup: NOBODY, runAsNonRoot: true, fsGroup: NOBODY, seccompProfile: { type: 'RuntimeDefault' } };
    const scrapeConfigs: Record<string, ScrapeConfigValue> = Object.fromEntries(CHART_DISCOVERY_JOBS.map((job) => [job, { enabled: false }]));
    for (const job of props.scrapeJobs) scrapeConfigs[job.name] = scrapeConfig(job);
    if (props.clusterMetrics) {
      this.addClusterMetrics(props.clusterMetrics, props.site, namespaceName, policies, scrapeConfigs);
    }
    const blackbox = `${BLACKBOX_RELEASE}-exporter.${props.namespace}.svc:${BLACKBOX_PORT}`;
    for (const module of [...new Set(props.probes.map((probe) => probe.module))].sort()) {
      scrapeConfigs[`probe-${module}`] = probeConfig(module, props.probes, blackbox);
    }
    const values: PrometheusChartValues = {
      rbac: { create: false },
      serviceAccounts: { server: { create: true, name: PROMETHEUS_SERVICE_ACCOUNT } },
      configmapReload: { prometheus: { image: image('prometheusConfigReloader'), containerSecurityContext: containerSecurity, resources: resources('10m', '32Mi', '100m', '64Mi') } },
      server: {
        image: image('prometheus'),
        automountServiceAccountToken: props.clusterMetrics !== undefined,
        global: { scrape_interval: `${SCRAPE_INTERVAL_SECONDS}s`, evaluation_interval: `${EVALUATION_INTERVAL_SECONDS}s`, external_labels: { hsa_zone: props.zone, hsa_monitor_site: props.site } },
        retention: `${props.retentionDays}d`,
        persistentVolume: { enabled: true, size: `${props.storageGiB}Gi` },
        securityContext: podSecurity,
        containerSecurityContext: containerSecurity,
        resources: resources('500m', '2Gi', '2', '4Gi'),
        alertmanagers: [{ static_configs: [{ targets: [`${MONITORING_RELEASE}-alertmanager.${props.namespace}.svc:${ALERTMANAGER_PORT}`] }] }],
      },
      scrapeConfigs,
      serverFiles: { 'alerting_rules.yml': { groups: props.ruleGroups } },
      alertmanager: {
        image: image('alertmanager'),
        automountServiceAccountToken: false,
        config: { enabled: true, templates: [], ...props.alertmanager },
        ...(props.receiverSecrets.length > 0 ? { extraSecretMounts: props.receiverSecrets.map((secret) => ({ name: `receiver-${secret}`, mountPath: `${RECEIVER_SECRETS_DIR}/${secret}`, secretName: secret, readOnly: true as const })) } : {}),
        persistence: { size: '2Gi' },
        podSecurityContext: { fsGroup: NOBODY, seccompProfile: { type: 'RuntimeDefault' } },
        securityContext: { runAsUser: NOBODY, runAsGroup: NOBODY, runAsNonRoot: true, ...containerSecurity },
        resources: resources('50m', '64Mi', '500m', '256Mi'),
      },
      'kube-state-metrics': { enabled: false },
      'prometheus-node-exporter': { enabled: false },
      'prometheus-pushgateway': { enabled: false },
    };
    this.release = helmRelease(this, 'Prometheus', {
      name: MONITORING_RELEASE,
      namespace: namespaceName,
      repository: props.source.repository,
      chart: 'prometheus',
      version: props.chartVersion,
      values: [helmValues(values)],
      atomic: true,
      timeout: 600,
    });
    declareImages(
      this.release,
      (['prometheus', 'prometheusConfigReloader', 'alertmanager'] as const).map((id) => imageReference(props.source.imageRegistry, props.source.imagePath, id)),
    );
    this.addBlackbox(props, namespaceName, policies);
    // For the province's own Grafana: its dashboard sidecar loads every ConfigMap labelled so.
    const dashboards = new Construct(this, 'Dashboards');
    for (const dashboard of props.dashboards) {
      configMapV1(dashboards, dashboard.name, {
        metadata: { name: dashboard.name, namespace: namespaceName, labels: { grafana_dashboard: '1' }, annotations: { grafana_folder: 'HSA' } },
        data: { [`${dashboard.uid}.json`]: dashboard.json },
      });
    }
    annotateResource(this.release, {
      component: 'monitoring',
      zone: props.zone,
      site: props.site,
      targets: props.scrapeJobs.flatMap((job) => job.targets.map((target) => target.address)),
      alerted: alertedSubjects(props.ruleGroups),
    });
  }
}

/** A job of static addresses, of DNS names resolved to every address behind them, or both. */
function scrapeConfig(job: ScrapeJob): ScrapeConfigValue {
  const fixed = job.targets.filter((target) => !target.everyAddress);
  const resolved = job.targets.filter((target) => target.everyAddress);
  const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'));
  return {
    enabled: true,
    ...(fixed.length > 0 ? { static_configs: fixed.map((target) => ({ targets: [target.address], labels: target.labels })) } : {}),
    ...(resolved.length > 0
      ? {
          dns_sd_configs: [{ names: resolved.map((target) => hostOf(target.address)), type: 'A' as const, port: job.port }],
          relabel_configs: resolved.flatMap((target) =>
            Object.entries(target.labels).map(([label, value]) => ({ source_labels: ['__meta_dns_name'], regex: hostOf(target.address).replace(/\./g, '\\.'), target_label: label, replacement: value })),
          ),
        }
      : {}),
  };
}

/** A probe job: Prometheus asks the blackbox exporter to check each target with the module, keeping the target's labels. */
function probeConfig(module: ProbeModule, probes: readonly ProbeTarget[], blackbox: string): ScrapeConfigValue {
  return {
    enabled: true,
    metrics_path: '/probe',
    params: { module: [module] },
    static_configs: probes.filter((probe) => probe.module === module).map((probe) => ({ targets: [probe.address], labels: probe.labels })),
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: blackbox },
    ],
  };
}

/** The pairs (`hsa_pair`) and backups (`hsa_backup`) the rules alert on: compliance reads them from the output. */
function alertedSubjects(groups: readonly AlertRuleGroup[]): { pairs: string[]; backups: string[] } {
  const rules = groups.flatMap((group) => group.rules);
  const values = (label: string) => [...new Set(rules.flatMap((rule) => (rule.labels[label] ? [rule.labels[label]] : [])))].sort();
  return { pairs: values('hsa_pair'), backups: values('hsa_backup') };
}
