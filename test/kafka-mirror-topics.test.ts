import { isMirroredTopic } from '../pairs/kafka/kafka-member';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

// The switchover counts and deletes exactly the topics the synthesized MirrorMaker 2 copies: read the
// exclusion from the custom resource itself, as Kafka's topic filter applies it (comma-separated, whole name).
test('the switchover and the synthesized KafkaMirrorMaker2 agree on which topics are mirrored', () => {
  const stack = synthesizeStacks([loadEnvironment('demo')]).get('demo-core-b')!;
  const cr = Object.values(stack.resource.kubernetes_manifest ?? {})
    .map((m) => m.manifest as { kind: string; spec: { mirrors: { topicsExcludePattern: string }[] } })
    .find((m) => m.kind === 'KafkaMirrorMaker2')!;
  const excluded = cr.spec.mirrors[0]!.topicsExcludePattern.split(',').map((p) => new RegExp(`^(?:${p.trim()})$`));
  const names = ['hsa-settlement-events', 'orders.v2', '__consumer_offsets', 'mm2-offset-syncs.core-b.internal', 'core-a.checkpoints.internal', 'mirrormaker2-core-a-offsets', 'mirrormaker2-core-b-configs', 'x.replica', 'heartbeats'];
  for (const name of names) expect({ name, mirrored: isMirroredTopic(name) }).toEqual({ name, mirrored: !excluded.some((r) => r.test(name)) });
  expect(names.filter(isMirroredTopic)).toEqual(['hsa-settlement-events', 'orders.v2', 'heartbeats']);
});
