/** The environment's settings of a Redis pair (`middleware.redisCache`, `middleware.redisSession`). */
import { z } from 'zod';

export const redisPairSettingsSchema = z.strictObject({
  /** Read replicas at each site, besides the site's primary. @default 2 */
  replicas: z.number().int().min(0).max(10).optional(),
  /** maxmemory of each server. @default 2048 */
  memoryMiB: z.number().int().min(64).max(262144).optional(),
  /** Persistent volume of each server. @default 20 */
  storageGiB: z.number().int().min(1).max(4096).optional(),
  /**
   * RPO bound of the pair, by construction: the active primary refuses writes (`NOREPLICAS`) while the
   * other datacenter's server (or any local replica) is more than this many seconds behind, so at most
   * this many seconds of acknowledged writes can be missing after a site loss. Redis counts replicas,
   * not sites: `min-replicas-to-write` is the local replicas plus the other site's, so a local replica
   * down stops writes too. After a site loss the new primary takes writes without the bound (the
   * switchover lifts it) until the other site follows again. docs/disaster-recovery.md has the cost.
   * @default - no bound (asynchronous: the RPO is what the link had not carried)
   */
  maxLagSeconds: z.number().int().min(1).max(3600).optional(),
});
