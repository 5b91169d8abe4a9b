import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../pipeline/synthesize';
import { EnvironmentError } from '../model/load-environment';
import { environmentJson, ENVIRONMENTS_DIR, PROJECT_ROOT, readTree } from './support/fixtures';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'synth-cli-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

test('synthesizing twice, from different working directories, gives byte-identical output', () => {
  const first = join(work, 'first');
  const second = join(work, 'nested', 'second');
  mkdirSync(join(work, 'nested'));
  synthesize({ envs: 'all', outdir: first, environmentsDir: ENVIRONMENTS_DIR });
  const cwd = process.cwd();
  try {
    process.chdir(join(work, 'nested'));
    synthesize({ envs: 'all', outdir: 'second', environmentsDir: ENVIRONMENTS_DIR });
  } finally {
    process.chdir(cwd);
  }
  const a = readTree(first);
  const b = readTree(second);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [file, text] of a) expect({ file, same: b.get(file) === text }).toEqual({ file, same: true });
});

test('the output holds no absolute path, no machine-specific directory and no timestamp', () => {
  synthesize({ envs: 'all', outdir: join(work, 'out'), environmentsDir: ENVIRONMENTS_DIR });
  const text = [...readTree(join(work, 'out')).values()].join('\n');
  // `/tmp` alone is a legitimate container mount path; a file under the machine's temp dir is not.
  for (const machineSpecific of [PROJECT_ROOT, `${tmpdir()}/`, homedir(), work]) expect(text).not.toContain(machineSpecific);
  expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  expect(text).not.toMatch(/"(\/|[A-Z]:\\)[^"]*\.(ts|js|tfstate)"/);
});

test('returns each stack with its resource count, in manifest order', () => {
  const stacks = synthesize({ envs: ['demo'], outdir: join(work, 'out'), environmentsDir: ENVIRONMENTS_DIR });
  expect(stacks.map((s) => s.stack)).toEqual(['demo-core-a', 'demo-core-b', 'demo-public-a', 'demo-public-b']);
  for (const s of stacks) {
    const json = JSON.parse(readFileSync(join(work, 'out', 'stacks', s.stack, 'cdk.tf.json'), 'utf8')) as { resource: Record<string, object> };
    expect(s.resources).toBe(Object.values(json.resource).reduce((n, byName) => n + Object.keys(byName).length, 0));
  }
});

test('fails for a misspelled key and leaves the previous output exactly as it was', () => {
  const out = join(work, 'out');
  synthesize({ envs: ['demo'], outdir: out, environmentsDir: ENVIRONMENTS_DIR });
  const before = readTree(out);
  const envs = join(work, 'environments');
  cpSync(ENVIRONMENTS_DIR, envs, { recursive: true });
  const bad = environmentJson();
  bad.activSite = bad.activeSite!;
  delete bad.activeSite;
  writeFileSync(join(envs, 'demo.json'), JSON.stringify(bad));
  expect(() => synthesize({ envs: ['demo'], outdir: out, environmentsDir: envs })).toThrow(EnvironmentError);
  expect(() => synthesize({ envs: ['demo'], outdir: out, environmentsDir: envs })).toThrow(/demo\.json: activSite: unknown key "activSite" \(did you mean "activeSite"\?\)/);
  expect(readTree(out)).toEqual(before);
  expect(readdirSync(work).filter((f) => f.startsWith('.out.'))).toEqual([]);
});

test('fails when a replication pair is removed: the DR level drops below 5 and the missing element is named', () => {
  const out = join(work, 'out');
  synthesize({ envs: ['demo'], outdir: out, environmentsDir: ENVIRONMENTS_DIR });
  const before = readTree(out);
  const envs = join(work, 'environments');
  cpSync(ENVIRONMENTS_DIR, envs, { recursive: true });
  const unpaired = environmentJson();
  unpaired.middleware = { unpaired: ['kafka'] };
  writeFileSync(join(envs, 'demo.json'), JSON.stringify(unpaired));
  expect(() => synthesize({ envs: ['demo'], outdir: out, environmentsDir: envs }, join(work, 'reports'))).toThrow(
    /GBT20988-Level \[demo\] GB\/T 20988 level 5: 关键数据实时复制: reaches level 4 of the required 5: .*no real-time replication for kafka in the core zone/,
  );
  expect(readTree(out)).toEqual(before);
  const report = JSON.parse(readFileSync(join(work, 'reports', 'demo.compliance.json'), 'utf8')) as { drLevel: { achieved: number; blockingNextLevel: string[] } };
  expect(report.drLevel).toMatchObject({ achieved: 4, blockingNextLevel: ['real-time-replication'] });
});

test('a province without a backup target drops below level 5, naming the elements, and writes nothing', () => {
  const out = join(work, 'out-no-backup');
  synthesize({ envs: ['demo'], outdir: out, environmentsDir: ENVIRONMENTS_DIR }, join(work, 'reports'));
  const before = readTree(out);
  const envs = join(work, 'environments-no-backup');
  cpSync(ENVIRONMENTS_DIR, envs, { recursive: true });
  const withoutBackup = environmentJson();
  delete withoutBackup.backup;
  writeFileSync(join(envs, 'demo.json'), JSON.stringify(withoutBackup));
  expect(() => synthesize({ envs: ['demo'], outdir: out, environmentsDir: envs }, join(work, 'reports'))).toThrow(
    /GBT20988-Level \[demo\] GB\/T 20988 level 1: 备份介质场外存放: reaches level 0 of the required 5: .*\(no backup built for demo-public-a, demo-public-b, demo-core-a, demo-core-b: declare `backup` in the environment\)/,
  );
  expect(readTree(out)).toEqual(before);
  const report = JSON.parse(readFileSync(join(work, 'reports', 'demo.compliance.json'), 'utf8')) as { drLevel: { achieved: number; blockingNextLevel: string[] } };
  expect(report.drLevel.achieved).toBe(0);
  expect(report.drLevel.blockingNextLevel).toEqual(['offsite-backup-media']);
});

test('writes a compliance report per environment, JSON and Markdown, saying why the level is reached', () => {
  synthesize({ envs: ['demo'], outdir: join(work, 'out'), environmentsDir: ENVIRONMENTS_DIR }, join(work, 'reports'));
  const report = JSON.parse(readFileSync(join(work, 'reports', 'demo.compliance.json'), 'utf8')) as { errors: number; drLevel: { achieved: number; required: number } };
  expect(report).toMatchObject({ errors: 0, drLevel: { achieved: 5, required: 5 } });
  expect(readFileSync(join(work, 'reports', 'demo.compliance.md'), 'utf8')).toContain('**GB/T 20988 disaster-recovery level (灾难恢复等级): 5** (required: 5)');
});

test('keeps Terraform working files of earlier deploys when it replaces the output', () => {
  const out = join(work, 'out');
  synthesize({ envs: ['demo'], outdir: out, environmentsDir: ENVIRONMENTS_DIR });
  writeFileSync(join(out, 'stacks', 'demo-core-a', '.terraform.lock.hcl'), '# providers\n');
  synthesize({ envs: ['demo'], outdir: out, environmentsDir: ENVIRONMENTS_DIR });
  expect(existsSync(join(out, 'stacks', 'demo-core-a', '.terraform.lock.hcl'))).toBe(true);
});

describe('the command line', () => {
  const tsx = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const run = (args: string[]) => spawnSync(tsx, ['bin/synth.ts', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });

  test('npm run synth -- --env demo prints every stack with its resource count', () => {
    const result = run(['--env', 'demo', '--out', join(work, 'cli-out')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/demo-core-a\s+\d+/);
    expect(result.stdout).toMatch(/4 stacks, \d+ resources written to /);
  });

  test('fails for --active-site C with a usage message and exit code 1', () => {
    const result = run(['--env', 'demo', '--active-site', 'C', '--out', join(work, 'cli-out')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--active-site: received "C"; expected A or B');
    expect(existsSync(join(work, 'cli-out'))).toBe(false);
  });

  test('fails for an unknown flag', () => {
    const result = run(['--environment', 'demo']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown argument "--environment"');
  });

  test('the cdktf entry point (main.ts) honours HSA_ENV and HSA_ACTIVE_SITE', () => {
    const outdir = join(work, 'cdktf-out');
    execFileSync(tsx, ['main.ts'], { cwd: PROJECT_ROOT, env: { ...process.env, HSA_ENV: 'ningxia', HSA_ACTIVE_SITE: 'B', CDKTF_OUTDIR: outdir }, timeout: 60_000 });
    expect(readdirSync(join(outdir, 'stacks')).sort()).toEqual(['ningxia-core-a', 'ningxia-core-b', 'ningxia-public-a', 'ningxia-public-b']);
  });
});
