import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockOutput, OutputLockedError, outputPaths, repairOutput, swapOutput, type SwapStep } from '../pipeline/output-swap';
import { synthesizeWithReport } from '../pipeline/synthesize';
import { ENVIRONMENTS_DIR, PROJECT_ROOT } from './support/fixtures';

let work: string;
beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'output-swap-'))));
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** An output with one stack, its version in a file, and (old outputs) Terraform working state. */
function output(dir: string, version: string, withState: boolean): void {
  mkdirSync(join(dir, 'stacks', 'demo-core-a'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ stacks: { 'demo-core-a': {} } }));
  writeFileSync(join(dir, 'stacks', 'demo-core-a', 'cdk.tf.json'), version);
  if (withState) {
    mkdirSync(join(dir, 'stacks', 'demo-core-a', '.terraform'), { recursive: true });
    writeFileSync(join(dir, 'stacks', 'demo-core-a', '.terraform', 'terraform.tfstate'), 'backend state');
    writeFileSync(join(dir, 'stacks', 'demo-core-a', '.terraform.lock.hcl'), 'provider locks');
  }
}

function expectWhole(out: string, versions: readonly string[]): string {
  const version = readFileSync(join(out, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8');
  expect(versions).toContain(version);
  expect(readFileSync(join(out, 'stacks', 'demo-core-a', '.terraform', 'terraform.tfstate'), 'utf8')).toBe('backend state');
  expect(readFileSync(join(out, 'stacks', 'demo-core-a', '.terraform.lock.hcl'), 'utf8')).toBe('provider locks');
  expect(readdirSync(join(out, '..')).filter((n) => n.startsWith('.'))).toEqual([]);
  return version;
}

const STEPS: SwapStep[] = ['written', 'old-moved-aside', 'new-in-place', 'state-moved', 'done'];

describe('the output swap: killed or failing at any step, the next run finds the old or the new output, whole', () => {
  test.each(STEPS)('killed (SIGKILL) at %s', (step) => {
    const paths = outputPaths(join(work, 'cdktf.out'));
    output(paths.out, 'old', true);
    output(paths.fresh, 'new', false);
    const script = `require(${JSON.stringify(join(PROJECT_ROOT, 'pipeline', 'output-swap.ts'))}).swapOutput(${JSON.stringify(paths)}, (at) => { if (at === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); });`;
    const run = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script]);
    expect(run.signal).toBe('SIGKILL');
    repairOutput(paths);
    const version = expectWhole(paths.out, ['old', 'new']);
    // Once the new output is in place it stays.
    if (step !== 'written' && step !== 'old-moved-aside') expect(version).toBe('new');
  });

  test.each(STEPS)('an error thrown at %s', (step) => {
    const paths = outputPaths(join(work, 'cdktf.out'));
    output(paths.out, 'old', true);
    output(paths.fresh, 'new', false);
    expect(() =>
      swapOutput(paths, (at) => {
        if (at === step) throw new Error(`fault at ${at}`);
      }),
    ).toThrow(`fault at ${step}`);
    repairOutput(paths);
    expectWhole(paths.out, ['old', 'new']);
  });

  test('a first synthesis (no previous output) and the stale scratch of an older run are handled', () => {
    const paths = outputPaths(join(work, 'cdktf.out'));
    mkdirSync(join(work, '.cdktf.out.tmp-99999', 'stacks'), { recursive: true });
    output(paths.fresh, 'new', false);
    swapOutput(paths);
    repairOutput(paths);
    expect(readFileSync(join(paths.out, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8')).toBe('new');
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    // Two processes start tsx and synthesize one after the other: a bound, not a speed measurement (a
    // loaded 2-core CI machine took more than jest's default 5 s).
  }, 60_000);
});

describe('one synthesis at a time per output directory', () => {
  test('fails when another live run holds the directory, naming it', () => {
    const paths = outputPaths(join(work, 'cdktf.out'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      mkdirSync(paths.lock);
      writeFileSync(join(paths.lock, 'owner.json'), JSON.stringify({ pid: holder.pid, command: 'synth --env guangdong', startedAt: '2026-12-01T10:00:00.000Z' }));
      expect(() => lockOutput(paths, 300, 'synth --env demo')).toThrow(OutputLockedError);
      expect(() => lockOutput(paths, 300, 'synth --env demo')).toThrow(`is being written by process ${holder.pid} (synth --env guangdong, since 2026-12-01T10:00:00.000Z)`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a lock left by a run that died is taken over', () => {
    const paths = outputPaths(join(work, 'cdktf.out'));
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mkdirSync(paths.lock);
    writeFileSync(join(paths.lock, 'owner.json'), JSON.stringify({ pid: dead, command: 'synth', startedAt: 'then' }));
    const release = lockOutput(paths, 1000, 'synth --env demo');
    expect(JSON.parse(readFileSync(join(paths.lock, 'owner.json'), 'utf8')).pid).toBe(process.pid);
    release();
    expect(existsSync(paths.lock)).toBe(false);
  });

  test('two syntheses into one directory at once: the second waits, both succeed, the output is whole', async () => {
    const out = join(work, 'cdktf.out');
    const synth = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), join(PROJECT_ROOT, 'bin', 'synth.ts'), '--env', 'demo', '--out', out, '--cache', 'off', '--reports', join(work, 'reports')], { stdio: 'ignore' });
        child.once('exit', resolve);
      });
    expect(await Promise.all([synth(), synth()])).toEqual([0, 0]);
    const reference = join(work, 'reference');
    synthesizeWithReport({ envs: ['demo'], outdir: reference, environmentsDir: ENVIRONMENTS_DIR }, join(work, 'reports-ref'));
    for (const stack of readdirSync(join(reference, 'stacks'))) {
      expect(readFileSync(join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8')).toBe(readFileSync(join(reference, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    }
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    // Two processes start tsx and synthesize one after the other: a bound, not a speed measurement (a
    // loaded 2-core CI machine took more than jest's default 5 s).
  }, 60_000);
});
