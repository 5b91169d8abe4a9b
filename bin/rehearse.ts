/**
 * `npm run rehearse -- --sources <dir> [--env demo,ningxia,guangdong] [--checkout <dir>] [--write-doc]`
 *
 * `--checkout` deploys another checkout of the project (an older commit, a deliberately broken copy)
 * with this one's procedure and deploy identity; the default is this checkout.
 *
 * The deploy rehearsal (docs/deploy-rehearsal.md), as root, by hand: builds OpenTofu, the two Terraform
 * providers at the versions our bindings were generated from, etcd, kube-apiserver and
 * kube-controller-manager (cached in `.cache/rehearsal/`), then, in a network namespace of its own where
 * only loopback exists (no registry reachable), deploys every stack of each province with
 * `npx cdktf deploy` against four real API servers per province and checks what docs/deploy-rehearsal.md
 * lists. Exits 1 when any check fails.
 *
 * `--sources` holds git copies of the upstream repositories as `<owner>+<name>/repo`: the charts'
 * (as for `npm run conformance`) and hashicorp/terraform-provider-kubernetes and
 * hashicorp/terraform-provider-helm. Nothing from them is written to the project.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { helmVersion, locateHelm } from '../conformance/helm';
import { projectRoot, readFlags, UsageError } from '../pipeline/options';
import { ControlPlane } from '../rehearsal/control-plane';
import { Rehearsal, type ProvinceResult } from '../rehearsal/rehearse';
import { renderRehearsal, rehearsalPassed } from '../rehearsal/report';
import { KUBERNETES_VERSION, OPENTOFU_VERSION, rehearsalTools, type RehearsalTools } from '../rehearsal/tools';

const ROOT = projectRoot();
const CACHE = join(ROOT, '.cache', 'rehearsal');
const DOC = join(ROOT, 'docs', 'deploy-rehearsal.md');
const START = '<!-- rehearsal:results:start -->';
const END = '<!-- rehearsal:results:end -->';
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Plan {
  readonly sources: string;
  readonly environments: readonly string[];
  readonly tools: RehearsalTools;
  readonly helm: string;
  /** host name -> loopback address inside the namespace */
  readonly hosts: Record<string, string>;
  readonly writeDoc: boolean;
  readonly checkout: string;
}

/** Every host name the provinces' files use that the rehearsal serves: chart repositories and API servers. */
function hostsOf(checkout: string, environments: readonly string[]): Record<string, string> {
  const hosts: Record<string, string> = {};
  let next = 10;
  for (const name of environments) {
    const env = JSON.parse(readFileSync(join(checkout, 'environments', `${name}.json`), 'utf8')) as {
      registry: { charts: string };
      sites: Record<string, { zones: Record<string, { cluster: { host?: string } }> }>;
    };
    hosts[new URL(env.registry.charts.replace(/^oci:/, 'https:')).hostname] = '127.0.0.2';
    for (const site of Object.values(env.sites)) {
      for (const zone of Object.values(site.zones)) {
        if (zone.cluster.host) hosts[new URL(zone.cluster.host).hostname] = `127.0.1.${next++}`;
      }
    }
  }
  return hosts;
}

/** A namespace left by a rehearsal that was killed (its pid is gone): its processes and itself. */
function removeStaleNamespaces(): void {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!);
  for (const name of names.filter((n) => /^hsa-rehearsal-\d+$/.test(n))) {
    const pid = Number(name.split('-').pop());
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive) continue;
    for (const p of spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) spawnSync('kill', ['-9', p]);
    spawnSync('ip', ['netns', 'delete', name]);
    rmSync(join('/etc/netns', name), { recursive: true, force: true });
    rmSync(join(CACHE, name), { recursive: true, force: true });
    rmSync(join(CACHE, `${name}.plan.json`), { force: true });
    log(`removed the namespace of a rehearsal that was killed: ${name}`);
  }
}

/** Outside the namespace: builds (Go module proxy, npm), then runs itself inside a fresh namespace. */
function outside(argv: readonly string[]): number {
  const writeDoc = argv.includes('--write-doc');
  const flags = readFlags(argv.filter((a) => a !== '--write-doc'), ['sources', 'env', 'checkout']);
  const sources = flags.get('sources');
  if (!sources) throw new UsageError('--sources <dir>: git copies of the charts\' and the two providers\' upstream repositories, as <owner>+<name>/repo');
  if (process.getuid?.() !== 0) throw new UsageError('the rehearsal runs as root: it creates a network namespace and runs PostgreSQL as the postgres user');
  const environments = (flags.get('env') ?? 'demo,ningxia,guangdong').split(',').filter(Boolean);
  log(`building (cached in ${CACHE}): OpenTofu ${OPENTOFU_VERSION}, the providers, Kubernetes ${KUBERNETES_VERSION}`);
  const tools = rehearsalTools(ROOT, resolve(sources), log);
  const helm = locateHelm(join(ROOT, '.cache', 'tools'));
  log(`helm ${helmVersion(helm)}`);
  const checkout = resolve(flags.get('checkout') ?? ROOT);
  const plan: Plan = { sources: resolve(sources), environments, tools, helm, hosts: hostsOf(checkout, environments), writeDoc, checkout };
  removeStaleNamespaces();
  const namespace = `hsa-rehearsal-${process.pid}`;
  const netnsEtc = join('/etc/netns', namespace);
  mkdirSync(netnsEtc, { recursive: true });
  // `ip netns exec` mounts this over /etc/hosts inside the namespace only.
  writeFileSync(join(netnsEtc, 'hosts'), ['127.0.0.1 localhost', ...Object.entries(plan.hosts).map(([host, address]) => `${address} ${host}`), ''].join('\n'));
  const planFile = join(CACHE, `${namespace}.plan.json`);
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const ip = (args: string[]) => spawnSync('ip', args, { stdio: 'inherit' }).status === 0;
  if (!ip(['netns', 'add', namespace])) throw new Error(`ip netns add ${namespace} failed`);
  try {
    ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    for (const address of new Set(Object.values(plan.hosts))) ip(['-n', namespace, 'address', 'add', `${address}/8`, 'dev', 'lo']);
    const inner = spawnSync('ip', ['netns', 'exec', namespace, process.execPath, '--require', 'tsx/cjs', __filename, '--inside', planFile], { stdio: 'inherit', cwd: ROOT });
    const workDir = join(CACHE, namespace);
    // A passing run's copies and states go; a failing one's stay for reading.
    if (inner.status === 0) rmSync(workDir, { recursive: true, force: true });
    else log(`the run's projects, states, plans and logs are kept in ${workDir}`);
    return inner.status ?? 1;
  } finally {
    // Whatever the inner run left behind dies with the namespace's processes.
    const pids = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    ip(['netns', 'delete', namespace]);
    rmSync(netnsEtc, { recursive: true, force: true });
    rmSync(planFile, { force: true });
  }
}

/** Inside the namespace: the rehearsal itself. */
async function inside(planFile: string): Promise<number> {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
  // One directory per run (its namespace's name): runs of different checkouts may go side by side.
  const workDir = join(CACHE, basename(planFile, '.plan.json'));
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const plane = await ControlPlane.start(plan.tools, join(workDir, 'control-plane'));
  const home = join(workDir, 'home');
  mkdirSync(home, { recursive: true });
  const rehearsal = new Rehearsal({ projectRoot: ROOT, deployed: plan.checkout, sources: plan.sources, tools: plan.tools, helm: plan.helm, workDir, hosts: new Map(Object.entries(plan.hosts)), log }, plane, home);
  const chartHosts = Object.entries(plan.hosts).filter(([, a]) => a === '127.0.0.2').map(([h]) => h);
  const server = await rehearsal.serveCharts(chartHosts);
  const results: ProvinceResult[] = [];
  try {
    await rehearsal.startPostgres();
    for (const name of plan.environments) {
      log(`== ${name}`);
      const result = await rehearsal.province(name);
      results.push(result);
      writeFileSync(join(workDir, 'results.json'), JSON.stringify(results, null, 2));
    }
  } finally {
    await server.stop();
    await rehearsal.stopPostgres();
    await plane.stopAll();
  }
  const report = renderRehearsal(results, { tofu: OPENTOFU_VERSION, kubernetes: KUBERNETES_VERSION, providers: plan.tools.providers.map((p) => `hashicorp/${p.name} ${p.version}`) });
  log(report);
  if (plan.writeDoc && plan.checkout !== ROOT) log(`not written to ${DOC}: --checkout ${plan.checkout} is not this checkout`);
  else if (plan.writeDoc) {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${DOC} has no ${START} ... ${END} section`);
    writeFileSync(DOC, `${doc.slice(0, start + START.length)}\n${report}\n${doc.slice(end)}`);
    log(`results written to ${DOC}`);
  }
  return rehearsalPassed(results) ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    if (argv[0] === '--inside') return await inside(argv[1]!);
    return outside(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`rehearsal failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
