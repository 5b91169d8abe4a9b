/**
 * The package as a consumer gets it: a plain `npm pack` (its `prepack` builds dist/), the tarball unpacked into a scratch
 * project whose cdktf, constructs and providers are its own (the peer dependencies, here the versions
 * this project tests with), and the README's reuse example (examples/readme-reuse.js) synthesized there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './support/fixtures';

jest.setTimeout(120_000);

test('the packed tarball holds the library only, with cdktf, constructs and the providers as peers, and the README example synthesizes from it', () => {
  const work = mkdtempSync(join(tmpdir(), 'package-'));
  try {
    // A plain `npm pack`, as a consumer or a publish runs it: `prepack` builds dist/ first.
    rmSync(join(PROJECT_ROOT, 'dist'), { recursive: true, force: true });
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    // Besides dist/: the business figures service as deployed (a ConfigMap carries this very file).
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'business/figures-server.js'].includes(f))).toEqual([]);
    expect(files).toContain('business/figures-server.js');
    expect(files.filter((f) => /^dist\/(bin|bench|test|examples|conformance|review|diagram)\//.test(f))).toEqual([]);

    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@cdktf/provider-helm', '@cdktf/provider-kubernetes', 'cdktf', 'constructs']);
    for (const peer of Object.keys(manifest.peerDependencies)) expect(manifest.dependencies[peer]).toBeUndefined();

    // A consumer project: the tarball installed, the peers its own (one copy of cdktf for both).
    const project = join(work, 'consumer');
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, 'hsa-dr-toolkit'), { recursive: true });
    execFileSync('tar', ['-xzf', join(work, packed!.filename), '-C', join(modules, 'hsa-dr-toolkit'), '--strip-components=1']);
    mkdirSync(join(modules, '@cdktf'), { recursive: true });
    for (const name of ['cdktf', 'constructs', 'zod', 'yaml', '@cdktf/provider-helm', '@cdktf/provider-kubernetes']) symlinkSync(join(PROJECT_ROOT, 'node_modules', name), join(modules, name), 'dir');
    const out = join(project, 'cdktf.out');
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'examples', 'readme-reuse.js'), out], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_PATH: modules } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const standby = JSON.parse(readFileSync(join(out, 'stacks', 'bank-b', 'cdk.tf.json'), 'utf8')) as { resource: { helm_release: Record<string, { values: string[] }> } };
    const [release] = Object.values(standby.resource.helm_release);
    expect(release!.values[0]).toContain('replicaof 172.20.1.21 6379');
    expect(existsSync(join(out, 'stacks', 'bank-a', 'cdk.tf.json'))).toBe(true);

    // A TypeScript consumer with the compiler options of a default `tsc --init` (an ES module project)
    // type-checks code that uses the package's types.
    execFileSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['--init'], { cwd: project, stdio: 'pipe' });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module' }));
    symlinkSync(join(PROJECT_ROOT, 'node_modules', '@types'), join(modules, '@types'), 'dir');
    writeFileSync(
      join(project, 'index.ts'),
      [
        "import { App, TerraformStack } from 'cdktf';",
        "import { RedisDrPair, type RedisDrPairProps } from 'hsa-dr-toolkit';",
        'const app = new App();',
        "const props: Partial<RedisDrPairProps> = { zone: 'core', site: 'A' };",
        'export const used = [RedisDrPair, new TerraformStack(app, "s"), props];',
        '',
      ].join('\n'),
    );
    const typecheck = spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.'], { cwd: project, encoding: 'utf8' });
    expect(typecheck.stdout + typecheck.stderr).toBe('');
    expect(typecheck.status).toBe(0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
