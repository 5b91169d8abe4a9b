/**
 * The incremental synthesis cache: what one environment synthesized to, stored under a key made of
 * everything that can change that output, so an unchanged environment is copied instead of built.
 *
 * The key covers
 *   - the environment: its name and its validated content (written canonically, so reformatting the
 *     file does not miss, and any value that changes does),
 *   - the synthesis options (active site override, compliance packs on or off),
 *   - the toolkit's code: every source file, the compiler version and tsconfig.json (pipeline/build-key.js, the launcher's key),
 *   - the dependencies: package-lock.json, the installed version of every package that writes output,
 *     and the Node.js version,
 *   - the process environment variables cdktf reads while synthesizing (CDKTF_*, SYNTH_*).
 * A change to any of these gives another key: the old entry is never served for it (test/synth-cache.test.ts
 * changes each one). Entries are written to a scratch directory and renamed into place, so a crash leaves
 * no half-written entry; an entry missing a file is treated as absent.
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stableStringify } from '../engine/stable-json';
import { projectRoot } from './options';
import { processRunning } from './output-swap';

/** Bump when the layout of an entry changes. */
const ENTRY_FORMAT = 3;
/** Entries kept per environment name (older ones are removed when a new one is stored). */
const ENTRIES_PER_ENVIRONMENT = 4;
/** Packages whose code shapes the synthesized output. */
const OUTPUT_PACKAGES = ['cdktf', 'constructs', '@cdktf/provider-kubernetes', '@cdktf/provider-helm', 'zod'];

export interface CacheKeyInputs {
  /** What is being cached: `synth` (stacks and compliance) or another producer's own kind. */
  readonly kind: string;
  readonly envName: string;
  /** The environment as validated (any JSON value). */
  readonly environment: unknown;
  /** Options that change the output; `undefined` values are left out. */
  readonly options: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly code: string;
  readonly dependencies: string;
  readonly processEnvironment: Readonly<Record<string, string>>;
}

/** `<envName>.<sha256 of everything>`: the name part lets old entries of an environment be pruned. */
export function cacheKey(inputs: CacheKeyInputs): string {
  const hash = createHash('sha256')
    .update(stableStringify({ format: ENTRY_FORMAT, ...inputs }) ?? '')
    .digest('hex');
  return `${inputs.envName}.${hash}`;
}

interface BuildScript {
  sources(root?: string): string[];
  buildKey(files: readonly string[], root?: string): string;
  projectBuildKey(): string;
}

/**
 * The toolkit's code, as bin/run.js keys its compiled tree: every source, the compiler, tsconfig.json,
 * the lock files. For the project itself this is the key the launcher already computed at start. Required
 * by its path at run time, not bundled: the bundle then shares the launcher's module and its key.
 */
export function codeFingerprint(root: string = projectRoot()): string {
  const build = require(join(projectRoot(), 'pipeline', 'build-key.js')) as BuildScript;
  return root === projectRoot() ? build.projectBuildKey() : build.buildKey(build.sources(root), root);
}

/** The lock file, the installed versions of the packages that write output, and Node.js itself. */
export function dependencyFingerprint(root: string = projectRoot()): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(root, 'package-lock.json')));
  for (const name of OUTPUT_PACKAGES) {
    const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [root] }), 'utf8')) as { version: string };
    hash.update(`${name}@${manifest.version}\n`);
  }
  hash.update(process.version);
  return hash.digest('hex');
}

/** The variables cdktf reads during synthesis (HCL output, context, annotations handling). */
export function synthesisProcessEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    if ((name.startsWith('CDKTF_') || name.startsWith('SYNTH_')) && env[name] !== undefined) picked[name] = env[name]!;
  }
  return picked;
}

/** One stack of a cached environment: its directory under `stacks/` and its manifest entry. */
export interface CachedStack {
  readonly name: string;
  readonly manifestEntry: Record<string, unknown>;
  readonly resources: number;
}

export interface CacheEntry<Extra> {
  readonly envName: string;
  readonly stacks: readonly CachedStack[];
  /** Whatever else the producer needs back (for synth: the compliance results). */
  readonly extra: Extra;
}

interface StoredEntry<Extra> extends CacheEntry<Extra> {
  readonly format: number;
  /** SHA-256 of every stored file, checked before an entry is served: a damaged or edited entry is a miss. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * SHA-256 of the key and of this index without this field: the index itself (the stacks, the
   * compliance results in `extra`, the file hashes) is checked too, not only the files it lists.
   */
  readonly digest: string;
}

/** The digest an entry's index carries: its key and its content. */
function indexDigest(key: string, index: Omit<StoredEntry<unknown>, 'digest'>): string {
  return sha256(Buffer.from(`${key}\n${JSON.stringify(index)}`, 'utf8'));
}

/** Where the cache lives and the fingerprints of code and dependencies (computed once, at start). */
export interface SynthCacheSettings {
  readonly store: SynthCache;
  readonly fingerprints: { readonly code: string; readonly dependencies: string };
}

export function synthCacheSettings(directory: string): SynthCacheSettings {
  return { store: new SynthCache(directory), fingerprints: { code: codeFingerprint(), dependencies: dependencyFingerprint() } };
}

/** Steps of a store a test can stop at (kill or error), to prove the cache sound after any of them. */
export type StoreStep = 'files-copied' | 'entry-written' | 'old-moved-aside' | 'renamed';

export class SynthCache {
  constructor(
    readonly directory: string,
    private readonly fault: (step: StoreStep) => void = () => undefined,
  ) {}

  /**
   * Copies a cached environment's stack directories into `outdir/stacks/` and returns its entry, or
   * returns `undefined` (and copies nothing) when there is no complete entry under the key.
   */
  restore<Extra>(key: string, outdir: string): CacheEntry<Extra> | undefined {
    const dir = join(this.directory, key);
    const entry = this.readEntry<Extra>(dir);
    if (!entry) return undefined;
    // The kernel copies each file; what was copied is then checked against its recorded hash, read back
    // in small chunks (no copy of the entry in memory). An entry edited or cut short is not served: what
    // was copied of it is removed again, and the caller synthesizes instead.
    const copied: string[] = [];
    try {
      for (const [file, hash] of Object.entries(entry.files)) {
        const target = join(outdir, file);
        mkdirSync(join(target, '..'), { recursive: true });
        copyFileSync(join(dir, file), target);
        copied.push(target);
        if (sha256OfFile(target) !== hash) throw new Error(`${file}: not the bytes the entry recorded`);
      }
    } catch {
      // Damaged, edited, or removed under us by another run's pruning: a miss.
      for (const file of copied) rmSync(file, { force: true });
      return undefined;
    }
    return { envName: entry.envName, stacks: entry.stacks, extra: entry.extra };
  }

  /**
   * Stores the stacks of one environment, read from `outdir/stacks/<name>/`. Safe against other runs
   * storing the same key at the same time: the entry is built aside and renamed into place whole; if
   * another run got there first with a sound entry, that one stays (the same key means the same bytes).
   */
  store<Extra>(key: string, entry: CacheEntry<Extra>, outdir: string): void {
    mkdirSync(this.directory, { recursive: true });
    this.removeLeftovers();
    const scratch = join(this.directory, `.tmp-${process.pid}-${key}`);
    rmSync(scratch, { recursive: true, force: true });
    try {
      const files: Record<string, string> = {};
      for (const stack of entry.stacks) {
        const stackDir = join('stacks', stack.name);
        mkdirSync(join(scratch, stackDir), { recursive: true });
        for (const name of readdirSync(join(outdir, stackDir))) {
          const file = join(stackDir, name);
          if (!statSync(join(outdir, file)).isFile()) continue;
          const bytes = readFileSync(join(outdir, file));
          writeFileSync(join(scratch, file), bytes);
          files[file] = sha256(bytes);
        }
      }
      this.fault('files-copied');
      const index = { format: ENTRY_FORMAT, envName: entry.envName, stacks: entry.stacks, extra: entry.extra, files };
      const stored: StoredEntry<Extra> = { ...index, digest: indexDigest(key, index) };
      writeFileSync(join(scratch, 'entry.json'), JSON.stringify(stored));
      this.fault('entry-written');
      const final = join(this.directory, key);
      if (this.readEntry(final) && this.restoreCheck(final)) return;
      // A damaged entry under the key is moved aside, never deleted in place under a reader.
      try {
        renameSync(final, join(this.directory, `.trash-${process.pid}-${key}`));
      } catch (error) {
        // Nothing there, or another run moved it first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      this.fault('old-moved-aside');
      try {
        renameSync(scratch, final);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another run renamed its (identical) entry into place between our check and our rename.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(join(this.directory, `.trash-${process.pid}-${key}`), { recursive: true, force: true });
    }
    this.fault('renamed');
    this.prune(entry.envName, key);
  }

  /** Scratch and trash directories of stores whose process is gone (killed mid-store). */
  private removeLeftovers(): void {
    for (const name of readdirSync(this.directory)) {
      const owner = /^\.(?:tmp|trash)-(\d+)-/.exec(name)?.[1];
      if (owner === undefined || Number(owner) === process.pid || processRunning(Number(owner))) continue;
      rmSync(join(this.directory, name), { recursive: true, force: true });
    }
  }

  /** Whether every file of the entry in `dir` matches its recorded hash. */
  private restoreCheck(dir: string): boolean {
    try {
      const entry = this.readEntry(dir);
      return entry !== undefined && Object.entries(entry.files).every(([file, hash]) => sha256(readFileSync(join(dir, file))) === hash);
    } catch {
      return false;
    }
  }

  private readEntry<Extra>(dir: string): StoredEntry<Extra> | undefined {
    let entry: StoredEntry<Extra>;
    try {
      entry = JSON.parse(readFileSync(join(dir, 'entry.json'), 'utf8')) as StoredEntry<Extra>;
    } catch {
      return undefined;
    }
    if (entry.format !== ENTRY_FORMAT) return undefined;
    const { digest, ...index } = entry;
    // An index edited by hand (a compliance result, a resource count) is a miss like a damaged file.
    if (digest !== indexDigest(basename(dir), index)) return undefined;
    return entry;
  }

  /** Keeps the newest few entries of an environment name. */
  private prune(envName: string, keep: string): void {
    const ofEnvironment = new RegExp(`^${envName}\\.[0-9a-f]{64}$`);
    const older = readdirSync(this.directory)
      .filter((key) => key !== keep && ofEnvironment.test(key))
      // An entry another run removed meanwhile has no time: it is gone already.
      .map((key) => ({ key, mtimeMs: statSync(join(this.directory, key), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const old of older.slice(ENTRIES_PER_ENVIRONMENT - 1)) rmSync(join(this.directory, old.key), { recursive: true, force: true });
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One chunk buffer for every file read back: restoring allocates nothing per file. */
const CHUNK = Buffer.allocUnsafe(1 << 20);

function sha256OfFile(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    for (let read = readSync(fd, CHUNK, 0, CHUNK.length, null); read > 0; read = readSync(fd, CHUNK, 0, CHUNK.length, null)) hash.update(CHUNK.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
