/**
 * How the Redis pairs are watched at one site: what Prometheus scrapes (each member's exporter sidecar)
 * and the alerts (model/alert-rules.ts has the label contract). Metric names are redis_exporter's
 * (`redis_master_link_up`, `redis_master_last_io_seconds_ago`, `redis_instance_info`,
 * `redis_connected_slave_lag_seconds`, `redis_up`), checked against a real one in the observability drill.
 */
import type { AlertContext, AlertRule, AlertRuleGroup } from '../../model/alert-rules';
import type { DeploymentUnit } from '../../model/platform-model';
import type { ScrapeJob } from '../../model/monitoring-plan';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import { REDIS_REPLICATION_TIMEOUT_SECONDS, type RedisPlan } from './redis-plan';

/** The port of bitnami/redis's metrics sidecar (redis_exporter) in each pod. */
export const REDIS_EXPORTER_PORT = 9121;

/**
 * Each pair's DR member is its primary pod (`<release>-master-0`, the one the other site replicates
 * from or replicates to); its exporter is scraped at the pod's own name under the headless Service, not
 * through a Service that would pick any pod of the release.
 */
export function redisScrapeJobs(unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan'>): ScrapeJob[] {
  const plans = unit.middlewarePlan.redis;
  if (plans.length === 0) return [];
  const namespace = PLATFORM_NAMESPACES.middleware;
  return [
    {
      name: 'redis',
      namespace,
      port: REDIS_EXPORTER_PORT,
      targets: plans.map((plan) => {
        // bitnami's fullname is the release name when that already contains the chart's name.
        const fullname = plan.releaseName.includes('redis') ? plan.releaseName : `${plan.releaseName}-redis`;
        return { address: `${fullname}-master-0.${fullname}-headless.${namespace}.svc:${REDIS_EXPORTER_PORT}`, labels: { hsa_pair: `${plan.role}@${unit.zone}`, hsa_site: unit.site } };
      }),
    },
  ];
}

/** How far behind (seconds) the other site may be before the lag alert: the pair's RPO bound, else the link's timeout. */
export function redisLagAlertSeconds(plan: Pick<RedisPlan, 'lagBound'>): number {
  return plan.lagBound?.maxLagSeconds ?? REDIS_REPLICATION_TIMEOUT_SECONDS;
}

export function redisAlerts(context: AlertContext): AlertRuleGroup[] {
  const { unit, province } = context;
  const paired = unit.middlewarePlan.redis.filter((plan) => plan.peerAddress);
  if (paired.length === 0) return [];
  return [{ name: `hsa-redis-${unit.zone}-${unit.site.toLowerCase()}`, rules: paired.flatMap(pairAlerts) }];

  function pairAlerts(plan: RedisPlan): AlertRule[] {
    const pair = `${plan.role}@${unit.zone}`;
    const here = unit.site;
    const there = here === 'A' ? 'B' : 'A';
    const selector = `hsa_pair="${pair}", hsa_site="${here}"`;
    const labels = { team: 'middleware' as const, hsa_pair: pair, hsa_site: here };
    const bound = redisLagAlertSeconds(plan);
    const common: AlertRule[] = [
      {
        alert: 'HsaRedisDown',
        expr: `redis_up{${selector}} == 0 or up{${selector}} == 0`,
        for: '1m',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `${pair} at site ${here} does not answer its exporter`,
          description: `The ${plan.mode} of ${pair} at site ${here} (${plan.address.host}) is down or its exporter is.`,
          runbook: `kubectl -n hsa-middleware get pods -l app.kubernetes.io/instance=${plan.releaseName}; its logs say why.${plan.mode === 'primary' ? ` If site ${here} is lost as a whole, fail over: ${context.switchoverCommand(there, { siteLost: here })}.` : ''}`,
        },
      },
      {
        alert: 'HsaRedisMemoryHigh',
        expr: `max(redis_memory_used_bytes{${selector}}) / max(redis_memory_max_bytes{${selector}}) > ${context.thresholds.memoryRatio}`,
        for: '10m',
        labels: { severity: 'warning', ...labels },
        annotations: {
          summary: `${pair} at site ${here} uses more than ${Math.round(context.thresholds.memoryRatio * 100)} % of its memory`,
          description: `{{ $value }} of maxmemory (${plan.memoryMiB} MiB) is in use at site ${here}: at 100 % it evicts keys (${plan.evictionPolicy}) or refuses writes.`,
          runbook: `INFO memory at site ${here}; the largest keys (redis-cli --bigkeys); raise the pair's memoryMiB in the environment (both sites alike) and redeploy.`,
        },
      },
      {
        alert: 'HsaRedisUnwatched',
        expr: `absent(up{${selector}})`,
        for: '5m',
        labels: { severity: 'warning', ...labels },
        annotations: {
          summary: `Nothing scrapes ${pair} at site ${here}`,
          description: `No exporter of ${pair} at site ${here} is scraped: none of its other alerts can fire.`,
          runbook: `Check the exporter beside the server (the release's metrics sidecar) and Prometheus's targets page for hsa_pair="${pair}".`,
        },
      },
    ];
    if (plan.mode === 'standby') {
      return [
        ...common,
        {
          alert: 'HsaRedisReplicationLinkDown',
          expr: `redis_master_link_up{${selector}} == 0`,
          for: '30s',
          labels: { severity: 'critical', ...labels },
          annotations: {
            summary: `${pair} at site ${here} has lost its replication link to site ${there}`,
            description: `The standby of ${pair} at site ${here} is not receiving site ${there}'s writes: what site ${there} takes now is not at site ${here}.`,
            runbook: `Check the datacenter link and site ${there}'s primary (${plan.replicationSource?.host ?? plan.peerAddress?.host}). If site ${there} is lost, fail over: ${context.switchoverCommand(here, { siteLost: there, pairs: 'redis' })}.`,
          },
        },
        {
          alert: 'HsaRedisStandbyBehind',
          expr: `redis_master_last_io_seconds_ago{${selector}} > ${bound}`,
          for: '30s',
          labels: { severity: 'warning', ...labels },
          annotations: {
            summary: `${pair} at site ${here} has heard nothing from site ${there} for more than ${bound} s`,
            description: `The standby's last contact with its primary is {{ $value }} s old, beyond the pair's bound of ${bound} s${plan.lagBound ? ' (its RPO bound, maxLagSeconds)' : ' (the link timeout; the pair has no RPO bound)'}: writes of that long may be missing here after a site loss.`,
            runbook: `Check the link's latency and loss between the sites; INFO replication at site ${here} (master_link_status, master_last_io_seconds_ago).`,
          },
        },
        {
          alert: 'HsaRedisSplitBrain',
          expr: `max(redis_instance_info{${selector}, role="master"}) == 1`,
          for: '15s',
          labels: { severity: 'critical', ...labels },
          annotations: {
            summary: `${pair} at site ${here} is a primary while site ${province.activeSite} is the active site`,
            description: `The environment makes site ${there} active for ${pair}, yet its member at site ${here} takes writes: both sites may be primaries, and writes at site ${there} are lost to site ${here}.`,
            runbook: `If a switchover promoted it, finish that switchover (run it again with the same --journal): it fences site ${there}, saves what only site ${there} holds and re-points it. Otherwise fence site ${here} at once and find who promoted it. Planned: ${context.switchoverCommand(here, { pairs: 'redis' })}.`,
          },
        },
      ];
    }
    return [
      ...common,
      {
        // Counted, not matched by address: the other site's server connects from its pod's or its egress
        // address, never from its VIP (the drill found it).
        alert: 'HsaRedisReplicaMissing',
        expr: `redis_connected_slaves{${selector}} < ${plan.replicas + 1}`,
        for: '30s',
        labels: { severity: 'critical', ...labels },
        annotations: {
          summary: `${pair} at site ${here} has lost a replica`,
          description: `The active primary of ${pair} has {{ $value }} replicas connected; the pair has ${plan.replicas + 1} (${plan.replicas} at site ${here} and site ${there}'s server). If site ${there}'s is the one missing, its writes are in one datacenter only.${plan.lagBound ? ` With the RPO bound it refuses writes (NOREPLICAS) until every replica is back.` : ''}`,
          runbook: `INFO replication at site ${here} lists the replicas connected; check the datacenter link and ${pair} at site ${there}, and the local replica pods (kubectl -n hsa-middleware get pods -l app.kubernetes.io/instance=${plan.releaseName}).`,
        },
      },
      {
        alert: 'HsaRedisReplicaBehind',
        expr: `max(redis_connected_slave_lag_seconds{${selector}}) > ${bound}`,
        for: '30s',
        labels: { severity: 'warning', ...labels },
        annotations: {
          summary: `A replica of ${pair} at site ${here} is more than ${bound} s behind`,
          description: `The slowest replica (site ${there}'s is the one across the link) acknowledged the primary's stream {{ $value }} s ago, beyond the pair's bound of ${bound} s.`,
          runbook: `INFO replication at site ${here} names the replica (its address and lag); check the link's bandwidth and site ${there}'s server (INFO replication, slowlog).`,
        },
      },
    ];
  }
}
