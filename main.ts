/**
 * Entry point for the cdktf CLI (`npx cdktf synth|diff|deploy`, see cdktf.json).
 *   HSA_ENV          environment name(s), comma-separated, or "all"   (default: all)
 *   HSA_ACTIVE_SITE  preview a switchover without editing the file    (default: the file's activeSite)
 * The CLI sets CDKTF_OUTDIR; `npm run synth` (bin/synth.ts) is the faster, checked way to synthesize.
 */
import { join } from 'node:path';
import { EnvironmentError, listEnvironments, loadEnvironments } from './model/load-environment';
import { parseActiveSite, parseEnvList, UsageError } from './pipeline/options';
import { renderConsoleFindings } from './compliance/report';
import { synthesizeAndCheck } from './pipeline/synthesize-and-check';
import { buildPlatform } from './stacks/platform-app';

const ENVIRONMENTS_DIR = join(__dirname, 'environments');

try {
  const requested = parseEnvList(process.env.HSA_ENV ?? 'all', 'HSA_ENV');
  const names = requested === 'all' ? listEnvironments(ENVIRONMENTS_DIR) : requested;
  const activeSite = parseActiveSite(process.env.HSA_ACTIVE_SITE, 'HSA_ACTIVE_SITE');
  const environments = loadEnvironments(ENVIRONMENTS_DIR, names);
  const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  const results = synthesizeAndCheck(buildPlatform(outdir, environments, { activeSite }));
  const errors = results.flatMap((r) => renderConsoleFindings(r).filter((line) => line.startsWith('error')));
  if (errors.length > 0) {
    // Same gate as `npm run synth`: error-level compliance findings stop a deploy.
    console.error(`compliance: ${errors.length} error-level finding(s)\n${errors.map((l) => `  - ${l}`).join('\n')}`);
    process.exit(1);
  }
} catch (error) {
  if (error instanceof EnvironmentError || error instanceof UsageError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
