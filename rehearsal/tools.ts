/**
 * The real engine, providers and Kubernetes control plane the deploy rehearsal runs, built once into
 * `.cache/rehearsal/bin/` (names carry versions; a build is written aside and renamed, so an interrupted
 * one leaves nothing half-written; Go's module and build caches make a second build quick):
 * - OpenTofu from its Go module (`go install` refuses its go.mod's `replace`: built as the main module);
 * - the kubernetes and helm Terraform providers at exactly the versions our `@cdktf/provider-*` bindings
 *   were generated from (read from the packages), from the operator's git copies of their repositories
 *   (the Go module proxy does not serve those versions), laid out as a filesystem mirror;
 * - etcd, kube-apiserver and kube-controller-manager from their Go modules, through a generated wrapper
 *   module that carries the `replace` lines k8s.io/kubernetes needs for its staging modules.
 * Nothing fetched is written into the project.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { builtOnce, go } from '../conformance/go-tool';
import { gitDirOf } from '../conformance/upstream-charts';

/** OpenTofu release line the rehearsal runs (the newest 1.10.x the Go module proxy served, 2026-12-06). */
export const OPENTOFU_VERSION = 'v1.10.10';
/** Kubernetes the toolkit targets: the line of the API server validation conformance builds (v0.36.x). */
export const KUBERNETES_VERSION = 'v1.36.3';

export interface TerraformProviderBuild {
  /** `kubernetes` or `helm`: the provider's type name (Terraform's `source` is `hashicorp/<name>`). */
  readonly name: string;
  /** Without the leading v, e.g. `2.38.0`. */
  readonly version: string;
  readonly binary: string;
}

export interface RehearsalTools {
  readonly tofu: string;
  readonly etcd: string;
  readonly kubeApiServer: string;
  readonly kubeControllerManager: string;
  readonly providers: readonly TerraformProviderBuild[];
  /** A filesystem mirror holding both providers for OpenTofu's and Terraform's registry host names. */
  readonly providerMirror: string;
}

/** The provider version a `@cdktf/provider-*` package was generated from (its package.json `cdktf.provider`). */
export function providerVersionOf(projectRoot: string, name: 'kubernetes' | 'helm'): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'node_modules', '@cdktf', `provider-${name}`, 'package.json'), 'utf8')) as { cdktf?: { provider?: { version?: string } } };
  const version = manifest.cdktf?.provider?.version;
  if (!version) throw new Error(`node_modules/@cdktf/provider-${name}/package.json names no cdktf.provider.version: run npm ci`);
  return version;
}

interface ModuleDownload {
  readonly Dir?: string;
  readonly GoMod?: string;
  readonly Error?: string;
}

function downloadModule(module: string, cwd: string): Required<Pick<ModuleDownload, 'Dir' | 'GoMod'>> {
  const download = JSON.parse(go(['mod', 'download', '-json', module], cwd)) as ModuleDownload;
  if (download.Error || !download.Dir || !download.GoMod) throw new Error(`go mod download ${module}: ${download.Error ?? 'no directory'}`);
  return { Dir: download.Dir, GoMod: download.GoMod };
}

/**
 * A tag's tree written into `into`, read blob by blob: a snapshot of a repository may lack its largest
 * test data files (the kubernetes provider's 4 MiB swagger test fixture), which `git archive` refuses.
 * Only files the build needs are kept; a missing `*.go` file is an error.
 */
function exportTag(gitDir: string, tag: string, into: string): void {
  const listing = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '-z', `refs/tags/${tag}`], { maxBuffer: 1 << 28 }).toString('utf8');
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split('\t') as [string, string];
      const [mode, type, sha] = meta.split(' ') as [string, string, string];
      return { mode, type, sha, path };
    })
    .filter((e) => e.type === 'blob' && e.mode !== '120000');
  const batch = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { input: entries.map((e) => e.sha).join('\n') + '\n', maxBuffer: 1 << 30 });
  const out = batch.stdout;
  let offset = 0;
  for (const entry of entries) {
    const headerEnd = out.indexOf(0x0a, offset);
    const header = out.subarray(offset, headerEnd).toString('utf8');
    offset = headerEnd + 1;
    if (header.endsWith(' missing')) {
      if (entry.path.endsWith('.go') || entry.path === 'go.mod' || entry.path === 'go.sum') throw new Error(`${gitDir} at ${tag} lacks ${entry.path}, which the build needs: fetch a whole copy`);
      continue;
    }
    const size = Number(header.split(' ')[2]);
    const file = join(into, entry.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, out.subarray(offset, offset + size), { mode: entry.mode === '100755' ? 0o755 : 0o644 });
    offset += size + 1;
  }
}

function buildProvider(projectRoot: string, sources: string, cacheDir: string, name: 'kubernetes' | 'helm'): TerraformProviderBuild {
  const version = providerVersionOf(projectRoot, name);
  const binary = builtOnce(join(cacheDir, 'bin', `terraform-provider-${name}_v${version}`), (part) => {
    const src = join(cacheDir, 'src', `terraform-provider-${name}-${version}`);
    rmSync(src, { recursive: true, force: true });
    exportTag(gitDirOf(sources, `hashicorp/terraform-provider-${name}`), `v${version}`, src);
    go(['build', '-trimpath', '-o', part, '.'], src);
  });
  return { name, version, binary };
}

/** The wrapper module: requires k8s.io/kubernetes and replaces each staging module by its published version. */
function kubernetesWrapper(cacheDir: string): string {
  const dir = join(cacheDir, 'src', `kubernetes-wrapper-${KUBERNETES_VERSION}`);
  if (existsSync(join(dir, 'go.sum'))) return dir;
  mkdirSync(dir, { recursive: true });
  const upstream = readFileSync(downloadModule(`k8s.io/kubernetes@${KUBERNETES_VERSION}`, dir).GoMod, 'utf8');
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[a-z0-9-]+) => \.\/staging\//gm)].map((m) => m[1]!);
  if (staging.length === 0) throw new Error(`k8s.io/kubernetes@${KUBERNETES_VERSION}'s go.mod has no staging replace lines: the wrapper does not know this layout`);
  const stagingVersion = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
  const etcd = /^\s*go\.etcd\.io\/etcd\/server\/v3 (v\S+)/m.exec(upstream)?.[1];
  if (!etcd) throw new Error(`k8s.io/kubernetes@${KUBERNETES_VERSION} does not name the etcd server it is built with`);
  writeFileSync(
    join(dir, 'go.mod'),
    [`module hsa-dr-toolkit/rehearsal/kubernetes`, '', 'go 1.26.0', '', `require k8s.io/kubernetes ${KUBERNETES_VERSION}`, '', 'replace (', ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`), ')', ''].join('\n'),
  );
  go(['get', `k8s.io/kubernetes/cmd/kube-apiserver@${KUBERNETES_VERSION}`, `k8s.io/kubernetes/cmd/kube-controller-manager@${KUBERNETES_VERSION}`, `go.etcd.io/etcd/server/v3@${etcd}`], dir);
  return dir;
}

function buildOpenTofu(cacheDir: string): string {
  return builtOnce(join(cacheDir, 'bin', `tofu-${OPENTOFU_VERSION}`), (part) => {
    const module = downloadModule(`github.com/opentofu/opentofu@${OPENTOFU_VERSION}`, cacheDir);
    go(['build', '-trimpath', '-ldflags', `-X github.com/opentofu/opentofu/version.dev=no`, '-o', part, './cmd/tofu'], module.Dir);
  });
}

/**
 * Lays the providers out as an unpacked filesystem mirror under both registry host names: OpenTofu
 * reads `"source": "kubernetes"` as registry.opentofu.org/hashicorp/kubernetes, Terraform as
 * registry.terraform.io/hashicorp/kubernetes.
 */
export function layOutProviderMirror(mirror: string, providers: readonly TerraformProviderBuild[]): void {
  for (const host of ['registry.opentofu.org', 'registry.terraform.io']) {
    for (const provider of providers) {
      const dir = join(mirror, host, 'hashicorp', provider.name, provider.version, 'linux_amd64');
      const target = join(dir, `terraform-provider-${provider.name}_v${provider.version}`);
      if (existsSync(target)) continue;
      mkdirSync(dir, { recursive: true });
      execFileSync('cp', [provider.binary, `${target}.part`]);
      renameSync(`${target}.part`, target);
    }
  }
}

/** Builds (or reuses) everything; `sources` holds the providers' git copies as `<owner>+<name>/repo`. */
export function rehearsalTools(projectRoot: string, sources: string, log: (line: string) => void): RehearsalTools {
  const cacheDir = join(projectRoot, '.cache', 'rehearsal');
  mkdirSync(join(cacheDir, 'bin'), { recursive: true });
  const timed = <T>(what: string, build: () => T): T => {
    const started = Date.now();
    const result = build();
    log(`${what}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
  const tofu = timed(`OpenTofu ${OPENTOFU_VERSION}`, () => buildOpenTofu(cacheDir));
  const providers = (['kubernetes', 'helm'] as const).map((name) => timed(`hashicorp/${name} provider`, () => buildProvider(projectRoot, sources, cacheDir, name)));
  // The version a release build stamps in (k8s.io/component-base/version): without it the API server
  // reports v0.0.0-master, and charts that compare .Capabilities.KubeVersion refuse to render.
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, '').split('.') as [string, string];
  const stamp = ['gitVersion=' + KUBERNETES_VERSION, `gitMajor=${major}`, `gitMinor=${minor}`, 'gitTreeState=clean'].map((v) => `-X k8s.io/component-base/version.${v}`).join(' ');
  const kube = (binary: string, pkg: string) =>
    timed(`${binary} (Kubernetes ${KUBERNETES_VERSION})`, () =>
      builtOnce(join(cacheDir, 'bin', `${binary}-${KUBERNETES_VERSION}-stamped`), (part) => go(['build', '-trimpath', '-ldflags', stamp, '-o', part, pkg], kubernetesWrapper(cacheDir))),
    );
  const etcd = kube('etcd', 'go.etcd.io/etcd/server/v3');
  const kubeApiServer = kube('kube-apiserver', 'k8s.io/kubernetes/cmd/kube-apiserver');
  const kubeControllerManager = kube('kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-controller-manager');
  const providerMirror = join(cacheDir, 'provider-mirror');
  layOutProviderMirror(providerMirror, providers);
  return { tofu, etcd, kubeApiServer, kubeControllerManager, providers, providerMirror };
}
