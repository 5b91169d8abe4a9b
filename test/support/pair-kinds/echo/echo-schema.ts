/** The echo kind's part of the environment: `middleware.kinds.echo`. */
import { z } from 'zod';

const endpoint = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, { message: 'expected "<IPv4 address>:<port>"' });

export const echoSettingsSchema = z.strictObject({
  /** Each zone's pair: its server at each site. A zone without an entry runs none. */
  zones: z.strictObject({ public: z.strictObject({ A: endpoint, B: endpoint }).optional(), core: z.strictObject({ A: endpoint, B: endpoint }).optional() }),
});

export type EchoSettings = z.infer<typeof echoSettingsSchema>;
