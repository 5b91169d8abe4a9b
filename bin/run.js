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
const { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const { sources, buildKey, rememberProjectBuildKey } = require('../pipeline/build-key.js');
const BUILD = join(ROOT, '.build');
/** Bundled separately because bench.ts starts them as processes of their own. */
const BENCH_ENTRIES = ['bench/bench.ts', 'bench/worker.ts', 'bench/naive.ts'];
/** Loaded at run time from node_modules. */
const NOT_BUNDLED = ['esbuild'];

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

function ensureBuilt() {
  const files = sources();
  const key = buildKey(files);
  rememberProjectBuildKey(key);
  const keyFile = join(BUILD, 'build-key');
  if (!existsSync(keyFile) || readFileSync(keyFile, 'utf8') !== key) compile(files, key);
}

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
