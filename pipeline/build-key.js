/**
 * The key of the project's compiled tree (bin/run.js) and of the toolkit's code in the synthesis cache
 * (pipeline/synth-cache.ts): every source's content, the compiler's version and settings, the installed
 * packages. Plain JavaScript: the launcher needs it before anything is compiled. One module instance per
 * process (both require it by its path), so the launcher's key is computed once and reused.
 */
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
/**
 * Every TypeScript file of the project is a source except these top-level directories: tests and
 * examples are not part of any command, the rest is output, installed packages or scratch. A list of
 * what to include instead once missed switchover/, backup/ and conformance/: a change there ran stale.
 */
const NOT_SOURCE_DIRS = new Set(['node_modules', 'test', 'examples', 'dist', 'cdktf.out', 'cdktf.out.examples', 'coverage', 'reports', 'scratch', 'terraform-state', 'environments', 'docs']);
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

/** The project's build key, once per process (the launcher computes it; the synthesis cache reuses it). */
let projectKey;
function projectBuildKey() {
  projectKey ??= buildKey(sources());
  return projectKey;
}

/** The launcher computed the key already (it compares it with the compiled tree's). */
function rememberProjectBuildKey(key) {
  projectKey = key;
}


module.exports = { sources, buildKey, projectBuildKey, rememberProjectBuildKey };
