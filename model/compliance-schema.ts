import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'expected a date as YYYY-MM-DD' });

/** A field that used to be attested and is now judged from what the toolkit builds: refused with the way forward. */
function builtNotAttested(field: string) {
  return z
    .unknown()
    .optional()
    .refine((value) => value === undefined, {
      message: `nothing: ${field} is no longer attested, the toolkit builds the daily off-site backup from \`backup\` in the environment (stores of both datacenters, schedule, retention); remove this field and declare \`backup\``,
    });
}

/**
 * `compliance`: what the rule packs need beyond the synthesized output. Attested facts cannot be seen in
 * code (staff, drills); operators state them here and auditors check them. Backups are built
 * (`backup`), not attested.
 */
export const complianceSchema = z.strictObject({
  /** GB/T 20988 edition to judge against. @default "2025" (in force from 2026-01-01) */
  gbt20988Edition: z.enum(['2007', '2025']).optional(),
  attestation: z
    .strictObject({
      /** No longer attested: the toolkit builds the backups (`backup` in the environment). */
      dailyFullBackup: builtNotAttested('dailyFullBackup'),
      offsiteBackupMedia: builtNotAttested('offsiteBackupMedia'),
      staff7x24: z.boolean(),
      lastDrillDate: isoDate.optional(),
      attestedOn: isoDate.optional(),
    })
    .optional(),
  /** Findings accepted on purpose. Each reason is kept in the output and the report. */
  suppressions: z
    .array(
      z.strictObject({
        ruleId: z.string().regex(/^[A-Z0-9]+-[A-Za-z0-9]+$/, { message: 'expected a rule id such as "K8S-ReadOnlyRootFilesystem"' }),
        /** Construct path prefix, `*` for any stack, e.g. "*\/Platform/Applications/macro-decision". */
        path: z.string().min(1),
        reason: z.string().refine((r) => [...r.trim()].length >= 10, { message: 'expected a reason of at least 10 characters (Chinese allowed)' }),
      }),
    )
    .optional(),
});
