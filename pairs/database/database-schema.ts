/** The environment's settings of the business database's pairs (`middleware.database`). */
import { z } from 'zod';

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

export const databasePairSettingsSchema = z.discriminatedUnion('product', [
  z.strictObject({
    product: z.literal('postgresql'),
    /** @default 5432 */
    port: z.number().int().min(1).max(65535).optional(),
    /**
     * Its daily backup, taken at each site from that site's database when the environment has
     * `backup` (pg_basebackup, checked with pg_verifybackup, kept on a volume Velero copies off site).
     */
    backup: postgresqlBackup.optional(),
    /**
     * How each site's postgres_exporter logs in to that site's server, when the environment declares
     * `observability` (pairs/database/database-monitoring.ts): the database team's alerts read it.
     */
    monitoring: z
      .strictObject({
        /**
         * Existing Secret in the middleware namespace with keys `username` and `password`: a role granted
         * `pg_monitor` (CREATE ROLE hsa_monitor LOGIN PASSWORD '...'; GRANT pg_monitor TO hsa_monitor),
         * which pg_hba.conf admits to database `postgres` from the cluster's nodes. The standby must stream
         * through a physical replication slot (`primary_slot_name`): postgres_exporter reports no WAL
         * receiver without one, and the link alert would fire.
         * @default "hsa-db-monitor"
         */
        credentialsSecret: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' }).optional(),
        /**
         * libpq's sslmode of the exporter's connection: `require` (TLS, the password never in the clear)
         * or `disable` (a server without TLS; the password crosses the site's network readable).
         * @default "require"
         */
        sslMode: z.enum(['require', 'disable']).optional(),
      })
      .optional(),
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
], { error: 'expected product "postgresql", "cloudnative-pg" (PostgreSQL in the clusters), or "other" (another product, with a name, a port and a check command its DBA supplies)' });
