/**
 * What the compliance facts read of a Redis pair in the built output (compliance/dr-facts.ts): that a
 * standby replicates from the active site, and the RPO bound the active primary enforces.
 */
import type { JsonObject } from '../../synthesized/json';
import { obj, releaseValues, str, type StandbyProof } from '../../synthesized/read';

/** The standby's release values hold `replicaof <active site's address>`. */
export function redisStandbyProof(release: JsonObject, host: string): StandbyProof {
  const values = JSON.stringify(releaseValues(release));
  return new RegExp(`replicaof ${host.replace(/\./g, '\\.')} \\d+`).test(values) ? { proof: `replicaof ${host} in the release's values`, synchronous: false } : { reason: `its values hold no "replicaof ${host}"` };
}

/**
 * The RPO bound the active site's built primary enforces, if any: Redis `min-replicas-to-write` (at
 * least the local replicas plus one: the other site's server counts) with `min-replicas-max-lag`.
 */
export function redisRpoBound(primaryRelease: JsonObject): { readonly maxLagSeconds: number; readonly proof: string } | undefined {
  const values = releaseValues(primaryRelease);
  const configuration = str(obj(values.master).configuration) ?? '';
  const toWrite = /^min-replicas-to-write (\d+)$/m.exec(configuration);
  const maxLag = /^min-replicas-max-lag (\d+)$/m.exec(configuration);
  const localReplicas = Number(obj(values.replica).replicaCount ?? 0);
  if (!toWrite || !maxLag || Number(toWrite[1]) < localReplicas + 1) return undefined;
  return { maxLagSeconds: Number(maxLag[1]), proof: `min-replicas-to-write ${toWrite[1]} (${localReplicas} local replicas and the other site's) and min-replicas-max-lag ${maxLag[1]} in the active primary's configuration` };
}
