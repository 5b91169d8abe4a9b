/** What the compliance facts read of the database pair in the built output: the replica Cluster's source. */
import { isJsonObject, type JsonObject } from '../../synthesized/json';
import { arr, obj, str, type StandbyProof } from '../../synthesized/read';

/** The standby's CloudNativePG Cluster streams from the active site's address (spec.replica, externalClusters). */
export function cloudNativePgStandbyProof(manifest: JsonObject, host: string): StandbyProof {
  const spec = obj(obj(manifest.manifest).spec);
  const replica = obj(spec.replica);
  const external = arr(spec.externalClusters).map(obj).find((c) => c.name === replica.source);
  const replicating = replica.enabled === true || (str(replica.primary) !== undefined && replica.primary !== replica.self);
  if (!replicating || str(obj(external?.connectionParameters).host) !== host) return { reason: `the Cluster does not stream from ${host} (spec.replica and externalClusters)` };
  const synchronous = isJsonObject(obj(spec.postgresql).synchronous) && Number(obj(obj(spec.postgresql).synchronous).number ?? 0) > 0;
  return { proof: `the Cluster streams from ${host} (spec.replica.source ${String(replica.source)})`, synchronous };
}
