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
      expr: `sum by (node) (rate(container_cpu_usage_seconds_total{${cadvisor}, id="/"}[5m])) / max by (node) (machine_cpu_cores{${cadvisor}}) > ${thresholds.cpuRatio}`,
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
      expr: `max by (node) (container_memory_working_set_bytes{${cadvisor}, id="/"}) / max by (node) (machine_memory_bytes{${cadvisor}}) > ${thresholds.memoryRatio}`,
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
      expr: `max by (node, device) (container_fs_usage_bytes{${cadvisor}, id="/"} / container_fs_limit_bytes{${cadvisor}, id="/"}) > ${thresholds.diskRatio}`,
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
      expr: `max by (${byContainer}) (container_memory_working_set_bytes{${container}}) / (max by (${byContainer}) (container_spec_memory_limit_bytes{${container}}) > 0) > ${thresholds.memoryRatio}`,
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
      expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes{job="${KUBELET_JOB}"} / kubelet_volume_stats_capacity_bytes{job="${KUBELET_JOB}"}) > ${thresholds.volumeRatio}`,
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
