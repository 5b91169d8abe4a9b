/**
 * What each unit's Prometheus watches and the alert rules it evaluates: each kind's
 * (pairs/<kind>/<kind>-monitoring.ts) and the backups'. A pair without alerts (a kind registered without
 * monitoring) is named by the OBS-EveryPairAlerted compliance rule, not hidden.
 */
import { backupAlerts, alertContext, renderRuleFile, type AlertRuleGroup } from './alert-rules';
import { toolkitMonitors, VELERO_METRICS_PORT, type ProbeTarget, type ScrapeJob } from './monitoring-plan';
import type { DeploymentUnit, ProvinceModel } from './platform-model';
import { registeredPairKindModels, type RegisteredPairKindModel } from './pair-kinds';
import { PLATFORM_NAMESPACES } from './topology';
import { OBSERVABILITY_DEFAULTS, readsClusterMetrics, type AlertThresholds, type ObservabilitySettings } from './observability-schema';
import { clusterAlerts } from './cluster-monitoring';
import { businessAlerts, businessScrapeJobs } from '../business/business-monitoring';
import { gatewayAlerts, gatewayScrapeJobs, trafficAlerts, trafficProbes } from './traffic-monitoring';
import { databaseAlerts, databaseProbes, databaseScrapeJobs } from '../pairs/database/database-monitoring';
import { fastdfsAlerts, fastdfsProbes } from '../pairs/fastdfs/fastdfs-monitoring';
import { kafkaAlerts, kafkaScrapeJobs } from '../pairs/kafka/kafka-monitoring';
import { redisAlerts, redisScrapeJobs } from '../pairs/redis/redis-monitoring';

/** What of a unit its monitoring is planned from. */
export type MonitoredUnit = Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan' | 'backupPlan' | 'dnsVip' | 'ingressVip' | 'business'> & { readonly traffic: Pick<DeploymentUnit['traffic'], 'zoneName' | 'gateway'> };

/** Every alert rule group one unit's Prometheus evaluates. */
export function unitAlertRules(province: Pick<ProvinceModel, 'envName' | 'activeSite' | 'observability'>, unit: MonitoredUnit): AlertRuleGroup[] {
  const context = alertContext(province, unit);
  const backups = backupAlerts(context);
  return [
    ...redisAlerts(context),
    ...kafkaAlerts(context),
    ...fastdfsAlerts(context),
    ...databaseAlerts(context),
    ...(backups.length > 0 ? [{ name: `hsa-backup-${unit.zone}-${unit.site.toLowerCase()}`, rules: backups }] : []),
    ...trafficAlerts({ ...context, unit }),
    ...(unit.traffic.gateway ? gatewayAlerts(unit, context.thresholds) : []),
    ...businessAlerts(unit),
    ...(toolkitMonitors(province.observability) ? monitoringAlerts(unit, province.observability, context.thresholds) : []),
    ...(readsClusterMetrics(province.observability) ? clusterAlerts(unit, context.thresholds) : []),
    ...registeredKindsAt(unit).flatMap(({ name, plan, monitoring }) => {
      const rules = monitoring?.alerts(plan, context) ?? [];
      return rules.length > 0 ? [{ name: `hsa-${name}-${unit.zone}-${unit.site.toLowerCase()}`, rules }] : [];
    }),
  ];
}

/** The monitoring's own: Prometheus's volume filling (its samples stop being written when it is full). */
function monitoringAlerts(unit: Pick<DeploymentUnit, 'zone' | 'site'>, settings: ObservabilitySettings, thresholds: AlertThresholds): AlertRuleGroup[] {
  const storageGiB = settings.storageGiB ?? OBSERVABILITY_DEFAULTS.storageGiB;
  return [
    {
      name: `hsa-monitoring-${unit.zone}-${unit.site.toLowerCase()}`,
      rules: [
        {
          alert: 'HsaMonitoringVolumeHigh',
          expr: `max(prometheus_tsdb_storage_blocks_bytes{job="prometheus"} + prometheus_tsdb_wal_storage_size_bytes{job="prometheus"}) / ${storageGiB * 1024 ** 3} > ${thresholds.volumeRatio}`,
          for: '30m',
          labels: { severity: 'warning', team: 'platform', hsa_site: unit.site },
          annotations: {
            summary: `Prometheus of the ${unit.zone} zone at site ${unit.site} has used more than ${Math.round(thresholds.volumeRatio * 100)} % of its volume`,
            description: `Its blocks and WAL take {{ $value }} of ${storageGiB} GiB; retention is ${settings.retentionDays ?? OBSERVABILITY_DEFAULTS.retentionDays} days.`,
            runbook: `Raise observability.storageGiB or lower retentionDays in the environment; kubectl -n ${PLATFORM_NAMESPACES.monitoring} get pvc.`,
          },
        },
      ],
    },
  ];
}

/** The kinds a project registered (pairs/registry.ts) that run a pair in this unit, with its plan. */
export function registeredKindsAt(unit: Pick<DeploymentUnit, 'middlewarePlan'>): { name: string; plan: unknown; monitoring: RegisteredPairKindModel['monitoring'] }[] {
  return registeredPairKindModels().flatMap((kind) => (unit.middlewarePlan.kinds[kind.name] === undefined ? [] : [{ name: kind.name, plan: unit.middlewarePlan.kinds[kind.name], monitoring: kind.monitoring }]));
}

/** Every address the blackbox exporter beside the unit's Prometheus checks. */
export function unitProbes(unit: MonitoredUnit): ProbeTarget[] {
  return [...fastdfsProbes(unit), ...databaseProbes(unit), ...trafficProbes(unit)];
}

/** Every exporter the unit deploys, as Prometheus scrapes it (labels per model/alert-rules.ts's contract). */
export function unitScrapeJobs(unit: MonitoredUnit): ScrapeJob[] {
  const backup = PLATFORM_NAMESPACES.backup;
  return [
    ...redisScrapeJobs(unit),
    ...kafkaScrapeJobs(unit),
    ...databaseScrapeJobs(unit),
    ...gatewayScrapeJobs(unit),
    ...businessScrapeJobs(unit),
    ...registeredKindsAt(unit).flatMap(({ plan, monitoring }) => monitoring?.scrapeJobs(plan, unit) ?? []),
    ...(unit.backupPlan ? [{ name: 'velero', namespace: backup, port: VELERO_METRICS_PORT, targets: [{ address: `velero.${backup}.svc:${VELERO_METRICS_PORT}`, labels: { hsa_site: unit.site } }] }] : []),
  ];
}

/** The rule file of each unit, by stack name. */
export function provinceRuleFiles(province: ProvinceModel): Map<string, string> {
  return new Map(province.units.map((unit) => [unit.stackName, renderRuleFile(unitAlertRules(province, unit))]));
}
