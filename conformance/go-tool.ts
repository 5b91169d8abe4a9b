/**
 * Building the Go programs that let real components judge (conformance/cloudnative-pg/,
 * conformance/kube-api-server/): each is built once into `.cache/tools` under a name that carries a hash
 * of its sources, written under a temporary name and renamed, so an interrupted build leaves nothing
 * half-written and a warm run reuses it (and Go's module and build caches).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export class GoToolError extends Error {}

/** Runs `go <args>` in `cwd`; returns its output or throws with the last lines of its errors. */
export function go(args: readonly string[], cwd: string): string {
  const run = spawnSync('go', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 40 * 60_000 });
  if (run.error) throw new GoToolError(`go ${args[0]}: ${run.error.message} (Go is needed to build the real components' checks: https://go.dev/dl)`);
  if (run.status !== 0) throw new GoToolError(`go ${args.join(' ')} failed: ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return run.stdout;
}

/** The binary at `binary`, built by `build(partPath)` when it is not there yet. */
export function builtOnce(binary: string, build: (partPath: string) => void): string {
  if (existsSync(binary)) return binary;
  mkdirSync(dirname(binary), { recursive: true });
  const part = `${binary}.part`;
  try {
    build(part);
    chmodSync(part, 0o755);
    renameSync(part, binary);
    return binary;
  } finally {
    rmSync(part, { force: true });
  }
}
