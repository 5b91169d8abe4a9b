/**
 * `npm run check -- --out <dir>`
 *
 * Runs the resource rule packs (Kubernetes hardening, secrets by name and by value, no IP address in
 * application configuration) on any synthesized output directory, for example a copy a reviewer edited
 * by hand, reading only its JSON. A finding is suppressed only where the output itself records the
 * suppression with its reason (`"//".compliance_suppressions`). Exit codes: 0 no error-level finding,
 * 1 error-level findings (each printed with the file, the resource path and the fix), 2 usage.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkStackResources } from '../compliance/check-resources';
import { OUTPUT_RULES } from '../compliance/packs';
import type { StackJson } from '../synthesized/json';
import { readFlags, UsageError } from '../pipeline/options';

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
  if (!existsSync(stacksDir)) throw new UsageError(`--out ${outdir}: no stacks/ directory; expected a synthesized output (cdktf.out)`);
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

if (require.main === module) {
  try {
    const flags = readFlags(process.argv.slice(2), ['out']);
    const outdir = flags.get('out') ?? 'cdktf.out';
    const findings = checkOutput(outdir);
    const errors = findings.filter((f) => f.severity === 'error' && !f.suppressed);
    for (const f of findings) {
      const label = f.suppressed ? `suppressed (${f.suppressed})` : f.severity;
      process.stdout.write(`${label} ${f.ruleId} ${f.file}: ${f.path}: ${f.message}; fix: ${f.fix}\n`);
    }
    process.stdout.write(`${outdir}: ${errors.length} error(s), ${findings.filter((f) => f.severity === 'warning' && !f.suppressed).length} warning(s), ${findings.filter((f) => f.suppressed).length} suppressed\n`);
    process.exitCode = errors.length > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`check: ${error.message}\n`);
    process.exitCode = 2;
  }
}
