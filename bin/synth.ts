/**
 * `npm run synth [-- --env <name>|<a,b>|all] [--active-site A|B] [--out <dir>]`
 *
 * Validates every requested environment first, synthesizes into a scratch directory, and only then
 * replaces the output directory: bad input leaves the previous output exactly as it was. Prints each
 * stack with its resource count.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EnvironmentError, listEnvironments, loadEnvironments } from '../model/load-environment';
import { buildPlatformApp } from '../stacks/platform-app';
import { parseActiveSite, parseEnvList, readFlags, UsageError, type SynthOptions } from './options';

const PROJECT_ROOT = resolve(__dirname, '..');

export interface StackSummary {
  readonly stack: string;
  readonly resources: number;
}

/** Synthesizes atomically; returns the stacks written, in manifest order. */
export function synthesize(options: SynthOptions): StackSummary[] {
  const names = options.envs === 'all' ? listEnvironments(options.environmentsDir) : options.envs;
  const environments = loadEnvironments(options.environmentsDir, names);

  const outdir = resolve(options.outdir);
  const scratch = join(dirname(outdir), `.${basename(outdir)}.tmp-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  try {
    buildPlatformApp(scratch, environments, { activeSite: options.activeSite }).synth();
    const summary = summarize(scratch);
    replaceDirectory(outdir, scratch);
    return summary;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function summarize(outdir: string): StackSummary[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  return Object.entries(manifest.stacks).map(([stack, entry]) => {
    const config = JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
    const resources = Object.values(config.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    return { stack, resources };
  });
}

/**
 * Swaps the new output in with renames. Terraform's working files from earlier deploys
 * (`.terraform/`, `.terraform.lock.hcl`) are carried over so providers need not be installed again.
 */
function replaceDirectory(outdir: string, fresh: string): void {
  if (existsSync(outdir)) {
    for (const stack of listStackDirs(fresh)) {
      for (const kept of ['.terraform', '.terraform.lock.hcl']) {
        const previous = join(outdir, 'stacks', stack, kept);
        if (existsSync(previous)) renameSync(previous, join(fresh, 'stacks', stack, kept));
      }
    }
    const old = join(dirname(outdir), `.${basename(outdir)}.old-${process.pid}`);
    renameSync(outdir, old);
    renameSync(fresh, outdir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(fresh, outdir);
  }
}

function listStackDirs(outdir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, unknown> };
  return Object.keys(manifest.stacks);
}

export function parseSynthArgs(argv: readonly string[]): SynthOptions {
  const flags = readFlags(argv, ['env', 'active-site', 'out']);
  return {
    envs: parseEnvList(flags.get('env') ?? 'demo', '--env'),
    activeSite: parseActiveSite(flags.get('active-site'), '--active-site'),
    outdir: flags.get('out') ?? 'cdktf.out',
    environmentsDir: join(PROJECT_ROOT, 'environments'),
  };
}

function main(): void {
  const started = process.hrtime.bigint();
  try {
    const options = parseSynthArgs(process.argv.slice(2));
    const stacks = synthesize(options);
    const width = Math.max(...stacks.map((s) => s.stack.length), 5);
    console.log(`${'stack'.padEnd(width)}  resources`);
    for (const s of stacks) console.log(`${s.stack.padEnd(width)}  ${String(s.resources).padStart(9)}`);
    const total = stacks.reduce((n, s) => n + s.resources, 0);
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const site = options.activeSite ? ` (active site overridden: ${options.activeSite})` : '';
    console.log(`${stacks.length} stacks, ${total} resources written to ${options.outdir}${site} in ${ms} ms`);
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof UsageError) {
      console.error(error.message);
      console.error('nothing was written: the output directory is unchanged.');
      process.exit(1);
    }
    throw error;
  }
}

if (require.main === module) main();
