/**
 * `npm run check -- --out <dir>`
 *
 * Runs the resource rule packs (Kubernetes hardening, secrets by name and by value, no IP address in
 * application configuration) on any synthesized output directory, for example a copy a reviewer edited
 * by hand, reading only its JSON. A finding is suppressed only where the output itself records the
 * suppression with its reason (`"//".compliance_suppressions`). Exit codes: 0 no error-level finding,
 * 1 error-level findings (each printed with the file, the resource path and the fix), 2 usage.
 */
import { checkOutput, OutputDirectoryError } from '../compliance/check-output';
import { readFlags, UsageError } from '../pipeline/options';

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
    if (!(error instanceof UsageError) && !(error instanceof OutputDirectoryError)) throw error;
    process.stderr.write(`check: ${error.message}\n`);
    process.exitCode = 2;
  }
}
