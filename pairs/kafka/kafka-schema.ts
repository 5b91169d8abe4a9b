/** The environment's settings of the Kafka pairs (`middleware.kafka`). */
import { z } from 'zod';

export const kafkaPairSettingsSchema = z.strictObject({
  /** Brokers (KRaft, combined broker+controller) at each site. @default 3 */
  brokers: z.number().int().min(1).max(30).optional(),
  /** Data volume of each broker. @default 100 */
  storageGiB: z.number().int().min(1).max(65536).optional(),
});
