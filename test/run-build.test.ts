import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './support/fixtures';

// The build key is plain JavaScript (bin/run.js needs it before any TypeScript is compiled).
const run = require('../pipeline/build-key.js') as { sources(root?: string): string[]; buildKey(files: string[], root?: string): string };

test('the compiled tree covers every TypeScript file the project tracks outside test/ and examples/', () => {
  const files = run.sources();
  const tracked = spawnSync('git', ['ls-files', '*.ts'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
    .stdout.split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('test/') && !f.startsWith('examples/'));
  expect(tracked.length).toBeGreaterThan(100);
  expect(tracked.filter((f) => !files.includes(f))).toEqual([]);
  expect(files).toEqual(expect.arrayContaining(['switchover/execute-switchover.ts', 'backup/restore-verify.ts', 'conformance/helm.ts']));
  expect(files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/'))).toBe(false);
});

test('any changed byte of a source, or of tsconfig.json, gives a new build key (never a stale build)', () => {
  const root = mkdtempSync(join(tmpdir(), 'run-key-'));
  try {
    for (const entry of ['bin', 'model', 'tsconfig.json', 'main.ts']) cpSync(join(PROJECT_ROOT, entry), join(root, entry), { recursive: true });
    const key = () => run.buildKey(run.sources(root), root);
    const original = key();
    expect(key()).toBe(original);
    writeFileSync(join(root, 'model', 'catalog.ts'), `${'// changed\n'}${readFileSync(join(PROJECT_ROOT, 'model', 'catalog.ts'), 'utf8')}`);
    const afterSource = key();
    expect(afterSource).not.toBe(original);
    writeFileSync(join(root, 'tsconfig.json'), '{}');
    expect(key()).not.toBe(afterSource);
    writeFileSync(join(root, 'model', 'new-file.ts'), 'export const x = 1;\n');
    expect(run.sources(root)).toContain('model/new-file.ts');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a command runs the same with its V8 code cache, without one, and with a damaged one (which is replaced)', () => {
  const launch = () => spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'run.js'), 'runbook', '--env', 'demo', '--to', 'B'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
  const cacheFile = join(PROJECT_ROOT, '.build', 'bin', 'runbook.js.v8-cache');
  const first = launch();
  expect(first.status).toBe(0);
  rmSync(cacheFile, { force: true });
  const withoutCache = launch();
  expect(withoutCache.stdout).toEqual(first.stdout);
  expect(existsSync(cacheFile)).toBe(true);
  expect(launch().stdout).toEqual(first.stdout);
  writeFileSync(cacheFile, 'not a code cache');
  const withDamagedCache = launch();
  expect(withDamagedCache.status).toBe(0);
  expect(withDamagedCache.stdout).toEqual(first.stdout);
  expect(readFileSync(cacheFile, 'utf8')).not.toBe('not a code cache');
}, 180_000);
