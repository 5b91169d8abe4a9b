import { z } from 'zod';

const secretName = z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' });

/** An S3-compatible object store in one datacenter. */
const store = z.strictObject({
  /**
   * The store's S3 endpoint at an IP address (the backup namespace's NetworkPolicy admits exactly that
   * address and port), e.g. "https://10.20.0.50:9000".
   */
  endpoint: z
    .string()
    .regex(/^https?:\/\/\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?\/?$/, { message: 'expected an S3 endpoint at an IPv4 address, such as "https://10.20.0.50:9000"' }),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)' }),
  /** @default "us-east-1" (what S3-compatible stores accept when they have no regions) */
  region: z.string().min(1).optional(),
  /**
   * Existing Secret (in namespace `hsa-backup` of the other datacenter's clusters, the ones that write
   * here) with key `cloud`: an AWS credentials file for this store. @default "hsa-backup-s3"
   */
  credentialsSecret: secretName.optional(),
});

/** Five cron fields whose day-of-month, month and day-of-week are `*`: it runs at least once a day. */
const DAILY_CRON = /^(\S+) (\S+) \* \* \*$/;

/**
 * `backup`: daily full backups of every cluster's middleware namespace (Velero, with the node agent for
 * volumes and each Redis primary's own RDB dump), written to the OTHER datacenter's store: off site, as
 * GB/T 20988 asks. Without it the province has no backup the toolkit builds, and it stays below level 1.
 */
export const backupSchema = z.strictObject({
  /** Each datacenter's object store. Site A's backups go to B's store, and B's to A's. */
  stores: z.strictObject({ A: store, B: store }),
  /** When the full backup runs (cron, cluster time), at least once a day. @default "0 2 * * *" */
  schedule: z
    .string()
    .regex(DAILY_CRON, { message: 'expected a cron schedule that runs at least once a day (day of month, month and day of week "*"), such as "0 2 * * *"' })
    .optional(),
  /** Days a backup is kept. @default 30 */
  retentionDays: z.number().int().min(1).max(3650).optional(),
});

export type BackupSettings = z.infer<typeof backupSchema>;
