/**
 * `npm run review -- --base <git ref | directory> [--allow-destroy '<stack>/<address glob>'] [--out file]`
 * `npm run review -- --plan <plan.json> [--plan ...] [--stacks cdktf.out] [--allow-destroy ...] [--out file]`
 *
 * With `--plan`: the JSON of real plans (`tofu show -json <planfile>`, one per stack, as a province's CI
 * with cluster access makes it) instead of two syntheses, each matched to its stack in `--stacks` (the
 * synthesized output it was planned from, default cdktf.out) for the toolkit's annotations: the same
 * report, flags and exit codes, plus what changed in the clusters outside Terraform (review/real-plan.ts).
 *
 * Synthesizes the base and the working tree (every environment) and prints Markdown for one pull-request
 * comment: per environment and stack, what is added, changed and destroyed, data-holding resources at
 * risk, DR pairs that flip, an active-site change, A/B drift introduced and compliance findings added or
 * removed. The head is the working tree: uncommitted changes are included and the review says which
 * files they are in.
 *
 * Exit codes: 0 nothing at risk; 2 a data-holding resource would be destroyed, replaced or stripped of
 * prevent_destroy without acknowledgement (`--allow-destroy`, repeatable, or one glob per line in
 * `.review-ack`); 1 the review itself failed (bad arguments, a ref that is not there, a synthesis that
 * failed), with one line saying why.
 *
 * A git ref is checked out into a temporary worktree that reuses this checkout's node_modules; it is
 * removed on every exit, signals included, and worktrees left by a killed review are pruned first. A
 * directory is either synthesized output (holds manifest.json) or a checkout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTree, reviewTrees, unacknowledgedDataLoss, type EnvironmentReview, type SynthesizedTree } from '../review/plan-diff';
import { PlanReviewError, reviewPlans, type PlanJson } from '../review/real-plan';
import { renderReview } from '../review/render-review';
import { projectRoot, UsageError } from '../pipeline/options';

const PROJECT_ROOT = projectRoot();

interface ReviewArgs {
  readonly base?: string;
  readonly plans: readonly string[];
  readonly stacks: string;
  readonly allowDestroy: readonly string[];
  readonly out?: string;
  readonly root: string;
}

function parseArgs(argv: readonly string[]): ReviewArgs {
  let base: string | undefined;
  let out: string | undefined;
  let root = process.cwd();
  let stacks: string | undefined;
  const allowDestroy: string[] = [];
  const plans: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--base') base = value;
    else if (flag === '--allow-destroy') allowDestroy.push(value);
    else if (flag === '--out') out = value;
    else if (flag === '--root') root = resolve(value);
    else if (flag === '--plan') plans.push(value);
    else if (flag === '--stacks') stacks = value;
    else throw new UsageError(`unknown argument "${flag}"; expected --base <git ref or directory>, --plan <tofu show -json output>, --stacks <dir>, --allow-destroy <glob>, --out <file>`);
  }
  if (!base && plans.length === 0) throw new UsageError('--base: expected a git ref (e.g. origin/main) or a directory; or --plan <file> for real plans');
  if (base && plans.length > 0) throw new UsageError('--base and --plan: review either two syntheses or real plans, not both');
  return { ...(base ? { base } : {}), plans, stacks: resolve(root, stacks ?? 'cdktf.out'), allowDestroy, ...(out ? { out } : {}), root };
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

function baseTree(args: ReviewArgs & { readonly base: string }, work: string): { tree: SynthesizedTree; label: string } {
  const asDirectory = resolve(args.root, args.base);
  if (existsSync(join(asDirectory, 'manifest.json'))) {
    return { tree: readTree(asDirectory, existsSync(join(asDirectory, '..', 'reports')) ? join(asDirectory, '..', 'reports') : undefined), label: args.base };
  }
  if (existsSync(join(asDirectory, 'bin', 'synth.ts'))) {
    ensureNodeModules(asDirectory, args.root);
    return { tree: synthesizeCheckout(asDirectory, join(work, 'base')), label: args.base };
  }
  const worktree = join(work, 'base-checkout');
  let sha: string;
  try {
    sha = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${args.base}^{commit}`], { cwd: args.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new ReviewError(`--base "${args.base}" is not a git ref (commit, branch or tag) of ${args.root}, nor a synthesized output or a checkout directory`);
  }
  // Registrations of worktrees whose directories a killed review left behind.
  execFileSync('git', ['worktree', 'prune'], { cwd: args.root, stdio: 'ignore' });
  execFileSync('git', ['worktree', 'add', '--detach', worktree, sha], { cwd: args.root, stdio: 'ignore' });
  activeWorktree = { root: args.root, path: worktree };
  try {
    ensureNodeModules(worktree, args.root);
    return { tree: synthesizeCheckout(worktree, join(work, 'base')), label: `${args.base} (${sha.slice(0, 10)})` };
  } finally {
    removeWorktree();
  }
}

class ReviewError extends Error {}

function readPlan(file: string): PlanJson {
  if (!existsSync(file)) throw new ReviewError(`--plan ${file}: no such file`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PlanJson;
  } catch (error) {
    throw new ReviewError(`--plan ${file}: not JSON (${(error as Error).message}); expected the output of tofu show -json <planfile>`);
  }
}

/** The worktree being used, removed on any exit (see `main`). */
let activeWorktree: { root: string; path: string } | undefined;

function removeWorktree(): void {
  if (!activeWorktree) return;
  const { root, path } = activeWorktree;
  activeWorktree = undefined;
  try {
    execFileSync('git', ['worktree', 'remove', '--force', path], { cwd: root, stdio: 'ignore' });
  } catch {
    execFileSync('git', ['worktree', 'prune'], { cwd: root, stdio: 'ignore' });
  }
}

/** Files with uncommitted changes in the working tree (the head of the review includes them). */
function uncommittedFiles(root: string): string[] {
  try {
    return execFileSync('git', ['status', '--porcelain', '--untracked-files=normal', '--', '.'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
  } catch {
    return [];
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

/** Exit codes (see the module comment). */
const EXIT = { nothingAtRisk: 0, failed: 1, dataAtRisk: 2 } as const;

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'hsa-review-'));
  const cleanUp = () => {
    removeWorktree();
    rmSync(work, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      console.error(`review: stopped by ${signal}; nothing left behind`);
      process.exit(EXIT.failed);
    });
  }
  try {
    const args = parseArgs(process.argv.slice(2));
    let reviews: EnvironmentReview[];
    let label: string;
    let dirty: string[] = [];
    if (args.base === undefined) {
      if (!existsSync(join(args.stacks, 'stacks'))) throw new ReviewError(`--stacks ${args.stacks}: no synthesized stacks there; run npm run synth -- --env <name> with the active site the plans were made with`);
      reviews = reviewPlans(args.plans.map((file) => ({ file, plan: readPlan(resolve(args.root, file)) })), readTree(args.stacks).stacks);
      label = `the real plans ${args.plans.map((p) => `\`${p}\``).join(', ')}`;
    } else {
      const base = baseTree({ ...args, base: args.base }, work);
      const head = synthesizeCheckout(args.root, join(work, 'head'));
      reviews = reviewTrees(base.tree, head);
      label = base.label;
      dirty = uncommittedFiles(args.root);
    }
    const blocking = unacknowledgedDataLoss(reviews, acknowledgements(args.root, args.allowDestroy));
    const headNote = dirty.length > 0 ? `> [!NOTE]\n> The head is the working tree with uncommitted changes in: ${dirty.map((f) => `\`${f}\``).join(', ')}.\n\n` : '';
    const markdown = headNote + renderReview(reviews, blocking, label);
    if (args.out) writeFileSync(args.out, markdown);
    process.stdout.write(markdown);
    if (dirty.length > 0) console.error(`review: the head includes uncommitted changes in ${dirty.length} file(s): ${dirty.join(', ')}`);
    if (blocking.length > 0) {
      console.error(`review: ${blocking.length} data-holding resource(s) would be destroyed, replaced or lose prevent_destroy:\n${blocking.map((b) => `  - ${b}`).join('\n')}`);
      process.exitCode = EXIT.dataAtRisk;
    } else process.exitCode = EXIT.nothingAtRisk;
  } catch (error) {
    const message = error instanceof UsageError || error instanceof ReviewError || error instanceof PlanReviewError ? error.message : `${(error as Error).message.split('\n')[0]}`;
    console.error(`review: failed: ${message}`);
    process.exitCode = EXIT.failed;
  } finally {
    cleanUp();
  }
}

main();
