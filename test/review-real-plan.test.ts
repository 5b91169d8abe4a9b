/**
 * The review of real plans (review/real-plan.ts, `npm run review -- --plan`): a plan in Terraform's JSON
 * representation (format_version 1.x, as `tofu show -json` writes it) is matched to its synthesized stack
 * and read with the toolkit's annotations. The deploy rehearsal runs it on the real plans of every
 * switchover (docs/deploy-rehearsal.md); here the cases it must tell apart.
 */
import type { JsonObject, StackJson } from '../synthesized/json';
import { PlanReviewError, reviewPlans, stackOfPlan, type PlanJson } from '../review/real-plan';
import { unacknowledgedDataLoss } from '../review/plan-diff';
import { renderReview } from '../review/render-review';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const stacks = synthesizeStacks([loadEnvironment('demo')]) as unknown as Map<string, StackJson>;
const core = stacks.get('demo-core-b')!;
const addresses = Object.entries(core.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`));
const addressOf = (predicate: (type: string, body: JsonObject) => boolean) =>
  Object.entries(core.resource ?? {}).flatMap(([type, byName]) => Object.entries(byName).filter(([, body]) => predicate(type, body)).map(([name]) => `${type}.${name}`))[0]!;
const redisStandby = addressOf((type, body) => type === 'helm_release' && ((body['//'] as JsonObject).hsa as JsonObject | undefined)?.role === 'redis-cache');
const configMap = addressOf((type) => type === 'kubernetes_config_map_v1');

/** The plan's provider configuration as `tofu show -json` writes it: constant values as expressions. */
function providerConfig(stack: StackJson): NonNullable<PlanJson['configuration']>['provider_config'] {
  const kubernetes = ((stack.provider as JsonObject).kubernetes as JsonObject[])[0]!;
  return { kubernetes: { expressions: Object.fromEntries(Object.entries(kubernetes).map(([k, v]) => [k, { constant_value: v }])) } };
}

function plan(changes: { address: string; actions: string[]; replace_paths?: string[][] }[], drift: { address: string }[] = []): PlanJson {
  const change = (c: { address: string; actions: string[]; replace_paths?: string[][] }) => ({
    address: c.address,
    type: c.address.split('.')[0]!,
    mode: 'managed',
    change: { actions: c.actions, before: { data: { a: '1' } }, after: { data: { a: '2' } }, ...(c.replace_paths ? { replace_paths: c.replace_paths } : {}) },
  });
  return {
    format_version: '1.2',
    configuration: { root_module: { resources: addresses.map((address) => ({ address })) }, provider_config: providerConfig(core) },
    resource_changes: [...addresses.map((address) => ({ address, type: address.split('.')[0]!, mode: 'managed', change: { actions: ['no-op'] } })), ...changes.map(change)],
    resource_drift: drift.map((d) => change({ ...d, actions: ['update'] })),
  };
}

test('a plan is matched to the synthesized stack that declares exactly its resources', () => {
  expect(stackOfPlan('p.json', plan([]), stacks)).toBe('demo-core-b');
});

test("a zone's two sites declare the same resources: the plan's cluster tells them apart", () => {
  const publicAddresses = (name: string) => Object.entries(stacks.get(name)!.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)).sort();
  expect(publicAddresses('demo-public-a')).toEqual(publicAddresses('demo-public-b'));
  const at = (name: string): PlanJson => ({ format_version: '1.2', configuration: { root_module: { resources: publicAddresses(name).map((address) => ({ address })) }, provider_config: providerConfig(stacks.get(name)!) } });
  expect(stackOfPlan('a.json', at('demo-public-a'), stacks)).toBe('demo-public-a');
  expect(stackOfPlan('b.json', at('demo-public-b'), stacks)).toBe('demo-public-b');
});

test('fails on a plan that matches no synthesized stack, naming the file and the fix', () => {
  const other: PlanJson = { format_version: '1.2', configuration: { root_module: { resources: [{ address: 'kubernetes_namespace_v1.nothing' }] } } };
  expect(() => stackOfPlan('other.json', other, stacks)).toThrow('other.json: its 1 resources and its cluster match no synthesized stack; synthesize the same environment');
  expect(() => reviewPlans([{ file: 'old.json', plan: { format_version: '0.2' } }], stacks)).toThrow(PlanReviewError);
});

test('a DR pair updated by the plan is a flip to the mode synthesized; a changed ConfigMap is a change', () => {
  const [review] = reviewPlans([{ file: 'p.json', plan: plan([{ address: redisStandby, actions: ['update'] }, { address: configMap, actions: ['update'] }]) }], stacks);
  expect(review!.environment).toBe('demo');
  expect(review!.roleFlips).toEqual([{ stack: 'demo-core-b', role: 'redis-cache', from: 'primary', to: 'standby' }]);
  expect(review!.stacks[0]!.changed.map((c) => c.address).sort()).toEqual([configMap, redisStandby].sort());
  expect(unacknowledgedDataLoss([review!], [])).toEqual([]);
});

test('a data holder replaced by the plan blocks the review unless acknowledged, and says why', () => {
  const [review] = reviewPlans([{ file: 'p.json', plan: plan([{ address: redisStandby, actions: ['delete', 'create'], replace_paths: [['name']] }]) }], stacks);
  expect(review!.stacks[0]!.destroyed).toEqual([expect.objectContaining({ address: redisStandby, dataHolding: true, replacedBecause: 'name' })]);
  expect(unacknowledgedDataLoss([review!], [])).toEqual([`demo-core-b/${redisStandby}`]);
  expect(unacknowledgedDataLoss([review!], [`demo-core-b/${redisStandby.split('.')[0]}.*`])).toEqual([]);
});

test('a resource_version the API server moved by itself is not a change outside Terraform', () => {
  const moved: PlanJson = { ...plan([]), resource_drift: [{ address: configMap, type: 'kubernetes_config_map_v1', change: { actions: ['update'], before: { metadata: [{ name: 'x', resource_version: '1' }] }, after: { metadata: [{ name: 'x', resource_version: '2' }] } } }] };
  expect(reviewPlans([{ file: 'p.json', plan: moved }], stacks)[0]!.outsideTerraform).toEqual([]);
});

test('changes made in the cluster outside Terraform are reported with the fields that differ', () => {
  const [review] = reviewPlans([{ file: 'p.json', plan: plan([], [{ address: configMap }]) }], stacks);
  expect(review!.outsideTerraform).toEqual([`\`demo-core-b\` ${configMap} changed outside Terraform (data)`]);
  const markdown = renderReview([review!], [], 'the real plans');
  expect(markdown).toContain('Changed in the clusters outside Terraform');
  expect(markdown).toContain('Compliance: judged on the synthesized output');
});
