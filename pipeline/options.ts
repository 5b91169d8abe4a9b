/**
 * Command-line and environment-variable options shared by the entry points. Entry points are the only
 * code that reads process.argv or process.env; everything below them gets plain values.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENVIRONMENT_NAME } from '../model/load-environment';
import type { Site } from '../model/topology';
import type { SynthCacheSettings } from './synth-cache';
import type { SwapStep } from './output-swap';

/**
 * The project root (where package.json is), found from a command's own location: the same whether it
 * runs from bin/ through tsx or compiled from .build/bin/.
 */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export interface SynthOptions {
  /** Environment names, or `all`. */
  readonly envs: readonly string[] | 'all';
  readonly activeSite?: Site;
  readonly outdir: string;
  readonly environmentsDir: string;
  /** The incremental synthesis cache; absent: synthesize everything. */
  readonly cache?: SynthCacheSettings;
  /** How long to wait for another synthesis into the same directory. @default 120 s */
  readonly lockWaitMs?: number;
  /** A test's fault injection into the output swap (HSA_SYNTH_FAULT). @default none */
  readonly fault?: (step: SwapStep) => void;
}

export class UsageError extends Error {}

export function parseActiveSite(value: string | undefined, source: string): Site | undefined {
  if (value === undefined || value === '') return undefined;
  const upper = value.toUpperCase();
  if (upper === 'A' || upper === 'B') return upper;
  throw new UsageError(`${source}: received "${value}"; expected A or B`);
}

export function parseEnvList(value: string, source: string): readonly string[] | 'all' {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`${source}: expected an environment name, a comma-separated list, or "all"`);
  const notNames = names.filter((n) => n !== 'all' && !ENVIRONMENT_NAME.test(n));
  if (notNames.length > 0) {
    throw new UsageError(`${source}: received ${notNames.map((n) => `"${n}"`).join(', ')}; expected environment names (2-16 lowercase letters or digits, the file name in environments/ without .json), not paths`);
  }
  return names.includes('all') ? 'all' : names;
}

/** Reads `--flag value` / `--flag=value` pairs; unknown flags are errors. */
export function readFlags(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match || !known.includes(match[1]!)) {
      throw new UsageError(`unknown argument "${arg}"; expected ${known.map((k) => `--${k} <value>`).join(', ')}`);
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    flags.set(match[1]!, value);
  }
  return flags;
}
