import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { PROJECT_ROOT } from './support/fixtures';

/**
 * The import structure, drawn from the sources (docs/architecture.md explains it): layers point one way,
 * and only the adapter reaches into cdktf.
 */
const sources = spawnSync('git', ['ls-files', '*.ts'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
  .stdout.split('\n')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('test/'));

/**
 * Every module a source imports or requires: project paths relative to the root, packages as written.
 * A `require` whose path is computed from segments (`require(join(projectRoot(), 'pipeline', 'x.js'))`,
 * or from `__dirname`) counts too: a bundler leaves it alone, the layers must not.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|^import\s+|require\(\s*|import\(\s*)'([^']+)'/gm)].map((m) => m[1]!);
  const computed = [...text.matchAll(/require\(\s*join\(\s*([\w.()]+)\s*,((?:\s*'[^']+'\s*,?)+)\)\s*\)/g)].map((m) => {
    const segments = [...m[2]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
    return m[1] === '__dirname' ? normalize(join(dirname(file), ...segments)) : normalize(join(...segments));
  });
  return [...specifiers.map((s) => (s.startsWith('.') ? normalize(join(dirname(file), s)) : s)), ...computed];
}

const edges = sources.flatMap((file) => importsOf(file).map((target) => ({ file, target })));
const layer = (path: string) => path.split('/')[0]!;
const violations = (from: string, to: readonly string[]) => edges.filter((e) => layer(e.file) === from && to.some((t) => e.target === t || e.target.startsWith(`${t}/`))).map((e) => `${e.file} -> ${e.target}`);

test('sources were found', () => {
  expect(sources.length).toBeGreaterThan(100);
});

test('constructs, stacks and the engine never import compliance; compliance never imports constructs, stacks or the engine', () => {
  expect(violations('constructs', ['compliance', 'stacks', 'pipeline', 'bin', 'review'])).toEqual([]);
  expect(violations('stacks', ['compliance', 'pipeline', 'bin', 'review'])).toEqual([]);
  expect(violations('engine', ['compliance', 'stacks', 'pipeline', 'bin', 'review'])).toEqual([]);
  expect(violations('compliance', ['constructs', 'stacks', 'engine', 'pipeline', 'bin', 'review', 'adapter'])).toEqual([]);
});

test('bin/ holds entry points only: no other module imports or requires it, computed paths included', () => {
  expect(edges.filter((e) => layer(e.file) !== 'bin' && (e.target === 'bin' || e.target.startsWith('bin/'))).map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  expect(edges.filter((e) => layer(e.file) === 'bin' && e.target.startsWith('bin/')).map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  // The computed require of the build key is seen (it once pointed into bin/).
  expect(edges).toContainEqual({ file: 'pipeline/synth-cache.ts', target: 'pipeline/build-key.js' });
});

test('the model and the output vocabulary depend on nothing of the toolkit but the model (and the plans and schemas of the kinds)', () => {
  expect(violations('model', ['constructs', 'stacks', 'compliance', 'pipeline', 'bin', 'review', 'synthesized', 'adapter', 'switchover'])).toEqual([]);
  // A kind's plan and environment part are model-level data kept in its folder: the model may read them, nothing else of pairs/.
  const modelLevel = /^pairs\/[a-z-]+\/[a-z-]+-(plan|schema|monitoring|images|backup)$/;
  expect(edges.filter((e) => layer(e.file) === 'model' && e.target.startsWith('pairs/') && !modelLevel.test(e.target)).map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  expect(edges.filter((e) => modelLevel.test(e.file.replace(/\.ts$/, '')) && e.target.startsWith('.') === false && /^(constructs|stacks|engine|compliance|pipeline|bin|review|adapter|switchover|pairs)\//.test(e.target) && !modelLevel.test(e.target)).map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  expect(violations('synthesized', ['constructs', 'stacks', 'compliance', 'pipeline', 'bin', 'review', 'adapter'])).toEqual([]);
});

test('readers of the output (review, compliance) import no rule file and no engine; bench and pipeline import no entry point', () => {
  expect(edges.filter((e) => layer(e.file) !== 'compliance' && e.target.startsWith('compliance/rules/')).map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  expect(violations('review', ['stacks', 'constructs', 'adapter'])).toEqual([]);
  expect(violations('bench', ['bin'])).toEqual([]);
  expect(violations('pipeline', ['bin'])).toEqual([]);
});

test('pair kinds sit between the model and the orchestrators: no kind imports another kind, the orchestrator or a composer', () => {
  const kindOf = (path: string) => (/^pairs\/([a-z-]+)\//.exec(path) ?? [])[1];
  const crossKind = edges.filter((e) => {
    const [from, to] = [kindOf(e.file), kindOf(e.target)];
    return from !== undefined && to !== undefined && from !== to;
  });
  expect(crossKind.map((e) => `${e.file} -> ${e.target}`)).toEqual([]);
  // The switchover's journal is the one module of switchover/ a driver uses (its durable files).
  expect(violations('pairs', ['stacks', 'engine', 'compliance', 'pipeline', 'bin', 'review', 'constructs/platform', 'switchover/execute-switchover', 'switchover/cdktf-deployer'])).toEqual([]);
  // The orchestrator knows no kind by name: it reaches the kinds through the registry and the interface only.
  expect(edges.filter((e) => e.file === 'switchover/execute-switchover.ts' && e.target.startsWith('pairs/') && !['pairs/kind', 'pairs/registry'].includes(e.target)).map((e) => e.target)).toEqual([]);
  const code = readFileSync(join(PROJECT_ROOT, 'switchover/execute-switchover.ts'), 'utf8').split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*\*)/.test(line));
  expect(code.filter((line) => /\b(redis|kafka|fastdfs|cloudnative|database|postgres)/i.test(line))).toEqual([]);
});

test("only adapter/ reaches into cdktf's internals, private members and globals", () => {
  const internal = /cdktf\/lib\/|__cdktfTokenMap|Symbol\.for\('cdktf|\.rawOverrides\b|\.cdktfVersion\b|\._imported\b|Error\.captureStackTrace\s*=/;
  const offenders = sources
    .filter((file) => layer(file) !== 'adapter')
    .filter((file) => readFileSync(join(PROJECT_ROOT, file), 'utf8').split('\n').some((line) => internal.test(line) && !/^\s*(\*|\/\/)/.test(line)));
  expect(offenders).toEqual([]);
});

test('the L2 constructs take plain props: only the platform unit (L3) reads a model plan or the province', () => {
  // A plan or the province model in an L2 construct's props ties it to the toolkit's model; L3 maps
  // them field by field (constructs/platform/middleware-props.ts).
  const modelTypes = /\b(?:[A-Z][A-Za-z]*Plan|ProvinceModel|DeploymentUnit)\b/;
  const offenders = sources
    .filter((file) => layer(file) === 'constructs' && !file.startsWith('constructs/platform/'))
    .filter((file) => readFileSync(join(PROJECT_ROOT, file), 'utf8').split('\n').some((line) => modelTypes.test(line) && !/^\s*(\*|\/\/)/.test(line)));
  expect(offenders).toEqual([]);
});
