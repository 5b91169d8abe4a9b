/**
 * Building the Go programs that let real components judge (conformance/cloudnative-pg/,
 * conformance/kube-api-server/): each is built once into `.cache/tools` under a name that carries a hash
 * of its sources, written under a temporary name and renamed, so an interrupted build leaves nothing
 * half-written and a warm run reuses it (and Go's module and build caches).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

/**
 * Builds `pkg` of `module@version` in a scratch copy of the module (from the Go module proxy), after
 * `prepare` has added what the build needs there (a main package of ours, an embedded file); writes the
 * binary to `part`. Nothing of the module is kept.
 */
export function buildInModuleCopy(toolsDir: string, module: string, version: string, prepare: (tree: string) => void, pkg: string, part: string): void {
  const scratch = mkdtempSync(join(toolsDir, '.module-build-'));
  try {
    const { Dir } = JSON.parse(go(['mod', 'download', '-json', `${module}@${version}`], scratch)) as { Dir: string };
    const tree = join(scratch, 'module');
    cpSync(Dir, tree, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', tree]);
    prepare(tree);
    go(['build', '-trimpath', '-o', part, pkg], tree);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
