/**
 * The README's "Adding a province" steps, followed on a copy of the project as a newcomer would: copy
 * demo.json to a new name, fill in the province's own code, domain and addresses, synthesize it with
 * `npm run synth -- --env <name>`, then run the tests that check every environment. A test that lists
 * the provinces by hand would fail here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './support/fixtures';
import { environmentShape } from '../model/environment-schema';

jest.setTimeout(180_000);

test('adding a province as the README says: it synthesizes, and the environment tests pass with it', () => {
  const copy = mkdtempSync(join(tmpdir(), 'front-door-'));
  try {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of files) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(PROJECT_ROOT, file), join(copy, file));
    }
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

    // Step 1: copy demo.json. Step 2: the province's own code, domain and addresses (10.10/10.20 -> 10.30/10.40).
    const demo = readFileSync(join(copy, 'environments', 'demo.json'), 'utf8');
    const province = demo
      .replace('"code": "990000"', '"code": "330000"')
      .replace('演示省 (demo province)', '浙江省')
      .replace('"hsa.demo.internal"', '"hsa.zj.internal"')
      .replace(/(["/])10\.10\./g, (_m, before: string) => `${before}10.30.`)
      .replace(/(["/])10\.20\./g, (_m, before: string) => `${before}10.40.`)
      .replace(/hsa-demo/g, 'hsa-zj')
      .replace(/demo-(public|core)-(a|b)/g, 'zj-$1-$2');
    writeFileSync(join(copy, 'environments', 'zj.json'), province);

    // Step 3: synthesize it until clean, then the tests.
    const synth = spawnSync('npm', ['run', 'synth', '--', '--env', 'zj', '--cache', 'off'], { cwd: copy, encoding: 'utf8' });
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    expect(synth.stdout).toContain('zj: GB/T 20988 level 5 (required 5), 0 error(s)');
    const tests = spawnSync(process.execPath, [join(copy, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/matrix.test.ts', 'test/environment-validation.test.ts', 'test/real-components.test.ts', '--verbose'], { cwd: copy, encoding: 'utf8' });
    expect({ status: tests.status, failures: tests.stderr.split('\n').filter((l) => l.includes('✕')) }).toEqual({ status: 0, failures: [] });
    // The matrix and the real-component tests ran for the new province too.
    expect(tests.stderr).toContain('environment zj');
    expect(tests.stderr).toContain('zj: every chart has an upstream source');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test("the README's field table names every field of the environment file, and no field it does not have", () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### The environment file'), readme.indexOf('## What a stack contains'));
  const rows = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
  const topLevel = new Set(rows.map((field) => field.split('.')[0]!));
  const shape = (environmentShape as unknown as { shape: Record<string, unknown> }).shape;
  expect([...topLevel].sort()).toEqual(Object.keys(shape).filter((key) => key !== '$schema').sort());
  expect(rows).toEqual(expect.arrayContaining(['sites.{A,B}.displayName', 'sites.{A,B}.zones.{public,core}']));
});

test("the README's sample output of npm run synth is what it prints for the demo province (timings aside)", () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const sample = /`npm run synth` prints every stack[^\n]*\n\n```\n([\s\S]*?)```/.exec(readme)![1]!.split('\n').filter((line) => line && line !== '...');
  const out = mkdtempSync(join(tmpdir(), 'readme-sample-'));
  try {
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'run.js'), 'synth', '--env', 'demo', '--out', join(out, 'cdktf.out'), '--cache', 'off'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const printed = run.stdout.split('\n').map((line) => line.replace(/ to \S+ in \d+ ms$/, ' to cdktf.out in N ms'));
    for (const line of sample) expect(printed).toContain(line.replace(/ in \d+ ms$/, ' in N ms'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the README's reuse example is examples/readme-reuse.js, which the package test runs against the tarball", () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const shown = /\(\[examples\/readme-reuse\.js\][\s\S]*?```js\n([\s\S]*?)```/.exec(readme)![1]!;
  const file = readFileSync(join(PROJECT_ROOT, 'examples', 'readme-reuse.js'), 'utf8').split('\n').filter((line) => !line.startsWith('//')).join('\n');
  expect(shown).toBe(file);
});
