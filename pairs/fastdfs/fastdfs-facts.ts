/** What the compliance facts read of a FastDFS pair in the built output: the standby storage server's trackers. */
import type { JsonObject, StackJson } from '../../synthesized/json';
import { arr, obj, resolveName, str, type StandbyProof } from '../../synthesized/read';

/**
 * A FastDFS group replicates between the storage servers its trackers list: the storage server's
 * mounted storage.conf must name the active site's tracker.
 */
export function fastdfsStandbyProof(statefulSet: JsonObject, stack: StackJson, host: string): StandbyProof {
  const configMaps = arr(obj(obj(obj(statefulSet.spec).template).spec).volume)
    .map((v) => resolveName(stack, obj(obj(v).config_map).name))
    .filter((n): n is string => n !== undefined);
  const texts = Object.values(stack.resource?.kubernetes_config_map_v1 ?? {})
    .filter((c) => configMaps.includes(String(obj(c.metadata).name)))
    .map((c) => str(obj(c.data)['storage.conf']) ?? '');
  return texts.some((t) => new RegExp(`^tracker_server\\s*=\\s*${host.replace(/\./g, '\\.')}:\\d+$`, 'm').test(t))
    ? { proof: `its storage.conf lists the tracker at ${host}`, synchronous: false }
    : { reason: `its mounted storage.conf lists no tracker at ${host}` };
}
