/** Shared test fixtures: environments as mutable copies, and synthesis into throw-away directories. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { App, TerraformStack } from 'cdktf';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../compliance/types';
import { loadEnvironmentFile, parseEnvironment, type LoadedEnvironment } from '../../model/load-environment';
import { buildPlatformApp } from '../../stacks/platform-app';

export const PROJECT_ROOT = join(__dirname, '..', '..');
export const ENVIRONMENTS_DIR = join(PROJECT_ROOT, 'environments');

/** A deep, mutable copy of an environment file's JSON, for making variations. */
export function environmentJson(name = 'demo'): JsonObject {
  return JSON.parse(readFileSync(join(ENVIRONMENTS_DIR, `${name}.json`), 'utf8')) as JsonObject;
}

export function loadEnvironment(name = 'demo'): LoadedEnvironment {
  return loadEnvironmentFile(join(ENVIRONMENTS_DIR, `${name}.json`));
}

/** Validates an in-memory environment as if it were `environments/<name>.json`. */
export function parseJson(json: unknown, name = 'demo'): LoadedEnvironment {
  return parseEnvironment(name, `environments/${name}.json`, JSON.stringify(json));
}

export interface SynthesizedStack {
  readonly resource: Record<string, Record<string, JsonObject>>;
  readonly provider: Record<string, JsonObject[]>;
  readonly terraform: JsonObject;
  readonly variable?: Record<string, JsonObject>;
  readonly [key: string]: unknown;
}

/** Synthesizes environments into a temporary directory; returns every stack's cdk.tf.json by name. */
export function synthesizeStacks(environments: readonly LoadedEnvironment[], options: { activeSite?: 'A' | 'B' } = {}): Map<string, SynthesizedStack> {
  const outdir = mkdtempSync(join(tmpdir(), 'hsa-synth-'));
  try {
    buildPlatformApp(outdir, environments, options).synth();
    const stacks = new Map<string, SynthesizedStack>();
    for (const name of readdirSync(join(outdir, 'stacks')).sort()) {
      stacks.set(name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as SynthesizedStack);
    }
    return stacks;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * One stack built by `build` in an App of its own (no stack traces, as the toolkit's), synthesized into a
 * temporary directory that is removed again; returns its cdk.tf.json. For testing a construct alone.
 */
export function synthesizeStack(stackName: string, build: (stack: TerraformStack) => void): SynthesizedStack {
  return withTempDir((outdir) => {
    const app = new App({ outdir, stackTraces: false });
    build(new TerraformStack(app, stackName));
    app.synth();
    return JSON.parse(readFileSync(join(outdir, 'stacks', stackName, 'cdk.tf.json'), 'utf8')) as SynthesizedStack;
  });
}

/** Resources of one type in a stack, by construct path (the `//` metadata), with bodies. */
export function resourcesByPath(stack: SynthesizedStack, type: string): Map<string, JsonObject> {
  const found = new Map<string, JsonObject>();
  for (const body of Object.values(stack.resource[type] ?? {})) {
    const path = ((body['//'] as JsonObject).metadata as JsonObject).path as string;
    found.set(path, body);
  }
  return found;
}

/** The single resource at a construct path (`<stack>/...`), failing loudly when absent. */
export function resourceAt(stack: SynthesizedStack, type: string, path: string): JsonObject {
  const body = resourcesByPath(stack, type).get(path);
  if (!body) throw new Error(`no ${type} at ${path}; have: ${[...resourcesByPath(stack, type).keys()].join(', ')}`);
  return body;
}

/** Every file under `dir`, by relative path, with its text. */
export function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else files.set(rel, readFileSync(join(dir, rel), 'utf8'));
    }
  };
  walk('');
  return files;
}

/** Runs `use` with a fresh temporary directory, removed afterwards whatever happens. */
export function withTempDir<T>(use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'hsa-test-'));
  try {
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
