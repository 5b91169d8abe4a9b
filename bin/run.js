#!/usr/bin/env node
/**
 * Runs a command of bin/ as compiled JavaScript, compiling first when any source changed.
 *
 *   node bin/run.js synth --env guangdong      (what `npm run synth` does)
 *
 * Loading TypeScript through a transpiler at every start costs about half a second; compiled JS starts
 * at once. Each command is bundled into one file with its dependencies (cdktf alone is hundreds of small
 * modules, and resolving them was a sizeable part of a province's synthesis), without comments and
 * indentation (a quarter smaller, and pure ASCII: read and parsed faster). The compiled tree (.build/) is
 * keyed on the content of every source file, the compiler's version, tsconfig.json and the installed
 * packages (package-lock.json and node_modules/.package-lock.json): a changed byte anywhere rebuilds,
 * so it never runs stale code. Type checking stays with `npm run typecheck` / `npm test`.
 *
 * A command is compiled by V8 from a code cache kept beside its bundle (`<command>.js.v8-cache`), made
 * at the end of its first run with everything that run compiled. V8 checks the cache against the source,
 * its own version and flags and ignores one that does not match (a new cache is then written).
 */
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUILD = join(ROOT, '.build');
/**
 * Every TypeScript file of the project is a source except these top-level directories: tests and
 * examples are not part of any command, the rest is output, installed packages or scratch. A list of
 * what to include instead once missed switchover/, backup/ and conformance/: a change there ran stale.
 */
const NOT_SOURCE_DIRS = new Set(['node_modules', 'test', 'examples', 'dist', 'cdktf.out', 'cdktf.out.examples', 'coverage', 'reports', 'scratch', 'terraform-state', 'environments', 'docs']);
/** Bundled separately because bench.ts starts them as processes of their own. */
const BENCH_ENTRIES = ['bench/bench.ts', 'bench/worker.ts', 'bench/naive.ts'];
/** Loaded at run time from node_modules. */
const NOT_BUNDLED = ['esbuild'];
/** What the installed packages are (a bundle contains them). */
const LOCK_FILES = ['package-lock.json', 'node_modules/.package-lock.json'];

function sources(root = ROOT) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = dir === '' ? entry.name : join(dir, entry.name);
      if (entry.isDirectory()) {
        // Hidden directories (.build, .cache, .git, .gen...) and the top-level non-sources are skipped.
        if (!entry.name.startsWith('.') && !(dir === '' && NOT_SOURCE_DIRS.has(entry.name))) walk(rel);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(rel);
    }
  };
  walk('');
  return files.sort();
}

/** Key of the compiled tree: every source's content, the compiler version and the compiler settings. */
function buildKey(files, root = ROOT) {
  const hash = createHash('sha256');
  hash.update(require('esbuild/package.json').version);
  hash.update(readFileSync(join(root, 'tsconfig.json')));
  for (const lock of LOCK_FILES) if (existsSync(join(root, lock))) hash.update(readFileSync(join(root, lock)));
  for (const file of files) {
    hash.update(file);
    hash.update(readFileSync(join(root, file)));
  }
  return hash.digest('hex');
}

function entryPoints(files) {
  return files.filter((f) => f.startsWith('bin/') || BENCH_ENTRIES.includes(f));
}

function compile(files, key) {
  const { buildSync } = require('esbuild');
  const scratch = `${BUILD}.tmp-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: entryPoints(files),
    outdir: scratch,
    outbase: '.',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: NOT_BUNDLED,
    minifyWhitespace: true,
    logLevel: 'error',
  });
  writeFileSync(join(scratch, 'build-key'), key);
  rmSync(BUILD, { recursive: true, force: true });
  renameSync(scratch, BUILD);
}

/** The project's build key, once per process (the launcher computes it; the synthesis cache reuses it). */
let projectKey;
function projectBuildKey() {
  projectKey ??= buildKey(sources());
  return projectKey;
}

function ensureBuilt() {
  const files = sources();
  const key = (projectKey = buildKey(files));
  const keyFile = join(BUILD, 'build-key');
  if (!existsSync(keyFile) || readFileSync(keyFile, 'utf8') !== key) compile(files, key);
}

module.exports = { sources, buildKey, projectBuildKey, BUILD };

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  // `synth` means bin/synth.ts; a path such as `bench/bench` names any compiled source.
  const target = command && command.includes('/') ? command : `bin/${command}`;
  if (!command || !entryPoints(sources()).includes(`${target}.ts`)) {
    console.error(`usage: node bin/run.js <command> [args]; commands: ${readdirSync(join(ROOT, 'bin')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).join(', ')}`);
    process.exit(2);
  }
  ensureBuilt();
  // Run the compiled command as the main module, as if started directly.
  const file = join(BUILD, `${target}.js`);
  process.argv = [process.argv[0], file, ...args];
  runWithCodeCache(file);
}

/**
 * Runs a compiled command as the main module, compiled from its code cache when V8 accepts it. Without
 * a usable cache, one is written when the process exits (renamed into place whole), so it holds what
 * this run compiled.
 */
function runWithCodeCache(file) {
  const Module = require('node:module');
  const vm = require('node:vm');
  const { dirname } = require('node:path');
  const cacheFile = `${file}.v8-cache`;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const scratch = `${cacheFile}.tmp-${process.pid}`;
        writeFileSync(scratch, script.createCachedData());
        renameSync(scratch, cacheFile);
      } catch {
        // A cache is only ever a speed-up.
      }
    });
  }
  const main = new Module(file, null);
  main.filename = file;
  main.paths = Module._nodeModulePaths(dirname(file));
  main.loaded = true;
  const mainRequire = Module.createRequire(file);
  mainRequire.main = main;
  process.mainModule = main;
  script.runInThisContext()(main.exports, mainRequire, main, file, dirname(file));
}
