/**
 * The deploy rehearsal's own rules (docs/deploy-rehearsal.md), checked without running it: its override
 * file turns off waits and nothing else, and its verdict fails on each kind of finding.
 */
import { rehearsalPassed, renderRehearsal } from '../rehearsal/report';
import { waitOverrides, type ProvinceResult } from '../rehearsal/rehearse';
import type { StackJson } from '../synthesized/json';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const WAIT_ATTRIBUTES = new Set(['wait', 'wait_for_jobs', 'atomic', 'wait_for_rollout', 'wait_for_load_balancer', 'wait_until_bound']);

test('the override file turns off waits (atomic turns wait on) and sets nothing else', () => {
  const stacks = synthesizeStacks([loadEnvironment('demo')]) as unknown as Map<string, StackJson>;
  let overridden = 0;
  for (const stack of stacks.values()) {
    const override = waitOverrides(stack).resource as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, byName] of Object.entries(override)) {
      for (const [name, body] of Object.entries(byName)) {
        expect(stack.resource?.[type]?.[name]).toBeDefined();
        for (const [attribute, value] of Object.entries(body)) {
          expect(WAIT_ATTRIBUTES.has(attribute)).toBe(true);
          expect(value).toBe(false);
          overridden += 1;
        }
      }
    }
    for (const name of Object.keys(stack.resource?.helm_release ?? {})) expect(override.helm_release?.[name]).toEqual({ wait: false, wait_for_jobs: false, atomic: false });
  }
  expect(overridden).toBeGreaterThan(50);
});

const passing: ProvinceResult = {
  environment: 'demo',
  changes: [],
  stacks: [{ stack: 'demo-core-a', activeSite: 'A', init: true, validate: true, applied: true, resources: 119, secondPlanChanges: [] }],
  pods: { created: 10, refused: [], workloads: 5 },
  accessReviews: { bindings: ['demo-core-a hsa-monitoring-core-kubelet-reader'], checked: 8, wrong: [], grantingNobody: [] },
  destroyRefusals: { tried: 2, refused: 2, notRefused: [] },
  switchover: [{ stack: 'demo-core-a', to: 'B', planned: 7, planNotInReview: [], reviewNotInPlan: [] }],
  planReviews: [{ exit: 0, flips: ['demo-core-a kafka -> primary'], missing: [], extra: [] }],
  webhooksRemoved: [],
  seconds: 1,
};

test('the verdict passes a clean run and fails on each kind of finding', () => {
  expect(rehearsalPassed([passing])).toBe(true);
  const failing: ProvinceResult[] = [
    { ...passing, stacks: [{ ...passing.stacks[0]!, validate: false, applied: false }] },
    { ...passing, stacks: [{ ...passing.stacks[0]!, secondPlanChanges: ['kubernetes_limit_range_v1.x update (spec)'] }] },
    { ...passing, pods: { ...passing.pods, refused: ['demo-core-a ReplicaSet x: forbidden'] } },
    { ...passing, destroyRefusals: { tried: 2, refused: 1, notRefused: ['demo-core-a/helm_release.redis: exit 0'] } },
    { ...passing, switchover: [{ ...passing.switchover[0]!, planNotInReview: ['kubernetes_limit_range_v1.x'] }] },
    { ...passing, planReviews: [{ ...passing.planReviews[0]!, missing: ['demo-core-a kafka -> primary'] }] },
    { ...passing, concurrentDeploy: { secondRefused: false, message: 'applied', stateIntact: true, resources: 3 } },
    { ...passing, accessReviews: { ...passing.accessReviews, wrong: ['demo-core-a system:serviceaccount:hsa-monitoring:prometheus-server get secrets: allowed'] } },
    { ...passing, accessReviews: { ...passing.accessReviews, grantingNobody: ['demo-core-a hsa-monitoring-core-kubelet-reader: no pod in hsa-monitoring runs as prometheus: the binding grants nobody'] } },
  ];
  for (const result of failing) expect(rehearsalPassed([result])).toBe(false);
  expect(rehearsalPassed([])).toBe(false);
  expect(renderRehearsal([failing[1]!], { tofu: 'v1.10.10', kubernetes: 'v1.36.3', providers: [] })).toContain('second plan not empty: kubernetes_limit_range_v1.x update (spec)');
});
