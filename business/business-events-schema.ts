/**
 * An application's settlement events (业务实时监控), as the environment declares them: the file it writes
 * one JSON object per line to, which of each object's fields are the event's id, business type,
 * institution, amount and time, and the names of the business types. The pipeline counts each event once
 * and sums its amount per business type, institution (unless `groupBy` leaves it out) and day
 * (docs/observability.md).
 */
import { z } from 'zod';

const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, { message: 'expected a JSON field name such as "serialNo"' });

export const businessEventsSchema = z.strictObject({
  /**
   * The absolute path of the file the application appends its events to, one JSON object per line. It is
   * rotated by renaming (`<file>.1`, `<file>.2`...) and recreated; the directory is shared with the
   * pipeline's collector beside the application.
   */
  file: z.string().regex(/^\/[A-Za-z0-9._/-]+\/[A-Za-z0-9._-]+$/, { message: 'expected an absolute file path such as "/var/log/hsa/settlement.log"' }),
  fields: z.strictObject({
    /** Unique per event (the settlement's serial number, 结算流水号): an event seen twice is counted once. */
    id: fieldName,
    /** The business type's code, a key of `types`. */
    type: fieldName,
    /** The institution (定点医药机构) that made the settlement. */
    institution: fieldName,
    /** The amount in yuan, a number or a decimal text with at most two decimals (summed exactly, in fen). */
    amount: fieldName,
    /** When it happened, beginning with its date as the application writes it (`2026-12-06 09:30:00` or ISO 8601): the day it counts for. */
    time: fieldName,
  }),
  /** Business types by code, with their names (e.g. `{ "11": "门诊结算", "21": "住院结算" }`). An event of another type is counted as rejected. */
  types: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { message: 'expected a short type code' }), z.string().min(1)).refine((types) => Object.keys(types).length > 0, { message: 'expected at least one business type' }),
  /** What the figures are kept per, besides the day and the business type. @default ["institution"] */
  groupBy: z.array(z.enum(['institution'])).optional(),
});

export type BusinessEventsSettings = z.infer<typeof businessEventsSchema>;
