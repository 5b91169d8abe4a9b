/**
 * The construct half of the kinds a project registered (registerPairKind): kept apart from the
 * switchover drivers so that synthesis loads no server client.
 */
import type { MiddlewarePlan } from '../model/middleware-plan';
import type { ProjectPairKind, RegisteredPairRender } from './kind';

interface RegisteredRender {
  readonly name: string;
  renders(plan: MiddlewarePlan): RegisteredPairRender[];
}

const registered: RegisteredRender[] = [];

export function registerPairKindRender<Settings, Plan>(kind: ProjectPairKind<Settings, Plan>): void {
  registered.push({
    name: kind.name,
    renders: (middlewarePlan) => {
      // Only this kind's planner writes under its name (model/middleware-plan.ts).
      const plan = middlewarePlan.kinds[kind.name] as Plan | undefined;
      return plan === undefined ? [] : [{ id: kind.name, render: (scope, placement) => kind.render(scope, kind.name, plan, placement), replicationPorts: kind.replicationPorts?.(plan) ?? [], peerAddresses: kind.peerAddresses?.(plan) ?? [] }];
    },
  });
}

export function unregisterPairKindRender(name: string): void {
  const index = registered.findIndex((k) => k.name === name);
  if (index >= 0) registered.splice(index, 1);
}

/** What the registered kinds render in one unit, in registration order. */
export function registeredPairRenders(plan: MiddlewarePlan): RegisteredPairRender[] {
  return registered.flatMap((kind) => kind.renders(plan));
}
