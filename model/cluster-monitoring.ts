/**
 * The cluster's own metrics at each site (#27's compute resources): the site's Prometheus reads every
 * node's kubelet, found through the API server (its nodes), for the nodes' and every container's CPU,
 * memory and disk (cAdvisor, `/metrics/cadvisor`) and every volume's use (`/metrics`), and alerts on them
 * against the environment's thresholds. Least privilege: a ClusterRole of its own with nodes (get, list,
 * watch) and nodes/metrics (get), no pods or secrets; the kubelet authorizes `/metrics/*` by nodes/metrics.
 */
import type { AlertRule, AlertRuleGroup } from './alert-rules';
import type { AlertThresholds, ObservabilitySettings } from './observability-schema';
import { OBSERVABILITY_DEFAULTS, readsClusterMetrics } from './observability-schema';
import type { Site, Zone } from './topology';
import { PLATFORM_NAMESPACES } from './topology';

/** The kubelet's authenticated port. */
export const KUBELET_PORT = 10250;
/** The ServiceAccount the chart gives the Prometheus server (release `prometheus`), named so the binding can name it. */
export const PROMETHEUS_SERVICE_ACCOUNT = 'prometheus-server';
export const KUBELET_JOB = 'kubelet';
export const CADVISOR_JOB = 'kubelet-cadvisor';

/**
 * The series kept of each kubelet endpoint (the rest is dropped at scrape: cAdvisor alone writes
 * hundreds of series per container): what the alerts and the resources dashboard read.
 */
export const KEPT_SERIES: Readonly<Record<typeof KUBELET_JOB | typeof CADVISOR_JOB, readonly string[]>> = {
  [KUBELET_JOB]: ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes'],
  [CADVISOR_JOB]: [
    'container_cpu_usage_seconds_total',
    'container_memory_working_set_bytes',
    'container_spec_memory_limit_bytes',
    'container_spec_cpu_quota',
    'container_spec_cpu_period',
    'container_fs_usage_bytes',
    'container_fs_limit_bytes',
    'machine_cpu_cores',
    'machine_memory_bytes',
  ],
};

/**
 * The ratios the alerts compare with their thresholds and the resources dashboard draws, written once.
 * `selector` is the label matchers of the job's series (`job="kubelet-cadvisor"`, and the site where
 * the dashboard asks); `window` the rate's range.
 */
export const CLUSTER_RATIOS = {
  /** Busy share of each node's cores. */
  nodeCpu: (selector: string, window: string) => `sum by (node) (rate(container_cpu_usage_seconds_total{${selector}, id="/"}[${window}])) / max by (node) (machine_cpu_cores{${selector}})`,
  /** Each node's working set against its memory. */
  nodeMemory: (selector: string) => `max by (node) (container_memory_working_set_bytes{${selector}, id="/"}) / max by (node) (machine_memory_bytes{${selector}})`,
  /** Each node's filesystems, by device. */
  nodeDisk: (selector: string) => `max by (node, device) (container_fs_usage_bytes{${selector}, id="/"} / container_fs_limit_bytes{${selector}, id="/"})`,
  /** Each container's working set against its memory limit; containers without a limit have none. */
  containerMemory: (selector: string) =>
    `max by (namespace, pod, container) (container_memory_working_set_bytes{${selector}, container!=""}) / (max by (namespace, pod, container) (container_spec_memory_limit_bytes{${selector}, container!=""}) > 0)`,
  /** Every volume a kubelet reports, by namespace and claim (`selector` of the kubelet job). */
  volume: (selector: string) => `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${selector}} / kubelet_volume_stats_capacity_bytes{${selector}})`,
};

/** What SiteMonitoring needs to read the kubelets of its cluster. */
export interface ClusterMetricsSettings {
  /** The ClusterRole (and its binding) granting nodes and nodes/metrics to Prometheus's ServiceAccount: one per zone, should two zones share a cluster. */
  readonly clusterRole: string;
  readonly serviceAccount: string;
  /** The API server as pods reach it: the node discovery asks it. */
  readonly apiServer: { readonly host: string; readonly port: number };
  /** The nodes' networks: the kubelets are reached there on KUBELET_PORT only. */
  readonly nodeNetworks: readonly string[];
  /** `cluster-ca`: verify each kubelet's serving certificate against the cluster's CA; `skip-verify`: do not (kubeadm's self-signed ones). */
  readonly kubeletTls: 'cluster-ca' | 'skip-verify';
}

export function planClusterMetrics(
  settings: ObservabilitySettings | undefined,
  unit: { readonly zone: Zone; readonly apiServer: { readonly host: string; readonly port: number }; readonly nodeNetworks?: readonly string[] },
): ClusterMetricsSettings | undefined {
  // The environment schema has made sure every zone names its nodes' networks when the metrics are read.
  if (!readsClusterMetrics(settings) || !unit.nodeNetworks) return undefined;
  return {
    clusterRole: `hsa-monitoring-${unit.zone}-kubelet-reader`,
    serviceAccount: PROMETHEUS_SERVICE_ACCOUNT,
    apiServer: unit.apiServer,
    nodeNetworks: unit.nodeNetworks,
    kubeletTls: settings?.clusterMetrics?.kubeletTls ?? OBSERVABILITY_DEFAULTS.kubeletTls,
  };
}

const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;

/** The nodes' and containers' CPU, memory and disk, every volume, and the kubelets themselves, at one site. */
export function clusterAlerts(unit: { readonly zone: Zone; readonly site: Site }, thresholds: AlertThresholds): AlertRuleGroup[] {
  const where = `the ${unit.zone} cluster of site ${unit.site}`;
  const cadvisor = `job="${CADVISOR_JOB}"`;
  const container = `${cadvisor}, container!=""`;
  const byContainer = 'namespace, pod, container';
  const labels = (severity: AlertRule['labels']['severity']) => ({ severity, team: 'platform' as const, hsa_site: unit.site });
  const rules: AlertRule[] = [
    {
      alert: 'HsaKubeletUnreachable',
      expr: `up{job="${KUBELET_JOB}"} == 0`,
      for: '10m',
      labels: labels('warning'),
      annotations: {
        summary: `Prometheus cannot read the kubelet of node {{ $labels.node }} in ${where}`,
        description: `Its CPU, memory, disk and volumes are not watched while this lasts: the node is down, or port ${KUBELET_PORT} is closed to ${PLATFORM_NAMESPACES.monitoring}, or the kubelet refuses the ServiceAccount.`,
        runbook: `kubectl get node {{ $labels.node }}; kubectl -n ${PLATFORM_NAMESPACES.monitoring} logs deploy/prometheus-server -c prometheus-server | grep ${KUBELET_JOB}; the nodes' networks in the environment (nodeNetworks).`,
      },
    },
    {
      alert: 'HsaClusterMetricsMissing',
      expr: `absent(up{job="${KUBELET_JOB}"})`,
      for: '15m',
      labels: labels('warning'),
      annotations: {
        summary: `Prometheus finds no node in ${where}`,
        description: 'The node discovery returns nothing: the ClusterRole binding is missing, or the API server is closed to the monitoring namespace.',
        runbook: `kubectl auth can-i list nodes --as=system:serviceaccount:${PLATFORM_NAMESPACES.monitoring}:${PROMETHEUS_SERVICE_ACCOUNT}; kubectl -n ${PLATFORM_NAMESPACES.monitoring} get networkpolicy allow-to-api-server.`,
      },
    },
    {
      alert: 'HsaNodeCpuHigh',
      expr: `${CLUSTER_RATIOS.nodeCpu(cadvisor, '5m')} > ${thresholds.cpuRatio}`,
      for: '15m',
      labels: labels('warning'),
      annotations: {
        summary: `Node {{ $labels.node }} of ${where} has used more than ${percent(thresholds.cpuRatio)} of its CPU for 15 minutes`,
        description: 'Busy share {{ $value }} of its cores (observability.thresholds.cpuRatio).',
        runbook: `kubectl top pods -A --sort-by=cpu | head; kubectl describe node {{ $labels.node }} (requests and limits); add nodes or move replicas.`,
      },
    },
    {
      alert: 'HsaNodeMemoryHigh',
      expr: `${CLUSTER_RATIOS.nodeMemory(cadvisor)} > ${thresholds.memoryRatio}`,
      for: '15m',
      labels: labels('warning'),
      annotations: {
        summary: `Node {{ $labels.node }} of ${where} has used more than ${percent(thresholds.memoryRatio)} of its memory`,
        description: 'Working set {{ $value }} of its memory (observability.thresholds.memoryRatio): the kubelet starts evicting pods near the end.',
        runbook: `kubectl top pods -A --sort-by=memory | head; kubectl describe node {{ $labels.node }}; add nodes or lower the largest pods' limits.`,
      },
    },
    {
      alert: 'HsaNodeDiskHigh',
      expr: `${CLUSTER_RATIOS.nodeDisk(cadvisor)} > ${thresholds.diskRatio}`,
      for: '15m',
      labels: labels('warning'),
      annotations: {
        summary: `The disk {{ $labels.device }} of node {{ $labels.node }} in ${where} is more than ${percent(thresholds.diskRatio)} full`,
        description: 'Used {{ $value }} (observability.thresholds.diskRatio): images, container logs and empty dirs; the kubelet evicts pods when it crosses its own limit.',
        runbook: `On the node: crictl rmi --prune; du -sh /var/log/pods /var/lib/containerd; kubectl describe node {{ $labels.node }} (DiskPressure).`,
      },
    },
    {
      alert: 'HsaContainerCpuHigh',
      expr: `sum by (${byContainer}) (rate(container_cpu_usage_seconds_total{${container}}[5m])) / (max by (${byContainer}) (container_spec_cpu_quota{${container}}) > 0) * max by (${byContainer}) (container_spec_cpu_period{${container}}) > ${thresholds.cpuRatio}`,
      for: '15m',
      labels: labels('warning'),
      annotations: {
        summary: `{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) in ${where} has used more than ${percent(thresholds.cpuRatio)} of its CPU limit for 15 minutes`,
        description: 'Share {{ $value }} of its limit (observability.thresholds.cpuRatio): near 1 it is throttled and slows.',
        runbook: `kubectl -n {{ $labels.namespace }} top pod {{ $labels.pod }} --containers; raise the application's resources.cpuMilli or replicas in the environment.`,
      },
    },
    {
      alert: 'HsaContainerMemoryHigh',
      expr: `${CLUSTER_RATIOS.containerMemory(cadvisor)} > ${thresholds.memoryRatio}`,
      for: '10m',
      labels: labels('warning'),
      annotations: {
        summary: `{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) in ${where} uses more than ${percent(thresholds.memoryRatio)} of its memory limit`,
        description: 'Working set {{ $value }} of its limit (observability.thresholds.memoryRatio): at the limit it is killed (OOMKilled).',
        runbook: `kubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }} (Last State: OOMKilled?); raise the application's resources.memoryMiB in the environment.`,
      },
    },
    {
      alert: 'HsaVolumeHigh',
      expr: `${CLUSTER_RATIOS.volume(`job="${KUBELET_JOB}"`)} > ${thresholds.volumeRatio}`,
      for: '10m',
      labels: labels('warning'),
      annotations: {
        summary: `Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} in ${where} is more than ${percent(thresholds.volumeRatio)} full`,
        description: 'Used {{ $value }} (observability.thresholds.volumeRatio).',
        runbook: `kubectl -n {{ $labels.namespace }} get pvc {{ $labels.persistentvolumeclaim }}; expand it (allowVolumeExpansion) or raise the size in the environment; for a DR pair's volume, its own alert names the pair.`,
      },
    },
  ];
  return [{ name: `hsa-cluster-${unit.zone}-${unit.site.toLowerCase()}`, rules }];
}
