/** The environment's settings of the FastDFS pairs (`middleware.fastdfs`). */
import { z } from 'zod';

export const fastdfsPairSettingsSchema = z.strictObject({
  /** Storage volume of each site's storage server. @default 200 */
  storageGiB: z.number().int().min(1).max(65536).optional(),
});
