import { z } from 'zod';
import { databasePairSettingsSchema } from '../pairs/database/database-schema';
import { fastdfsPairSettingsSchema } from '../pairs/fastdfs/fastdfs-schema';
import { kafkaPairSettingsSchema } from '../pairs/kafka/kafka-schema';
import { redisPairSettingsSchema } from '../pairs/redis/redis-schema';
import { registeredPairKindModels } from './pair-kinds';

const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' });
const version = z.string().regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, { message: 'expected a pinned chart version such as "20.6.2"' });


/**
 * `middleware`: sizes, chart version overrides and the names of existing Secrets. Which middleware a
 * zone runs follows from its applications (model/catalog.ts); where each runs from `middlewareVips`.
 */

export const middlewareSchema = z.strictObject({
  /**
   * Data-holding releases and volumes refuse `terraform destroy` (lifecycle.prevent_destroy). Turn off
   * only for throw-away environments. @default true
   */
  preventDestroy: z.boolean().optional(),
  /**
   * Data-holding middleware deployed at both sites WITHOUT cross-site replication, e.g. while the
   * datacenter link for it is being built. Each site's instance is then independent; the province
   * no longer reaches GB/T 20988 level 5 and synthesis says so. @default [] (everything is paired)
   */
  unpaired: z.array(z.enum(['redis-cache', 'redis-session', 'kafka', 'fastdfs'])).optional(),
  /** Existing Kubernetes Secrets (same name at both sites) holding credentials. */
  secrets: z
    .strictObject({
      /** Key `redis-password`: requirepass and masterauth of both Redis pairs. @default "hsa-redis-auth" */
      redis: dnsLabel.optional(),
      /**
       * TLS of both Redis pairs (a cert-manager Certificate's Secret: keys `tls.crt`, `tls.key`, `ca.crt`).
       * Each site's certificate names that site's Redis addresses (IP SANs); both sites' certificates come
       * from one CA, so each trusts the other across the datacenter link. @default "hsa-redis-tls"
       */
      redisTls: dnsLabel.optional(),
      /**
       * TLS of the Kafka external listener, the one the other datacenter's MirrorMaker 2 reads (keys
       * `tls.crt`, `tls.key`, `ca.crt`): each site's certificate names its bootstrap and broker addresses
       * (IP SANs), both from one CA. @default "hsa-kafka-tls"
       */
      kafkaTls: dnsLabel.optional(),
      /**
       * SCRAM-SHA-512 passwords of the Kafka users, one key per user, the same at both sites:
       * `hsa-mirror-maker`, `hsa-switchover`, and one per project namespace that uses Kafka (e.g.
       * `proj-hxjb`). @default "hsa-kafka-users"
       */
      kafkaUsers: dnsLabel.optional(),
      /** Key `elasticsearch-password` (the `elastic` user) of the log service. @default "hsa-log-auth" */
      log: dnsLabel.optional(),
      /** Keys `db-username`/`db-password` used by Nacos and XXL-JOB for the external database. @default "hsa-db-auth" */
      database: dnsLabel.optional(),
      /**
       * CloudNativePG (`database.product` "cloudnative-pg"): each site's server certificate for its
       * database VIP (IP SAN) and the CA of both sites (keys `tls.crt`, `tls.key`, `ca.crt`, as
       * cert-manager writes them). @default "hsa-db-tls"
       */
      databaseTls: dnsLabel.optional(),
      /** CloudNativePG: client certificate with common name `streaming_replica` from the same CA. @default "hsa-db-replication-tls" */
      databaseReplicationTls: dnsLabel.optional(),
      /** CloudNativePG: login of the application databases' owner `hsa` (type basic-auth; the same login as `database`'s keys). @default "hsa-db-owner" */
      databaseOwner: dnsLabel.optional(),
      /** CloudNativePG: login of `hsa_switchover`, the pg_monitor role the switchover reads with (type basic-auth). @default "hsa-db-switchover" */
      databaseSwitchover: dnsLabel.optional(),
    })
    .optional(),
  /** Chart versions pinned by the toolkit can be overridden per province (e.g. a mirror holds another). */
  chartVersions: z
    .strictObject({ redis: version.optional(), strimzi: version.optional(), log: version.optional(), cloudNativePg: version.optional() })
    .optional(),
  redisCache: redisPairSettingsSchema.optional(),
  redisSession: redisPairSettingsSchema.optional(),
  kafka: kafkaPairSettingsSchema.optional(),
  fastdfs: fastdfsPairSettingsSchema.optional(),
  /**
   * The business database (outside the clusters, at `middlewareVips.database` of each site) as a DR
   * pair the switchover checks: PostgreSQL with streaming replication from the active site to the
   * standby site. Its DBA (or vendor tool) demotes and promotes it; the switchover verifies each step.
   * @default - the switchover does not check the database
   */
  database: databasePairSettingsSchema.optional(),
  /**
   * Settings of the DR pair kinds the project registers (registerPairKind; docs/architecture.md), each
   * under its kind's name and checked by that kind's own schema. A name no registered kind has is an error.
   * @default - none: only the toolkit's own kinds
   */
  kinds: z
    .record(z.string(), z.unknown())
    .superRefine((kinds, ctx) => {
      const known = registeredPairKindModels();
      for (const [name, value] of Object.entries(kinds)) {
        const kind = known.find((k) => k.name === name);
        if (!kind) {
          ctx.addIssue({ code: 'custom', path: [name], message: `no DR pair kind named "${name}" is registered; registered: ${known.map((k) => k.name).join(', ') || 'none'} (register it with registerPairKind before loading the environment)` });
          continue;
        }
        const parsed = kind.settings.safeParse(value);
        if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [name, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message });
      }
    })
    .optional(),
});

export type MiddlewareSettings = z.infer<typeof middlewareSchema>;
