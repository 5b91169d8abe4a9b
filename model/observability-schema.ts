/** The environment's `observability`: where each team's alerts go, and whether the toolkit's own monitoring runs. */
import { z } from 'zod';

/** A receiver Alertmanager sends a team's alerts to. */
const receiver = z.strictObject({
  /**
   * An HTTP(S) endpoint Alertmanager POSTs each group of alerts to (its webhook format), e.g. the
   * province's on-call system or a chat bridge.
   */
  webhook: z.string().regex(/^https?:\/\/\S+$/, { message: 'expected an http:// or https:// URL' }),
  /** Also send when an alert resolves. @default true */
  sendResolved: z.boolean().optional(),
});

export const observabilitySchema = z.strictObject({
  /**
   * Where alerts go. `default` gets every alert no team's receiver takes; `teams` routes by the alert's
   * `team` label: `middleware` (the DR pairs), `database` (the business database), `platform` (backups,
   * clusters, traffic).
   */
  receivers: z.strictObject({
    default: receiver,
    /** @default - every team's alerts go to `default` */
    teams: z.partialRecord(z.enum(['middleware', 'database', 'platform']), receiver).optional(),
  }),
});

export type ObservabilitySettings = z.infer<typeof observabilitySchema>;
