/**
 * `npm run conformance -- --sources <dir> [--env demo[,ningxia...]] [--helm <path>] [--write-doc]`
 *
 * The conformance procedure against the real components (docs/conformance.md): synthesizes the
 * environment with each datacenter active, renders every helm release with the real Helm against the
 * real upstream chart at the pinned version (values.schema.json applied by Helm), finds value keys the
 * chart never reads, has every custom resource admitted by the Kubernetes API server's own validation
 * (k8s.io/apiextensions-apiserver: the real CRD's schema, its defaults and its CEL rules; unknown fields
 * reported), created with either site active and updated from one to the other, and lists every image
 * the renders pull. Exits 1 on any render failure, ignored key, custom resource not admitted or image
 * outside `registry.images`.
 *
 * `--sources` holds git copies of the upstream repositories as `<owner>+<name>/repo`: bitnami/charts,
 * strimzi/strimzi-kafka-operator, Kong/charts, coredns/helm, vmware-tanzu/helm-charts,
 * cloudnative-pg/charts and cloudnative-pg/grafana-dashboards. Nothing from them is written to the project.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crdVersionsOf, crdVersionsOfDocuments, type CrdVersion } from '../conformance/crd-schema';
import { admitCustomResources, apiServerVersion, kubeApiServerTool, namespaceNamed, withResolvedManifestNamespace } from '../conformance/kube-api-server';
import { helmTemplate, helmVersion, locateHelm, type RenderResult } from '../conformance/helm';
import { imagesOfDocuments, parseManifests } from '../conformance/rendered-images';
import { podTemplatesOf, selectedWorkloads, selectingPolicies, type RenderedPod } from '../conformance/policy-selectors';
import { gitDirOf, layOutChart, SourceError, listAtTag, readAtTag, STRIMZI_CRDS, UPSTREAM_CHARTS } from '../conformance/upstream-charts';
import { findUnreadKeys, isObject, leafPaths, normalizeRender, type Json, type KeyFinding } from '../conformance/value-keys';
import { loadEnvironments } from '../model/load-environment';
import { SITES, type Site } from '../model/topology';
import { imagesOfOutput } from '../review/image-inventory';
import { projectRoot, readFlags, UsageError } from '../pipeline/options';
import { synthesizeWithReport } from '../pipeline/synthesize';

const ROOT = projectRoot();
const DOC = join(ROOT, 'docs', 'conformance.md');
const TABLE_START = '<!-- conformance:results:start -->';
const TABLE_END = '<!-- conformance:results:end -->';
/** Value keys the last run found read by each chart: `npm test` refuses a release that sets any other. */
const READ_KEYS_FIXTURE = join(ROOT, 'test', 'fixtures', 'conformance-read-keys.json');

interface ReleaseRow {
  readonly env: string;
  readonly stack: string;
  readonly activeSite: Site;
  readonly release: string;
  readonly chart: string;
  readonly renders: string;
  readonly schema: string;
  readonly keys: readonly KeyFinding[];
  readonly images: readonly string[];
  readonly operatorImages: readonly string[];
}

interface CustomResourceRow {
  readonly stack: string;
  /** The active site it was synthesized with; `A→B` for the update a deploy sends after a switchover. */
  readonly activeSite: Site | `${Site}→${Site}`;
  readonly kind: string;
  readonly name: string;
  readonly errors: readonly string[];
}

/** A NetworkPolicy of the output that opens a path to some pods only, and the rendered workloads it selects. */
interface PolicyRow {
  readonly stack: string;
  readonly activeSite: Site;
  readonly policy: string;
  readonly selector: string;
  readonly workloads: readonly string[];
}

interface HelmReleaseJson {
  readonly name: string;
  readonly namespace: string;
  readonly chart: string;
  readonly version: string;
  readonly values?: readonly string[];
  readonly set?: unknown;
}

/** The CRDs a chart ships in its crds/ directory (installed by Helm before its templates). */
function chartCrdsOf(chartDir: string): CrdVersion[] {
  const dir = join(chartDir, 'crds');
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(at, entry.name));
      else if (/\.ya?ml$/.test(entry.name)) files.push(join(at, entry.name));
    }
  };
  walk(dir);
  return crdVersionsOf(files.sort().map((f) => readFileSync(f, 'utf8')));
}

function main(): number {
  const argv = process.argv.slice(2);
  // `--write-doc` is a switch; the other flags take values.
  const writeDoc = argv.includes('--write-doc');
  const flags = readFlags(argv.filter((a) => a !== '--write-doc'), ['env', 'sources', 'helm']);
  // One or more environments (`--env demo,ningxia`): the read-keys fixture and the doc hold one run of all.
  const envNames = (flags.get('env') ?? 'demo').split(',').filter(Boolean);
  const sources = flags.get('sources') ?? process.env.HSA_UPSTREAM_SOURCES;
  if (!sources) throw new UsageError('--sources <dir> is required: the directory holding <owner>+<name>/repo git copies of the upstream chart repositories (docs/conformance.md)');
  const helm = locateHelm(join(ROOT, '.cache', 'tools'), flags.get('helm'));
  // Built first (about a minute cold): a missing Go fails the run before the renders, not after.
  const apiServer = kubeApiServerTool(join(ROOT, '.cache', 'tools'));
  const mirrors = new Map(loadEnvironments(join(ROOT, 'environments'), envNames).map((loaded) => [loaded.name, `${loaded.environment.registry.images}/`]));
  const work = mkdtempSync(join(tmpdir(), 'hsa-conformance-'));
  const started = Date.now();
  let renders = 0;
  try {
    const charts = new Map<string, string>();
    const chartDir = (chart: string, version: string) => {
      const key = `${chart}@${version}`;
      if (!charts.has(key)) charts.set(key, layOutChart(sources, chart, version, join(work, 'charts', key)));
      return charts.get(key)!;
    };
    const render = (release: HelmReleaseJson, values: readonly string[]): RenderResult => {
      renders++;
      const scratch = mkdtempSync(join(work, 'render-'));
      try {
        return helmTemplate(helm, { releaseName: release.name, namespace: release.namespace, chartDir: chartDir(release.chart, release.version), values }, scratch);
      } catch (error) {
        // No upstream chart at that version is a finding, not a crash of the procedure.
        if (error instanceof SourceError) return { ok: false, error: error.message };
        throw error;
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    };

    const releaseRows: ReleaseRow[] = [];
    const crRows: CustomResourceRow[] = [];
    const policyRows: PolicyRow[] = [];
    /** Per environment: what `npm run images` lists. */
    const listed = new Map(envNames.map((env) => [env, new Set<string>()]));
    const inventoryErrors: string[] = [];
    const keyChecks = new Map<string, KeyFinding[]>();
    const readKeys = new Map<string, Set<string>>();
    let strimziVersion: string | undefined;
    const customResources: { stack: string; activeSite: Site; address: string; manifest: Json }[] = [];
    /** Custom resources the charts render, each with the CRDs of its own chart (`chart` is `<name>@<version>`). */
    const renderedResources: { stack: string; activeSite: Site; chart: string; crds: CrdVersion[]; resource: Json }[] = [];
    const crdsByChart = new Map<string, CrdVersion[]>();
    /** CRDs the releases install (their crds/ directories and rendered templates), for the toolkit's own custom resources. */
    const releaseCrds: CrdVersion[] = [];

    for (const envName of envNames) for (const activeSite of SITES) {
      const outdir = join(work, `out-${envName}-${activeSite}`);
      synthesizeWithReport({ envs: [envName], activeSite, outdir, environmentsDir: join(ROOT, 'environments') }, join(work, `reports-${envName}-${activeSite}`));
      try {
        for (const image of imagesOfOutput(outdir).images) listed.get(envName)!.add(image);
      } catch (error) {
        inventoryErrors.push((error as Error).message);
      }
      for (const stack of readdirSync(join(outdir, 'stacks')).sort()) {
        const document = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, Json>> };
        const namespaces = document.resource?.kubernetes_namespace_v1 ?? {};
        const stackPods: RenderedPod[] = [];
        for (const [address, manifest] of Object.entries(document.resource?.kubernetes_manifest ?? {})) {
          if (isObject(manifest)) customResources.push({ stack, activeSite, address, manifest: withResolvedManifestNamespace(`kubernetes_manifest.${address}`, manifest.manifest ?? null, namespaces) });
        }
        for (const resource of Object.values(document.resource?.helm_release ?? {})) {
          const unresolved = resource as unknown as HelmReleaseJson;
          const release = { ...unresolved, namespace: namespaceNamed(unresolved.namespace, namespaces, `helm_release ${unresolved.name}`) };
          if (release.chart === 'strimzi-kafka-operator') strimziVersion = release.version;
          const values = release.values ?? [];
          const row = { env: envName, stack, activeSite, release: release.name, chart: `${release.chart}@${release.version}` };
          if (release.set !== undefined) {
            releaseRows.push({ ...row, renders: 'no: `set` entries are not checked by this procedure', schema: '-', keys: [], images: [], operatorImages: [] });
            continue;
          }
          const baseline = render(release, values);
          if (!baseline.ok) {
            releaseRows.push({ ...row, renders: `no: ${baseline.error.split('\n').slice(0, 3).join(' ')}`, schema: '-', keys: [], images: [], operatorImages: [] });
            continue;
          }
          const normalizedBaseline = normalizeRender(baseline.manifests);
          const again = render(release, values);
          const deterministic = again.ok && normalizeRender(again.manifests) === normalizedBaseline;
          const merged = mergeValues(values);
          const keyKey = `${row.chart} ${leafPaths(merged).map((p) => p.join('.')).sort().join(',')}`;
          if (!keyChecks.has(keyKey)) {
            keyChecks.set(
              keyKey,
              deterministic
                ? findUnreadKeys(merged, normalizedBaseline, (v) => {
                    const result = render(release, [JSON.stringify(v)]);
                    return result.ok ? normalizeRender(result.manifests) : undefined;
                  })
                : [{ path: '(render is not deterministic after masking: keys not checked)', kind: 'ignored' }],
            );
          }
          const ignoredHere = new Set(keyChecks.get(keyKey)!.filter((k) => k.kind === 'ignored').map((k) => k.path));
          const chartKeys = readKeys.get(row.chart) ?? new Set<string>();
          for (const path of leafPaths(merged)) if (!ignoredHere.has(path.join('.'))) chartKeys.add(path.join('.'));
          readKeys.set(row.chart, chartKeys);
          // Custom resources the chart renders itself (e.g. Velero's Schedule) against the chart's own CRDs:
          // those of its crds/ directory, and those it renders as templates (CloudNativePG's).
          // The render is parsed once, for its CRDs, its custom resources and its images.
          const documents = parseManifests(baseline.manifests);
          stackPods.push(...podTemplatesOf(documents, release.namespace));
          const chartDirectory = chartDir(release.chart, release.version);
          if (!crdsByChart.has(chartDirectory)) crdsByChart.set(chartDirectory, chartCrdsOf(chartDirectory));
          const chartCrds = [...crdsByChart.get(chartDirectory)!, ...crdVersionsOfDocuments(documents)];
          for (const crd of chartCrds) {
            if (!releaseCrds.some((c) => c.group === crd.group && c.kind === crd.kind && c.version === crd.version)) releaseCrds.push(crd);
          }
          for (const resource of documents) {
            if (!isObject(resource) || !chartCrds.some((c) => c.kind === resource.kind && `${c.group}/${c.version}` === resource.apiVersion)) continue;
            // Helm installs an object without a namespace into the release's.
            const meta = isObject(resource.metadata) ? resource.metadata : {};
            const installed = meta.namespace === undefined ? { ...resource, metadata: { ...meta, namespace: release.namespace } } : resource;
            renderedResources.push({ stack, activeSite, chart: row.chart, crds: chartCrds, resource: installed });
          }
          const images = imagesOfDocuments(documents);
          const hasSchema = existsSync(join(chartDir(release.chart, release.version), 'values.schema.json'));
          releaseRows.push({ ...row, renders: 'yes', schema: hasSchema ? 'valid' : 'no schema in chart', keys: keyChecks.get(keyKey)!, images: images.containers, operatorImages: images.operatorManaged });
        }
        // Each policy that opens a path to some pods only must select a pod the charts render there.
        for (const policy of selectingPolicies(document.resource?.kubernetes_network_policy_v1 ?? {}, (value, what) => namespaceNamed(value, namespaces, what))) {
          const selector = Object.entries(policy.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
          policyRows.push({ stack, activeSite, policy: `${policy.namespace}/${policy.name}`, selector, workloads: selectedWorkloads(policy, stackPods) });
        }
      }
    }

    // Every custom resource, the charts' and the toolkit's, as the API server takes a create; the
    // toolkit's also as the update a deploy sends after a switchover.
    const nameOf = (resource: Json) => (isObject(resource) && isObject(resource.metadata) ? String(resource.metadata.name) : '?');
    const kindOf = (resource: Json) => (isObject(resource) ? String(resource.kind) : '?');
    // One run of the API server's validation per chart version: every render of it installs the same CRDs.
    const byChart = new Map<string, typeof renderedResources>();
    for (const rendered of renderedResources) {
      const group = byChart.get(rendered.chart);
      if (group) group.push(rendered);
      else byChart.set(rendered.chart, [rendered]);
    }
    for (const rendered of byChart.values()) {
      const errors = admitCustomResources(apiServer, rendered[0]!.crds, rendered.map((r) => ({ name: `${r.stack} ${kindOf(r.resource)} ${nameOf(r.resource)}`, object: r.resource })));
      rendered.forEach((r, i) => crRows.push({ stack: r.stack, activeSite: r.activeSite, kind: `${kindOf(r.resource)} (rendered by ${r.chart.split('@')[0]})`, name: nameOf(r.resource), errors: errors[i]! }));
    }
    if (customResources.length > 0) {
      // Strimzi's CRDs come from its install files at the operator's tag (its chart installs the same);
      // every other group's from the releases that install them. A resource no CRD serves is a finding.
      const strimziCrds = (() => {
        if (!strimziVersion) return [];
        const gitDir = gitDirOf(sources, STRIMZI_CRDS.repository);
        const crdFiles = listAtTag(gitDir, strimziVersion, STRIMZI_CRDS.path).filter((f) => /Crd-.*\.yaml$/.test(f));
        return crdVersionsOf(crdFiles.map((f) => readAtTag(gitDir, strimziVersion!, f)));
      })();
      const crds = [...strimziCrds, ...releaseCrds.filter((c) => !strimziCrds.some((s) => s.group === c.group))];
      const errors = admitCustomResources(apiServer, crds, customResources.map((c) => ({ name: `${c.stack} ${kindOf(c.manifest)} ${nameOf(c.manifest)}`, object: c.manifest })));
      customResources.forEach((c, i) => crRows.push({ stack: c.stack, activeSite: c.activeSite, kind: kindOf(c.manifest), name: nameOf(c.manifest), errors: errors[i]! }));
      // A switchover changes the active site and a deploy then updates these resources in place: each
      // resource synthesized with one site active, updated to its form with the other active.
      const updates = customResources.flatMap((next) => {
        const previous = customResources.find((c) => c.stack === next.stack && c.address === next.address && c.activeSite !== next.activeSite);
        return previous ? [{ next, previous }] : [];
      });
      const updateErrors = admitCustomResources(apiServer, crds, updates.map(({ next, previous }) => ({ name: `${next.stack} ${kindOf(next.manifest)} ${nameOf(next.manifest)} (update)`, object: next.manifest, old: previous.manifest })));
      updates.forEach(({ next, previous }, i) =>
        crRows.push({ stack: next.stack, activeSite: `${previous.activeSite}→${next.activeSite}`, kind: `${kindOf(next.manifest)} (update)`, name: nameOf(next.manifest), errors: updateErrors[i]! }),
      );
    }

    // Every image a workload runs must be listed; what the operators may pull must be under the mirror
    // (they pull only the ones the toolkit's custom resources ask for, and the list names those).
    const renderedIn = (env: string) => new Set(releaseRows.filter((r) => r.env === env).flatMap((r) => [...r.images, ...r.operatorImages]));
    const runningIn = (env: string) => new Set(releaseRows.filter((r) => r.env === env).flatMap((r) => r.images));
    const outside = envNames.flatMap((env) => [...renderedIn(env), ...listed.get(env)!].filter((image) => !image.startsWith(mirrors.get(env)!))).sort();
    const unlisted = envNames.flatMap((env) => [...runningIn(env)].filter((image) => !listed.get(env)!.has(image))).sort();
    const failures =
      releaseRows.filter((r) => r.renders !== 'yes').length +
      releaseRows.filter((r) => r.keys.some((k) => k.kind === 'ignored')).length +
      crRows.filter((r) => r.errors.length > 0).length +
      policyRows.filter((r) => r.workloads.length === 0).length +
      outside.length +
      unlisted.length +
      inventoryErrors.length;
    for (const error of inventoryErrors) process.stderr.write(`npm run images: ${error}\n`);

    const report = renderReport({
      envNames,
      helm: helmVersion(helm),
      sources: [...new Set([...charts.keys()].map((k) => `${UPSTREAM_CHARTS[k.split('@')[0]!]!.repository} ${k}`))].sort(),
      strimziVersion,
      releaseRows,
      crRows,
      policyRows,
      rendered: [...new Set(envNames.flatMap((env) => [...renderedIn(env)]))].sort(),
      outside,
      unlisted,
      renders,
      seconds: (Date.now() - started) / 1000,
    });
    process.stdout.write(report);
    if (writeDoc) {
      const doc = readFileSync(DOC, 'utf8');
      const start = doc.indexOf(TABLE_START);
      const end = doc.indexOf(TABLE_END);
      if (start < 0 || end < start) throw new Error(`${DOC}: markers ${TABLE_START} / ${TABLE_END} not found`);
      writeFileSync(DOC, `${doc.slice(0, start + TABLE_START.length)}\n${report}${doc.slice(end)}`);
      if (failures === 0) {
        const fixture = Object.fromEntries([...readKeys.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([chart, keys]) => [chart, [...keys].sort()]));
        writeFileSync(READ_KEYS_FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
      }
    }
    process.stdout.write(failures === 0 ? '\nconformance: passed\n' : `\nconformance: ${failures} failure(s)\n`);
    return failures === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The values documents merged as Helm merges `--values` files (later wins, objects merged deeply). */
function mergeValues(documents: readonly string[]): Json {
  const merge = (a: Json, b: Json): Json => {
    if (!isObject(a) || !isObject(b)) return b;
    const out: { [key: string]: Json } = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k]!, v) : v;
    return out;
  };
  return documents.map((d) => JSON.parse(d) as Json).reduce<Json>((acc, d) => merge(acc, d), {});
}

interface ReportInput {
  readonly envNames: readonly string[];
  readonly helm: string;
  readonly sources: readonly string[];
  readonly strimziVersion: string | undefined;
  readonly releaseRows: readonly ReleaseRow[];
  readonly crRows: readonly CustomResourceRow[];
  readonly policyRows: readonly PolicyRow[];
  readonly rendered: readonly string[];
  readonly outside: readonly string[];
  readonly unlisted: readonly string[];
  readonly renders: number;
  readonly seconds: number;
}

function renderReport(input: ReportInput): string {
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '',
    `Run ${date} on ${input.envNames.map((e) => `\`${e}\``).join(', ')} (activeSite A and B), ${input.helm}, ${input.renders} renders in ${input.seconds.toFixed(0)} s.`,
    `Upstream sources: ${input.sources.map((s) => `\`${s}\``).join(', ')}${input.strimziVersion ? `; CRDs: \`strimzi/strimzi-kafka-operator ${input.strimziVersion} install/cluster-operator\`` : ''}.`,
    '',
    '| stack | active | release | chart@version | renders | values schema | unread keys | images |',
    '|---|---|---|---|---|---|---|---|',
    ...input.releaseRows.map((r) => {
      const ignored = r.keys.filter((k) => k.kind === 'ignored').map((k) => `\`${k.path}\``);
      const defaults = r.keys.filter((k) => k.kind === 'default').length;
      const keys = `${ignored.length === 0 ? '0 ignored' : `ignored: ${ignored.join(', ')}`}${defaults > 0 ? ` (${defaults} equal the chart default)` : ''}`;
      const images = [...r.images, ...r.operatorImages.map((i) => `${i} (operator)`)].map((i) => `\`${i}\``).join('<br>');
      return `| ${r.stack} | ${r.activeSite} | ${r.release} | ${r.chart} | ${r.renders.replace(/\|/g, '\\|')} | ${r.schema} | ${keys} | ${images} |`;
    }),
    '',
    `Custom resources: admitted by the Kubernetes API server's own validation (\`k8s.io/apiextensions-apiserver ${apiServerVersion()}\`: the CRD's schema, defaults, CEL rules; a field the schema does not declare is reported, where the API server would drop it), as a create with either site active, and as the update a deploy sends after a switchover (\`A→B\`, \`B→A\`: transition rules and validation ratcheting included).`,
    '',
    '| stack | active | custom resource | admitted by the API server |',
    '|---|---|---|---|',
    ...input.crRows.map((r) => `| ${r.stack} | ${r.activeSite} | ${r.kind} ${r.name} | ${r.errors.length === 0 ? 'yes' : `no: ${r.errors.join('; ')}`} |`),
    '',
    'Network policies that open a path to some pods of a namespace only: each selector against the pod templates the charts render there (a selector that matches none leaves its component without the path).',
    '',
    '| stack | active | policy | pods selected by | rendered workloads selected |',
    '|---|---|---|---|---|',
    ...input.policyRows.map((r) => `| ${r.stack} | ${r.activeSite} | ${r.policy} | \`${r.selector}\` | ${r.workloads.length === 0 ? 'none' : r.workloads.join(', ')} |`),
    '',
    `Images the renders pull: ${input.rendered.length}; outside \`registry.images\`: ${input.outside.length}${input.outside.length ? ` (${input.outside.join(', ')})` : ''}; not listed by \`npm run images\`: ${input.unlisted.length}${input.unlisted.length ? ` (${input.unlisted.join(', ')})` : ''}.`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}

try {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  process.exitCode = main();
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`conformance: ${error.message}\n`);
    process.exitCode = 2;
  } else throw error;
}
