/**
 * The model's half of the DR pair kinds a project registers (pairs/registry.ts registerPairKind): each
 * kind's part of the environment (`middleware.kinds.<name>`, validated by the kind's own schema) and its
 * planner, run once per zone and site beside the built-in kinds'. The toolkit's built-in kinds are typed
 * parts of the environment schema instead (their fields are in environment.schema.json); both plan
 * through the same context (PairPlanContext).
 */
import type { z } from 'zod';
import type { AlertContext, AlertRule } from './alert-rules';
import type { PairPlanContext } from './middleware-model';
import type { ScrapeJob } from './monitoring-plan';
import type { Site, Zone } from './topology';

/**
 * How a kind's pairs are watched at a site: what the site's Prometheus scrapes of a pair (each target
 * labelled `hsa_pair: <name>@<zone>` and `hsa_site`, model/alert-rules.ts's contract) and its alerts there.
 * A kind without it fails compliance once a province deploys one of its pairs (OBS-EveryPairAlerted).
 */
export interface PairKindMonitoring<Plan> {
  scrapeJobs(plan: Plan, unit: { readonly zone: Zone; readonly site: Site }): readonly ScrapeJob[];
  alerts(plan: Plan, context: AlertContext): readonly AlertRule[];
}

export interface PairKindModel<Settings, Plan> {
  /** The kind's name: its key under `middleware.kinds`, in the unit's plan and in the switchover. */
  readonly name: string;
  /** What `middleware.kinds.<name>` may hold. */
  readonly settings: z.ZodType<Settings>;
  /** One site's half of the zone's pair, or undefined when the zone runs none. */
  plan(context: PairPlanContext, settings: Settings): Plan | undefined;
  /** How its pairs are watched. @default - not watched: a deployed pair fails compliance */
  readonly monitoring?: PairKindMonitoring<Plan>;
}

/** A registered kind's model part, its types closed over (the plan is kept under the kind's name). */
export interface RegisteredPairKindModel {
  readonly name: string;
  readonly settings: z.ZodType<unknown>;
  plan(context: PairPlanContext, settings: unknown): unknown;
  readonly monitoring?: PairKindMonitoring<unknown>;
}

const registered: RegisteredPairKindModel[] = [];

export function registerPairKindModel<Settings, Plan>(kind: PairKindModel<Settings, Plan>): void {
  if (registered.some((k) => k.name === kind.name)) throw new Error(`a DR pair kind named "${kind.name}" is registered already`);
  // The settings reach plan() only after kind.settings parsed them (middleware-schema.ts), so they are a Settings.
  // Its plans reach monitoring only from under its own name in a unit's plan, which plan() wrote: they are a Plan.
  const monitoring = kind.monitoring;
  registered.push({
    name: kind.name,
    settings: kind.settings,
    plan: (context, settings) => kind.plan(context, settings as Settings),
    ...(monitoring ? { monitoring: { scrapeJobs: (plan, unit) => monitoring.scrapeJobs(plan as Plan, unit), alerts: (plan, context) => monitoring.alerts(plan as Plan, context) } } : {}),
  });
}

export function unregisterPairKindModel(name: string): void {
  const index = registered.findIndex((k) => k.name === name);
  if (index >= 0) registered.splice(index, 1);
}

export function registeredPairKindModels(): readonly RegisteredPairKindModel[] {
  return registered;
}
