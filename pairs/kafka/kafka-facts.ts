/** What the compliance facts read of a Kafka pair in the built output: the standby's MirrorMaker 2 source. */
import type { StackJson } from '../../synthesized/json';
import { arr, hostOf, obj, str, type StandbyProof } from '../../synthesized/read';

/** A KafkaMirrorMaker2 of the standby's stack mirrors from the active site's address. */
export function kafkaStandbyProof(stack: StackJson, host: string): StandbyProof {
  const mirrors = Object.values(stack.resource?.kubernetes_manifest ?? {})
    .map((m) => obj(m.manifest))
    .filter((m) => m.kind === 'KafkaMirrorMaker2')
    .flatMap((m) => arr(obj(m.spec).mirrors).map(obj));
  return mirrors.some((m) => (str(obj(m.source).bootstrapServers) ?? '').split(',').some((s) => hostOf(s.trim()) === host))
    ? { proof: `a KafkaMirrorMaker2 mirrors from ${host}`, synchronous: false }
    : { reason: `no KafkaMirrorMaker2 of the stack reads from ${host}` };
}
