/**
 * The resource rule packs that need nothing but a synthesized output, run on any output directory (for
 * example a copy a reviewer edited by hand), reading only its JSON. `npm run check` is its command line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkStackResources } from './check-resources';
import { OUTPUT_RULES } from './packs';
import type { StackJson } from '../synthesized/json';

/** The directory given is not a synthesized output. */
export class OutputDirectoryError extends Error {}

export interface OutputFinding {
  readonly ruleId: string;
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  readonly suppressed?: string;
}

/** The resource packs that need nothing but the output (the province rules and the DNS-name rule need the model). */
export function checkOutput(outdir: string): OutputFinding[] {
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) throw new OutputDirectoryError(`--out ${outdir}: no stacks/ directory; expected a synthesized output (cdktf.out)`);
  const findings: OutputFinding[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const file = join(stacksDir, stack, 'cdk.tf.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as StackJson;
    const shownFile = relative(process.cwd(), file) || file;
    for (const f of checkStackResources(stack, json, OUTPUT_RULES)) {
      findings.push({ ruleId: f.ruleId, severity: f.severity, file: shownFile, path: `${f.address} (${f.path})`, message: f.message, fix: f.fix, ...(f.suppressed ? { suppressed: f.suppressed.reason } : {}) });
    }
  }
  return findings;
}

