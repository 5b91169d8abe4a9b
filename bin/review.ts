/**
 * `npm run review -- --base <git ref | directory> [--allow-destroy '<stack>/<address glob>'] [--out file]`
 *
 * Synthesizes the base and the working tree (every environment) and prints Markdown for one pull-request
 * comment: per environment and stack, what is added, changed and destroyed, data-holding resources at
 * risk, DR pairs that flip, an active-site change, A/B drift introduced and compliance findings added or
 * removed. Exits 1 when a data-holding resource would be destroyed or replaced without acknowledgement
 * (`--allow-destroy`, repeatable, or one glob per line in `.review-ack`).
 *
 * A git ref is checked out into a temporary worktree (removed afterwards) that reuses this checkout's
 * node_modules; a directory is either synthesized output (holds manifest.json) or a checkout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTree, reviewTrees, unacknowledgedDataLoss, type SynthesizedTree } from '../review/plan-diff';
import { renderReview } from '../review/render-review';
import { projectRoot, UsageError } from './options';

const PROJECT_ROOT = projectRoot();

interface ReviewArgs {
  readonly base: string;
  readonly allowDestroy: readonly string[];
  readonly out?: string;
  readonly root: string;
}

function parseArgs(argv: readonly string[]): ReviewArgs {
  let base: string | undefined;
  let out: string | undefined;
  let root = process.cwd();
  const allowDestroy: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--base') base = value;
    else if (flag === '--allow-destroy') allowDestroy.push(value);
    else if (flag === '--out') out = value;
    else if (flag === '--root') root = resolve(value);
    else throw new UsageError(`unknown argument "${flag}"; expected --base <git ref or directory>, --allow-destroy <glob>, --out <file>`);
  }
  if (!base) throw new UsageError('--base: expected a git ref (e.g. origin/main) or a directory');
  return { base, allowDestroy, ...(out ? { out } : {}), root };
}

/** Synthesizes a checkout with its own bin/synth.ts (so the base is built by the base's code). */
function synthesizeCheckout(checkout: string, work: string): SynthesizedTree {
  const out = join(work, 'out');
  const reports = join(work, 'reports');
  mkdirSync(work, { recursive: true });
  const tsx = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs');
  const run = (extra: string[]) =>
    spawnSync(process.execPath, ['--require', tsx, 'bin/synth.ts', '--env', 'all', '--out', out, '--reports', reports, ...extra], { cwd: checkout, encoding: 'utf8', timeout: 300_000 });
  let result = run(['--compliance', 'report-only']);
  // An older base may not know the flag: it then synthesizes with its own gate.
  if (result.status !== 0 && /unknown argument "--compliance"/.test(result.stderr)) result = run([]);
  if (result.status !== 0) throw new Error(`synthesis of ${checkout} failed:\n${result.stderr || result.stdout}`);
  return readTree(out, reports);
}

function baseTree(args: ReviewArgs, work: string): { tree: SynthesizedTree; label: string } {
  const asDirectory = resolve(args.root, args.base);
  if (existsSync(join(asDirectory, 'manifest.json'))) {
    return { tree: readTree(asDirectory, existsSync(join(asDirectory, '..', 'reports')) ? join(asDirectory, '..', 'reports') : undefined), label: args.base };
  }
  if (existsSync(join(asDirectory, 'bin', 'synth.ts'))) {
    ensureNodeModules(asDirectory, args.root);
    return { tree: synthesizeCheckout(asDirectory, join(work, 'base')), label: args.base };
  }
  const worktree = join(work, 'base-checkout');
  const sha = execFileSync('git', ['rev-parse', '--verify', `${args.base}^{commit}`], { cwd: args.root, encoding: 'utf8' }).trim();
  execFileSync('git', ['worktree', 'add', '--detach', worktree, sha], { cwd: args.root, stdio: 'ignore' });
  try {
    ensureNodeModules(worktree, args.root);
    return { tree: synthesizeCheckout(worktree, join(work, 'base')), label: `${args.base} (${sha.slice(0, 10)})` };
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: args.root, stdio: 'ignore' });
  }
}

function ensureNodeModules(checkout: string, root: string): void {
  const target = join(checkout, 'node_modules');
  if (!existsSync(target)) symlinkSync(join(existsSync(join(root, 'node_modules')) ? root : PROJECT_ROOT, 'node_modules'), target, 'dir');
}

function acknowledgements(root: string, fromFlags: readonly string[]): string[] {
  const file = join(root, '.review-ack');
  const fromFile = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
  return [...fromFlags, ...fromFile];
}

function main(): void {
  let args: ReviewArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), 'hsa-review-'));
  try {
    const base = baseTree(args, work);
    const head = synthesizeCheckout(args.root, join(work, 'head'));
    const reviews = reviewTrees(base.tree, head);
    const blocking = unacknowledgedDataLoss(reviews, acknowledgements(args.root, args.allowDestroy));
    const markdown = renderReview(reviews, blocking, base.label);
    if (args.out) writeFileSync(args.out, markdown);
    process.stdout.write(markdown);
    if (blocking.length > 0) {
      console.error(`review: ${blocking.length} data-holding resource(s) would be destroyed or replaced:\n${blocking.map((b) => `  - ${b}`).join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
