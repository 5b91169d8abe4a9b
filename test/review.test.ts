import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './support/fixtures';

/** A real git repository holding this project, with `main` as the base of the change under review. */
let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'review-repo-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    cpSync(join(PROJECT_ROOT, file), join(repo, file));
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

function review(...args: string[]) {
  const tsx = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs');
  return spawnSync(process.execPath, ['--require', tsx, 'bin/review.ts', '--base', 'main', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
}

function edit(file: string, from: string, to: string): void {
  const path = join(repo, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  writeFileSync(path, text.replace(from, to));
}

test('a branch that renames the Redis construct id is flagged as destroying data, and the review exits non-zero', () => {
  git('checkout', '-q', '-b', 'rename-redis');
  edit('constructs/middleware/middleware-set.ts', "new Construct(this, 'Redis')", "new Construct(this, 'RedisPairs')");
  git('commit', '-q', '-am', 'rename');
  const result = review();
  expect(result.status).toBe(2);
  expect(result.stdout).toContain('data-holding resource(s) would be destroyed, replaced or lose prevent_destroy');
  expect(result.stdout).toMatch(/- destroy `helm_release\.Platform_Middleware_Redis_redis-cache_[0-9A-F]+` \*\*\(holds data\)\*\* \(replaced: same object now at helm_release\.Platform_Middleware_RedisPairs_redis-cache_/);
  expect(result.stderr).toContain('demo-core-a/helm_release.Platform_Middleware_Redis_redis-cache_');
  // Once acknowledged, the same change passes.
  expect(review('--allow-destroy', '*/helm_release.Platform_Middleware_Redis_*').status).toBe(0);
  git('checkout', '-q', 'main');
});

test('a change of activeSite lists the switchover and every pair that flips', () => {
  git('checkout', '-q', '-b', 'switch-to-b');
  edit('environments/demo.json', '"activeSite": "A"', '"activeSite": "B"');
  git('commit', '-q', '-am', 'switch');
  const result = review();
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('**Active site changes: A -> B**');
  for (const line of [
    '- `demo-core-a` redis-cache: primary -> standby',
    '- `demo-core-b` redis-cache: standby -> primary',
    '- `demo-core-a` kafka: primary -> standby',
    '- `demo-core-b` fastdfs: standby -> primary',
    '- `demo-public-b` redis-session: standby -> primary',
  ]) {
    expect(result.stdout).toContain(line);
  }
  expect(result.stdout).not.toContain('(holds data)');
  git('checkout', '-q', 'main');
});

test('uncommitted changes are reviewed and labelled; removing prevent_destroy is flagged like a destroy (exit 2)', () => {
  const demo = JSON.parse(readFileSync(join(repo, 'environments', 'demo.json'), 'utf8')) as { middleware?: Record<string, unknown> };
  demo.middleware = { ...(demo.middleware ?? {}), preventDestroy: false };
  writeFileSync(join(repo, 'environments', 'demo.json'), `${JSON.stringify(demo, null, 2)}\n`);
  try {
    const result = review();
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('The head is the working tree with uncommitted changes in: `environments/demo.json`');
    expect(result.stdout).toMatch(/- change `helm_release\.Platform_Middleware_Redis_redis-session_[0-9A-F]+` \*\*\(holds data: prevent_destroy removed\)\*\*/);
    expect(result.stderr).toContain('uncommitted changes in 1 file(s): environments/demo.json');
  } finally {
    git('checkout', '--', 'environments/demo.json');
  }
});

test('fails with one clear line and exit 1 for a base that is not a ref, and leaves no worktree behind', () => {
  const result = review('--base', 'no-such-branch');
  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual(['review: failed: --base "no-such-branch" is not a git ref (commit, branch or tag) of ' + repo + ', nor a synthesized output or a checkout directory']);
  expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
});
