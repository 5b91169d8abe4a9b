/**
 * How the FastDFS pairs are watched at one site. FastDFS has no metrics of its own, so the blackbox
 * exporter beside Prometheus (model/monitoring-plan.ts) connects from the site cluster to this site's
 * tracker and storage server (the member is up) and to the other site's (the path the storage servers
 * sync files over, across the datacenter link).
 *
 * Alerts: the member down; the other site's storage server unreachable (no file syncs either way: at the
 * standby, the active site's new files stop arriving); nothing probing the pair.
 */
import type { AlertContext, AlertRule, AlertRuleGroup } from '../../model/alert-rules';
import { PORTS } from '../../model/middleware-model';
import type { ProbeTarget } from '../../model/monitoring-plan';
import type { DeploymentUnit } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';

export function fastdfsProbes(unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan'>): ProbeTarget[] {
  const plan = unit.middlewarePlan.fastdfs;
  if (!plan) return [];
  const pair = `fastdfs@${unit.zone}`;
  return plan.storageServers.flatMap((server) => [
    { module: 'tcp_connect' as const, address: `${server.host}:${PORTS.fastdfsTracker}`, labels: { hsa_pair: pair, hsa_site: unit.site, hsa_target_site: server.site, hsa_port: 'tracker' } },
    { module: 'tcp_connect' as const, address: `${server.host}:${PORTS.fastdfsStorage}`, labels: { hsa_pair: pair, hsa_site: unit.site, hsa_target_site: server.site, hsa_port: 'storage' } },
  ]);
}

export function fastdfsAlerts(context: AlertContext): AlertRuleGroup[] {
  const { unit } = context;
  const plan = unit.middlewarePlan.fastdfs;
  if (!plan) return [];
  const pair = `fastdfs@${unit.zone}`;
  const here = unit.site;
  const there = here === 'A' ? 'B' : 'A';
  const labels = { team: 'middleware' as const, hsa_pair: pair, hsa_site: here };
  const probe = (target: string) => `job="probe-tcp_connect", hsa_pair="${pair}", hsa_site="${here}", hsa_target_site="${target}"`;
  const pods = `kubectl -n ${PLATFORM_NAMESPACES.middleware} get pods -l app.kubernetes.io/name=${plan.name}`;
  const rules: AlertRule[] = [
    {
      alert: 'HsaFastdfsDown',
      expr: `max by (hsa_port) (probe_success{${probe(here)}}) == 0`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `The FastDFS {{ $labels.hsa_port }} of ${pair} at site ${here} does not accept connections`,
        description: `Site ${here}'s FastDFS {{ $labels.hsa_port }} at ${plan.address.host} refuses or drops connections from its own cluster.`,
        runbook: `${pods}; fdfs_monitor /etc/fdfs/client.conf in the tracker pod lists the storage servers and their states.${plan.mode === 'primary' ? ` If site ${here} is lost as a whole, fail over: ${context.switchoverCommand(there, { siteLost: here })}.` : ''}`,
      },
    },
    {
      alert: 'HsaFastdfsUnwatched',
      expr: `absent(probe_success{${probe(here)}})`,
      for: '5m',
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `Nothing probes ${pair} at site ${here}`,
        description: `The blackbox exporter's probes of ${pair} at site ${here} are missing: none of its other alerts can fire.`,
        runbook: `kubectl -n ${PLATFORM_NAMESPACES.monitoring} get pods; Prometheus's targets page, job probe-tcp_connect.`,
      },
    },
  ];
  if (plan.storageServers.some((server) => server.site === there)) {
    rules.push({
      alert: 'HsaFastdfsPeerUnreachable',
      expr: `max by (hsa_port) (probe_success{${probe(there)}}) == 0`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `Site ${there}'s FastDFS {{ $labels.hsa_port }} of ${pair} is unreachable from site ${here}`,
        description:
          plan.mode === 'standby'
            ? `Site ${here} cannot reach site ${there}'s FastDFS {{ $labels.hsa_port }}: the files site ${there} takes no longer arrive here.`
            : `Site ${here} cannot reach site ${there}'s FastDFS {{ $labels.hsa_port }}: the files taken here reach one datacenter only.`,
        runbook: `Check the datacenter link and site ${there}'s FastDFS; fdfs_monitor lists each storage server's sync state.${plan.mode === 'standby' ? ` If site ${there} is lost, fail over: ${context.switchoverCommand(here, { siteLost: there, pairs: 'fastdfs' })}.` : ''}`,
      },
    });
  }
  return [{ name: `hsa-fastdfs-${unit.zone}-${here.toLowerCase()}`, rules }];
}
