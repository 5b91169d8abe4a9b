/**
 * Where the real chart behind each helm release of the toolkit lives upstream, and how to lay it out
 * for `helm template` without a network: the chart directory at the tag of the pinned version, taken
 * with `git archive` from a local copy of the upstream repository, with its dependencies (Chart.lock)
 * taken the same way. Upstream code is read from the operator's copies, never committed here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** An upstream repository as `owner/name`, and where its copy sits below the sources directory. */
export interface UpstreamChart {
  readonly repository: string;
  /** Git tag of a chart version. */
  readonly tag: (version: string) => string;
  /** Chart directory inside the repository at that tag. */
  readonly path: string;
}

const bitnami = (name: string): UpstreamChart => ({ repository: 'bitnami/charts', tag: (v) => `${name}/${v}`, path: `bitnami/${name}` });

const prometheusCommunity = (name: string): UpstreamChart => ({ repository: 'prometheus-community/helm-charts', tag: (v) => `${name}-${v}`, path: `charts/${name}` });

/** Chart name (as the helm release names it) to its upstream source. */
export const UPSTREAM_CHARTS: Readonly<Record<string, UpstreamChart>> = {
  redis: bitnami('redis'),
  elasticsearch: bitnami('elasticsearch'),
  nginx: bitnami('nginx'),
  common: bitnami('common'),
  kibana: bitnami('kibana'),
  postgresql: bitnami('postgresql'),
  'strimzi-kafka-operator': { repository: 'strimzi/strimzi-kafka-operator', tag: (v) => v, path: 'helm-charts/helm3/strimzi-kafka-operator' },
  kong: { repository: 'Kong/charts', tag: (v) => `kong-${v}`, path: 'charts/kong' },
  coredns: { repository: 'coredns/helm', tag: (v) => `coredns-${v}`, path: 'charts/coredns' },
  velero: { repository: 'vmware-tanzu/helm-charts', tag: (v) => `velero-${v}`, path: 'charts/velero' },
  'cloudnative-pg': { repository: 'cloudnative-pg/charts', tag: (v) => `cloudnative-pg-v${v}`, path: 'charts/cloudnative-pg' },
  /** cloudnative-pg's dependency (alias `monitoring`, off unless its Grafana dashboard is asked for). */
  cluster: { repository: 'cloudnative-pg/grafana-dashboards', tag: (v) => `cluster-v${v}`, path: 'charts/cluster' },
  /** Each site's monitoring, and the dependencies its Chart.lock pins (only alertmanager is on). */
  prometheus: prometheusCommunity('prometheus'),
  alertmanager: prometheusCommunity('alertmanager'),
  'kube-state-metrics': prometheusCommunity('kube-state-metrics'),
  'prometheus-node-exporter': prometheusCommunity('prometheus-node-exporter'),
  'prometheus-pushgateway': prometheusCommunity('prometheus-pushgateway'),
  'prometheus-blackbox-exporter': prometheusCommunity('prometheus-blackbox-exporter'),
  /** A business database outside the clusters, read at each site. */
  'prometheus-postgres-exporter': prometheusCommunity('prometheus-postgres-exporter'),
};

/** Strimzi's CRDs at a release tag (the cluster operator's install files). */
export const STRIMZI_CRDS = { repository: 'strimzi/strimzi-kafka-operator', path: 'install/cluster-operator' } as const;

export class SourceError extends Error {}

/**
 * The git directory of an upstream copy: `<sources>/<owner>+<name>/repo` (bare or with a work tree),
 * or `<sources>/<owner>+<name>` itself.
 */
export function gitDirOf(sources: string, repository: string): string {
  const base = join(sources, repository.replace('/', '+'));
  for (const candidate of [join(base, 'repo', '.git'), join(base, 'repo'), join(base, '.git'), base]) {
    if (existsSync(join(candidate, 'HEAD')) && existsSync(join(candidate, 'objects'))) return candidate;
  }
  throw new SourceError(`no git copy of ${repository} at ${base}: clone it there (git clone --bare https://github.com/${repository} ${join(base, 'repo')})`);
}

function git(gitDir: string, args: readonly string[]): Buffer {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Extracts `path` at `tag` into `into` (files directly below it). */
export function extractTree(gitDir: string, tag: string, path: string, into: string): void {
  try {
    git(gitDir, ['rev-parse', '--verify', `refs/tags/${tag}^{commit}`]);
  } catch {
    throw new SourceError(`tag ${tag} not found in ${gitDir}: no upstream release at that version`);
  }
  mkdirSync(into, { recursive: true });
  const archive = git(gitDir, ['archive', '--format=tar', `refs/tags/${tag}`, path]);
  const depth = path.split('/').length;
  execFileSync('tar', ['-x', '-C', into, `--strip-components=${depth}`], { input: archive });
}

/** Reads one file at a tag. */
export function readAtTag(gitDir: string, tag: string, path: string): string {
  return git(gitDir, ['show', `refs/tags/${tag}:${path}`]).toString('utf8');
}

/** Lists files below a directory at a tag. */
export function listAtTag(gitDir: string, tag: string, path: string): string[] {
  return git(gitDir, ['ls-tree', '-r', '--name-only', `refs/tags/${tag}`, path]).toString('utf8').split('\n').filter(Boolean);
}

interface ChartDependency {
  readonly name: string;
  readonly version: string;
}

/**
 * Lays out chart `name` at `version` in `into/<name>`, with every dependency its Chart.lock pins (or its
 * Chart.yaml, when it has no lock) in `charts/`, recursively. Returns the chart directory.
 */
export function layOutChart(sources: string, name: string, version: string, into: string): string {
  const upstream = UPSTREAM_CHARTS[name];
  if (!upstream) throw new SourceError(`no upstream source known for chart "${name}" (conformance/upstream-charts.ts)`);
  const dir = join(into, name);
  extractTree(gitDirOf(sources, upstream.repository), upstream.tag(version), upstream.path, dir);
  for (const dependency of dependenciesOf(dir)) {
    const charts = join(dir, 'charts');
    if (existsSync(join(charts, dependency.name, 'Chart.yaml'))) continue;
    layOutChart(sources, dependency.name, dependency.version, charts);
  }
  return dir;
}

function dependenciesOf(chartDir: string): ChartDependency[] {
  const lockFile = join(chartDir, 'Chart.lock');
  const source = existsSync(lockFile) ? lockFile : join(chartDir, 'Chart.yaml');
  const document = parseYaml(readFileSync(source, 'utf8')) as { dependencies?: { name: string; version: string }[] } | null;
  return (document?.dependencies ?? []).map((d) => ({ name: d.name, version: d.version }));
}
