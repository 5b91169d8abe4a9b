/**
 * The model's half of the DR pair kinds a project registers (pairs/registry.ts registerPairKind): each
 * kind's part of the environment (`middleware.kinds.<name>`, validated by the kind's own schema) and its
 * planner, run once per zone and site beside the built-in kinds'. The toolkit's built-in kinds are typed
 * parts of the environment schema instead (their fields are in environment.schema.json); both plan
 * through the same context (PairPlanContext).
 */
import type { z } from 'zod';
import type { PairPlanContext } from './middleware-model';

export interface PairKindModel<Settings, Plan> {
  /** The kind's name: its key under `middleware.kinds`, in the unit's plan and in the switchover. */
  readonly name: string;
  /** What `middleware.kinds.<name>` may hold. */
  readonly settings: z.ZodType<Settings>;
  /** One site's half of the zone's pair, or undefined when the zone runs none. */
  plan(context: PairPlanContext, settings: Settings): Plan | undefined;
}

/** A registered kind's model part, its types closed over (the plan is kept under the kind's name). */
export interface RegisteredPairKindModel {
  readonly name: string;
  readonly settings: z.ZodType<unknown>;
  plan(context: PairPlanContext, settings: unknown): unknown;
}

const registered: RegisteredPairKindModel[] = [];

export function registerPairKindModel<Settings, Plan>(kind: PairKindModel<Settings, Plan>): void {
  if (registered.some((k) => k.name === kind.name)) throw new Error(`a DR pair kind named "${kind.name}" is registered already`);
  // The settings reach plan() only after kind.settings parsed them (middleware-schema.ts), so they are a Settings.
  registered.push({ name: kind.name, settings: kind.settings, plan: (context, settings) => kind.plan(context, settings as Settings) });
}

export function unregisterPairKindModel(name: string): void {
  const index = registered.findIndex((k) => k.name === name);
  if (index >= 0) registered.splice(index, 1);
}

export function registeredPairKindModels(): readonly RegisteredPairKindModel[] {
  return registered;
}
