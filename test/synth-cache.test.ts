import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeWithReport } from '../pipeline/synthesize';
import { cacheKey, codeFingerprint, dependencyFingerprint, SynthCache, type CacheKeyInputs, type SynthCacheSettings } from '../pipeline/synth-cache';
import { ENVIRONMENTS_DIR, PROJECT_ROOT, readTree } from './support/fixtures';

function expectSameTree(actual: Map<string, string>, expected: Map<string, string>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [file, text] of expected) expect({ file, same: actual.get(file) === text }).toEqual({ file, same: true });
}

describe('cache key', () => {
  const base: CacheKeyInputs = {
    kind: 'synth',
    envName: 'demo',
    environment: { activeSite: 'A', sites: { A: { replicas: 2 } }, list: [1, 2] },
    options: { activeSite: undefined },
    code: 'code-1',
    dependencies: 'deps-1',
    processEnvironment: {},
  };
  const variants: Array<[string, CacheKeyInputs]> = [
    ['an environment value', { ...base, environment: { activeSite: 'A', sites: { A: { replicas: 3 } }, list: [1, 2] } }],
    ['the order of a list', { ...base, environment: { activeSite: 'A', sites: { A: { replicas: 2 } }, list: [2, 1] } }],
    ['the environment name', { ...base, envName: 'demo2' }],
    ['the active site option', { ...base, options: { activeSite: 'B' } }],
    ['the code', { ...base, code: 'code-2' }],
    ['the dependencies', { ...base, dependencies: 'deps-2' }],
    ['a cdktf process variable', { ...base, processEnvironment: { SYNTH_HCL_OUTPUT: 'true' } }],
    ['the producer', { ...base, kind: 'bench-fleet' }],
  ];

  test.each(variants)('changes with %s', (_what, changed) => {
    expect(cacheKey(changed)).not.toEqual(cacheKey(base));
  });

  test('does not change with the order keys were written in', () => {
    expect(cacheKey({ ...base, environment: { list: [1, 2], sites: { A: { replicas: 2 } }, activeSite: 'A' } })).toEqual(cacheKey(base));
  });
});

describe('fingerprints', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fingerprint-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('the code fingerprint changes when a source file changes, is added, or the compiler settings change', () => {
    for (const file of ['package.json', 'tsconfig.json', 'model/topology.ts', 'engine/stable-json.ts']) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      cpSync(join(PROJECT_ROOT, file), join(root, file));
    }
    const first = codeFingerprint(root);
    expect(codeFingerprint(root)).toEqual(first);
    writeFileSync(join(root, 'engine/stable-json.ts'), `${readFileSync(join(root, 'engine/stable-json.ts'), 'utf8')}\n// changed\n`);
    const second = codeFingerprint(root);
    expect(second).not.toEqual(first);
    mkdirSync(join(root, 'constructs'));
    writeFileSync(join(root, 'constructs', 'new-construct.ts'), 'export const x = 1;\n');
    const third = codeFingerprint(root);
    expect(third).not.toEqual(second);
    writeFileSync(join(root, 'tsconfig.json'), readFileSync(join(root, 'tsconfig.json'), 'utf8').replace('"strict"', '"strictNullChecks"'));
    expect(codeFingerprint(root)).not.toEqual(third);
  });

  test('the dependency fingerprint changes with the lock file and with an installed version', () => {
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
    for (const name of ['cdktf', 'constructs', '@cdktf/provider-kubernetes', '@cdktf/provider-helm', 'zod']) {
      mkdirSync(join(root, 'node_modules', name), { recursive: true });
      writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    }
    const first = dependencyFingerprint(root);
    expect(dependencyFingerprint(root)).toEqual(first);
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
    const second = dependencyFingerprint(root);
    expect(second).not.toEqual(first);
    writeFileSync(join(root, 'node_modules', '@cdktf/provider-helm', 'package.json'), JSON.stringify({ name: '@cdktf/provider-helm', version: '1.0.1' }));
    expect(dependencyFingerprint(root)).not.toEqual(second);
  });
});

describe('npm run synth with the cache', () => {
  let work: string;
  let environments: string;
  let cacheDir: string;
  const fingerprints = { code: 'code-1', dependencies: 'deps-1' };
  const settings = (changed: Partial<SynthCacheSettings['fingerprints']> = {}): SynthCacheSettings => ({ store: new SynthCache(cacheDir), fingerprints: { ...fingerprints, ...changed } });

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'synth-cache-'));
    environments = join(work, 'environments');
    cacheDir = join(work, 'cache');
    mkdirSync(environments);
    cpSync(join(ENVIRONMENTS_DIR, 'demo.json'), join(environments, 'demo.json'));
    cpSync(join(ENVIRONMENTS_DIR, 'ningxia.json'), join(environments, 'ningxia.json'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const run = (name: string, options: { cache?: SynthCacheSettings; activeSite?: 'A' | 'B' } = {}) => {
    const outdir = join(work, name);
    const result = synthesizeWithReport({ envs: 'all', outdir, environmentsDir: environments, ...options }, join(work, `${name}-reports`));
    return { result, tree: readTree(outdir), reports: readTree(join(work, `${name}-reports`)) };
  };

  test('an unchanged environment is copied from the cache, byte-identical to a fresh synthesis', () => {
    const fresh = run('fresh');
    const first = run('first', { cache: settings() });
    expect(first.result.fromCache).toEqual([]);
    const second = run('second', { cache: settings() });
    expect(second.result.fromCache).toEqual(['demo', 'ningxia']);
    expectSameTree(second.tree, fresh.tree);
    expectSameTree(second.reports, fresh.reports);
    expect(second.result.stacks).toEqual(fresh.result.stacks);
    expect(second.result.compliance.map((c) => c.drLevel.achievedLevel)).toEqual(fresh.result.compliance.map((c) => c.drLevel.achievedLevel));
  });

  test('each input change misses: environment content, active site, code, dependencies, cdktf variables', () => {
    run('warm', { cache: settings() });

    // The environment file: only the changed environment is synthesized again, and the output follows it.
    const demo = JSON.parse(readFileSync(join(environments, 'demo.json'), 'utf8')) as { activeSite: string };
    demo.activeSite = demo.activeSite === 'A' ? 'B' : 'A';
    writeFileSync(join(environments, 'demo.json'), JSON.stringify(demo, null, 2));
    const edited = run('edited', { cache: settings() });
    expect(edited.result.fromCache).toEqual(['ningxia']);
    expectSameTree(edited.tree, run('edited-fresh').tree);

    expect(run('site-b', { cache: settings(), activeSite: 'B' }).result.fromCache).toEqual([]);
    expect(run('site-b-again', { cache: settings(), activeSite: 'B' }).result.fromCache).toEqual(['demo', 'ningxia']);
    expect(run('code', { cache: settings({ code: 'code-2' }) }).result.fromCache).toEqual([]);
    expect(run('deps', { cache: settings({ dependencies: 'deps-2' }) }).result.fromCache).toEqual([]);

    process.env.CDKTF_CONTEXT_JSON = '{}';
    try {
      expect(run('variable', { cache: settings() }).result.fromCache).toEqual([]);
    } finally {
      delete process.env.CDKTF_CONTEXT_JSON;
    }
  });

  test('reformatting an environment file (same values) still hits', () => {
    run('warm', { cache: settings() });
    const demo = JSON.parse(readFileSync(join(environments, 'demo.json'), 'utf8')) as unknown;
    writeFileSync(join(environments, 'demo.json'), JSON.stringify(demo));
    expect(run('reformatted', { cache: settings() }).result.fromCache).toEqual(['demo', 'ningxia']);
  });

  test('a damaged entry is not served: the environment is synthesized again', () => {
    run('warm', { cache: settings() });
    const entry = readdirSync(cacheDir).find((name) => name.startsWith('demo.'))!;
    const stackFile = join(cacheDir, entry, 'stacks', 'demo-core-a', 'cdk.tf.json');
    writeFileSync(stackFile, readFileSync(stackFile, 'utf8').slice(0, 100));
    const again = run('again', { cache: settings() });
    expect(again.result.fromCache).toEqual(['ningxia']);
    expectSameTree(again.tree, run('again-fresh').tree);
  });

  test('an entry edited without changing its size is not served (content hash), and the next store repairs it', () => {
    run('warm', { cache: settings() });
    const entry = readdirSync(cacheDir).find((name) => name.startsWith('demo.'))!;
    const stackFile = join(cacheDir, entry, 'stacks', 'demo-core-b', 'cdk.tf.json');
    const original = readFileSync(stackFile, 'utf8');
    const tampered = original.replace('replicaof 10.10.2.21', 'replicaof 10.66.6.66');
    expect(tampered).not.toBe(original);
    expect(tampered.length).toBe(original.length);
    writeFileSync(stackFile, tampered);
    const again = run('tampered', { cache: settings() });
    expect(again.result.fromCache).toEqual(['ningxia']);
    expectSameTree(again.tree, run('tampered-fresh').tree);
    // The synthesis that missed stored a sound entry again under the same key.
    expect(readFileSync(stackFile, 'utf8')).toBe(original);
    expect(run('repaired', { cache: settings() }).result.fromCache).toEqual(['demo', 'ningxia']);
  });

  test('an entry whose index was edited (a compliance result, a resource count) is not served', () => {
    run('warm', { cache: settings() });
    const entry = readdirSync(cacheDir).find((name) => name.startsWith('demo.'))!;
    const indexFile = join(cacheDir, entry, 'entry.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { stacks: { name: string; resources: number }[] };
    index.stacks[0]!.resources += 1;
    writeFileSync(indexFile, JSON.stringify(index));
    const again = run('index-edited', { cache: settings() });
    expect(again.result.fromCache).toEqual(['ningxia']);
    expectSameTree(again.tree, run('index-edited-fresh').tree);
  });

  test('keeps a few entries per environment, dropping the oldest', () => {
    for (let i = 0; i < 6; i++) run(`code-${i}`, { cache: settings({ code: `code-${i}` }) });
    expect(readdirSync(cacheDir).filter((name) => name.startsWith('demo.')).length).toBe(4);
  });
});

describe('cache store under concurrency', () => {
  test('eight processes storing the same entry at once: none fails, the entry is whole and served', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cache-race-'));
    try {
      const outdir = join(work, 'out');
      mkdirSync(join(outdir, 'stacks', 'demo-core-a'), { recursive: true });
      writeFileSync(join(outdir, 'stacks', 'demo-core-a', 'cdk.tf.json'), JSON.stringify({ resource: { x: 'y'.repeat(200_000) } }));
      const cache = join(work, 'cache');
      const script = [
        `const { SynthCache } = require(${JSON.stringify(join(PROJECT_ROOT, 'pipeline', 'synth-cache.ts'))});`,
        `const entry = { envName: 'demo', stacks: [{ name: 'demo-core-a', manifestEntry: {}, resources: 1 }], extra: {} };`,
        `for (let i = 0; i < 20; i++) new SynthCache(${JSON.stringify(cache)}).store('demo.${'a'.repeat(64)}', entry, ${JSON.stringify(outdir)});`,
      ].join('\n');
      const { spawn } = await import('node:child_process');
      const exits = await Promise.all(
        Array.from({ length: 8 }, () =>
          new Promise<{ code: number | null; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
            let stderr = '';
            child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
            child.once('exit', (code) => resolve({ code, stderr }));
          }),
        ),
      );
      expect(exits.filter((e) => e.code !== 0).map((e) => e.stderr)).toEqual([]);
      const restored = join(work, 'restored');
      expect(new SynthCache(cache).restore(`demo.${'a'.repeat(64)}`, restored)).toBeDefined();
      expect(readFileSync(join(restored, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8')).toBe(readFileSync(join(outdir, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8'));
      expect(readdirSync(cache).filter((n) => n.startsWith('.'))).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    // Eight tsx processes on a 2-core machine: a bound, not a speed measurement.
  }, 60_000);
});

describe('cache store killed at any step', () => {
  test.each(['files-copied', 'entry-written', 'old-moved-aside', 'renamed'])('killed (SIGKILL) at %s: the entry is absent or sound, never served damaged, and the next store cleans up', (step) => {
    const work = mkdtempSync(join(tmpdir(), 'cache-kill-'));
    try {
      const outdir = join(work, 'out');
      mkdirSync(join(outdir, 'stacks', 'demo-core-a'), { recursive: true });
      const stackFile = join(outdir, 'stacks', 'demo-core-a', 'cdk.tf.json');
      writeFileSync(stackFile, JSON.stringify({ resource: { x: 'y'.repeat(100_000) } }));
      const cache = join(work, 'cache');
      const key = `demo.${'b'.repeat(64)}`;
      const entry = { envName: 'demo', stacks: [{ name: 'demo-core-a', manifestEntry: {}, resources: 1 }], extra: {} };
      // A damaged entry under the key first, so the store also moves one aside.
      new SynthCache(cache).store(key, entry, outdir);
      writeFileSync(join(cache, key, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'damaged');
      const script = [
        `const { SynthCache } = require(${JSON.stringify(join(PROJECT_ROOT, 'pipeline', 'synth-cache.ts'))});`,
        `new SynthCache(${JSON.stringify(cache)}, (at) => { if (at === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); }).store(${JSON.stringify(key)}, ${JSON.stringify(entry)}, ${JSON.stringify(outdir)});`,
      ].join('\n');
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      expect(spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script]).signal).toBe('SIGKILL');
      const restored = join(work, 'restored');
      const served = new SynthCache(cache).restore(key, restored);
      if (served) expect(readFileSync(join(restored, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8')).toBe(readFileSync(stackFile, 'utf8'));
      new SynthCache(cache).store(key, entry, outdir);
      expect(new SynthCache(cache).restore(key, join(work, 'again'))).toBeDefined();
      expect(readFileSync(join(work, 'again', 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8')).toBe(readFileSync(stackFile, 'utf8'));
      expect(readdirSync(cache).filter((n) => n.startsWith('.'))).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
