/**
 * What middleware one zone of one datacenter runs, and the role each DR pair (灾备组) plays there.
 *
 * Pure data, derived from the environment and the active site: the constructs deploy it, the runbook
 * and the drills read the same plan, so "what is deployed" and "what the switchover does" cannot drift.
 * Changing the active site flips every pair: the active site's instance is primary; the standby's
 * replicates from the active site's cross-datacenter address (`middlewareVips`), never from a
 * reference to the other stack.
 */
import { registeredPairKindModels } from './pair-kinds';
import type { Site, Zone } from './topology';
import { pairPlanContext, PORTS, type DEFAULT_SECRETS, type Endpoint, type MiddlewarePlanInput } from './middleware-model';

export type { MiddlewarePlanInput } from './middleware-model';
import { planRedis, type RedisPlan } from '../pairs/redis/redis-plan';
import { planKafka, type KafkaPlan } from '../pairs/kafka/kafka-plan';
import { planFastdfs, type FastdfsPlan } from '../pairs/fastdfs/fastdfs-plan';
import { planDatabase, type DatabasePlan } from '../pairs/database/database-plan';

/**
 * A middleware that is not DR-paired because its state lives elsewhere. The log service is a chart
 * release (bitnami/elasticsearch); Nacos and XXL-JOB keep their state in the external database and are
 * written as Kubernetes objects by the toolkit: no upstream chart exists at a version a mirror could
 * hold (XXL-JOB has none; nacos-group's only chart, 1.0.0, speaks MySQL only and pulls a Docker Hub image).
 */
export type SupportingServicePlan =
  | { readonly role: 'log'; readonly releaseName: string; readonly chart: 'elasticsearch'; readonly chartVersion: string; readonly address: Endpoint }
  | { readonly role: 'nacos' | 'xxl-job'; readonly name: string; readonly address: Endpoint };

export interface MiddlewarePlan {
  readonly zone: Zone;
  readonly site: Site;
  readonly activeSite: Site;
  readonly preventDestroy: boolean;
  readonly redis: readonly RedisPlan[];
  readonly kafka?: KafkaPlan;
  readonly fastdfs?: FastdfsPlan;
  readonly database?: DatabasePlan;
  readonly supporting: readonly SupportingServicePlan[];
  readonly secrets: { readonly [Name in keyof typeof DEFAULT_SECRETS]: string };
  /** The plans of the kinds the project registered (model/pair-kinds.ts), by kind name; a kind the zone does not run is absent. */
  readonly kinds: Readonly<Record<string, unknown>>;
}

/** The zone's middleware at one site: each kind's planner (pairs/<kind>/<kind>-plan.ts), then the services without a pair. */
export function planMiddleware(input: MiddlewarePlanInput): MiddlewarePlan {
  const { zone, site, activeSite, settings } = input;
  const context = pairPlanContext(input);
  const { uses, vip, versions, secrets } = context;
  const redis = planRedis(context);
  const kafka = planKafka(context);
  const fastdfs = planFastdfs(context);
  const database = planDatabase(context);
  const kinds: Record<string, unknown> = {};
  for (const kind of registeredPairKindModels()) {
    const kindSettings = settings?.kinds?.[kind.name];
    const plan = kindSettings === undefined ? undefined : kind.plan(context, kind.settings.parse(kindSettings));
    if (plan !== undefined) kinds[kind.name] = plan;
  }

  const supporting: SupportingServicePlan[] = [];
  if (uses('nacos')) supporting.push({ role: 'nacos', name: 'nacos', address: { host: vip('nacos', site), port: PORTS.nacos } });
  if (uses('xxl-job')) supporting.push({ role: 'xxl-job', name: 'xxl-job-admin', address: { host: vip('xxl-job', site), port: PORTS.xxlJob } });
  if (uses('log')) supporting.push({ role: 'log', releaseName: 'log', chart: 'elasticsearch', chartVersion: versions.log, address: { host: vip('log', site), port: PORTS.log } });

  return {
    zone,
    site,
    activeSite,
    preventDestroy: settings?.preventDestroy ?? true,
    redis,
    ...(kafka ? { kafka } : {}),
    ...(fastdfs ? { fastdfs } : {}),
    ...(database ? { database } : {}),
    supporting,
    secrets,
    kinds,
  };
}
