import { z } from 'zod';

const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' });
const version = z.string().regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, { message: 'expected a pinned chart version such as "20.6.2"' });

const redisSize = z.strictObject({
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

/**
 * `middleware`: sizes, chart version overrides and the names of existing Secrets. Which middleware a
 * zone runs follows from its applications (model/catalog.ts); where each runs from `middlewareVips`.
 */
/** The toolkit's PostgreSQL backup job's settings (external PostgreSQL, or CloudNativePG's Clusters). */
const postgresqlBackup = z.strictObject({
  /**
   * Existing Secret in the middleware namespace with keys `username` and `password`: a role with the
   * REPLICATION attribute that pg_hba.conf admits for replication from the cluster (with CloudNativePG:
   * type kubernetes.io/basic-auth, `username` "hsa_backup", a role CloudNativePG manages from it).
   * @default "hsa-db-backup"
   */
  credentialsSecret: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' }).optional(),
  /** Size of the volume holding the latest backup while it is taken (the database's size, twice). @default 100 */
  volumeGiB: z.number().int().min(1).max(65536).optional(),
});

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
  redisCache: redisSize.optional(),
  redisSession: redisSize.optional(),
  kafka: z
    .strictObject({
      /** Brokers (KRaft, combined broker+controller) at each site. @default 3 */
      brokers: z.number().int().min(1).max(30).optional(),
      storageGiB: z.number().int().min(1).max(65536).optional(),
    })
    .optional(),
  fastdfs: z
    .strictObject({
      /** Storage volume of each site's storage server. @default 200 */
      storageGiB: z.number().int().min(1).max(65536).optional(),
    })
    .optional(),
  /**
   * The business database (outside the clusters, at `middlewareVips.database` of each site) as a DR
   * pair the switchover checks: PostgreSQL with streaming replication from the active site to the
   * standby site. Its DBA (or vendor tool) demotes and promotes it; the switchover verifies each step.
   * @default - the switchover does not check the database
   */
  database: z
    .discriminatedUnion('product', [
      z.strictObject({
        product: z.literal('postgresql'),
        /** @default 5432 */
        port: z.number().int().min(1).max(65535).optional(),
        /**
         * Its daily backup, taken at each site from that site's database when the environment has
         * `backup` (pg_basebackup, checked with pg_verifybackup, kept on a volume Velero copies off site).
         */
        backup: postgresqlBackup.optional(),
      }),
      z.strictObject({
        /** Another product (Oracle, DM, KingbaseES, GaussDB...), checked through a command its DBA supplies. */
        product: z.literal('other'),
        /** What it is, for the reports and the journal, e.g. "DM8". */
        name: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        /**
         * The replication check: a command (program and arguments, no shell) the switchover runs on the
         * operator's machine once per server and step, with HSA_DB_HOST, HSA_DB_PORT, HSA_DB_USER and
         * HSA_DB_PASSWORD set. It prints one JSON object: `role` ("primary" or "standby"), `position` (a
         * non-negative integer, as a decimal string or number: how far its log is, comparable between
         * the two servers), on a primary `streaming` (`[{address, state, position}]`, state "streaming"
         * when a standby receives), on a standby `replayAgeSeconds` when known, and `readOnly` (true
         * once its DBA demoted it). docs/disaster-recovery.md has an example.
         */
        check: z.strictObject({ command: z.array(z.string().min(1)).min(1) }),
        /**
         * Its daily backup, taken at each site from that site's database when the environment has
         * `backup`, with the product's own tool: a command (program and arguments, no shell) run in an
         * image of the mirror, with HSA_DB_HOST, HSA_DB_PORT (this site's instance), HSA_DB_USER,
         * HSA_DB_PASSWORD (from `credentialsSecret`) and HSA_BACKUP_DIR (an empty directory) set. It
         * writes the backup into HSA_BACKUP_DIR, checks it with the product's own tool, and exits 0
         * only when the backup is complete; only then does it replace the previous one. It runs as
         * uid 1001 with a read-only root filesystem. Without it the business database has no backup and
         * the GB/T 20988 daily full backup is not met.
         * @default - no backup of the business database (the DR level names it)
         */
        backup: z
          .strictObject({
            /** The product's backup tool, under `registry.images`: `<registry.images>/<name>:<tag>`. */
            image: z.strictObject({
              name: z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, { message: 'expected an image name under the mirror path, e.g. "dm8-tools"' }),
              tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: 'expected an image tag, e.g. "8.1.3.62"' }),
            }),
            command: z.array(z.string().min(1)).min(1),
            /** Existing Secret in the middleware namespace with keys `username` and `password` of the role the tool logs in as. @default "hsa-db-backup" */
            credentialsSecret: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' }).optional(),
            /** Size of the volume holding the latest backup while the next is taken (the backup's size, twice). @default 100 */
            volumeGiB: z.number().int().min(1).max(65536).optional(),
          })
          .optional(),
      }),
      z.strictObject({
        /**
         * PostgreSQL run in the core clusters by the CloudNativePG operator: one Cluster per site in a
         * distributed topology (the active site's is primary, the other a replica cluster streaming
         * from it over the link with TLS client certificates), switched with CloudNativePG's demotion
         * and promotion token, so a planned switchover loses no transaction. Reached at
         * `middlewareVips.database` of each site (a LoadBalancer service on the cluster's primary) on 5432.
         */
        product: z.literal('cloudnative-pg'),
        /** PostgreSQL instances at each site (one primary or designated primary, the rest its in-site standbys). @default 2 */
        instances: z.number().int().min(1).max(9).optional(),
        /** Data volume of each instance. @default 100 */
        storageGiB: z.number().int().min(1).max(65536).optional(),
        /**
         * Its daily backup, as for `postgresql`: the toolkit's pg_basebackup job against this site's
         * cluster (role `hsa_backup`, managed by CloudNativePG with the password of `credentialsSecret`).
         */
        backup: postgresqlBackup.optional(),
      }),
    ], { error: 'expected product "postgresql", "cloudnative-pg" (PostgreSQL in the clusters), or "other" (another product, with a name, a port and a check command its DBA supplies)' })
    .optional(),
});

export type MiddlewareSettings = z.infer<typeof middlewareSchema>;
