/**
 * The FastDFS DR pair with real FastDFS servers (`npm run drill:fastdfs`; FastDFS is built from source,
 * no registry CI reaches serves it: docs/disaster-recovery.md says how). Datacenter A and B are two
 * network namespaces joined by a veth link the drill cuts; each runs the demo's tracker and storage
 * server with exactly the synthesized ConfigMap files, container commands and volume mounts, as the
 * StatefulSets' user (10001), seen by the other site at its FastDFS address (`egress`: the dedicated pod
 * IP docs/disaster-recovery.md asks for). The switchover is `executeSwitchover` (what `npm run
 * switchover -- --execute` runs) with a deployer that restarts a site's servers when the synthesized
 * pod template of its stack changed (the config-hash annotation), with that stack's files.
 *
 *   (a) planned switchover A -> B under an application storing files at A: 0 acknowledged files lost;
 *   (c) failback B -> A under an application at B: 0 lost;
 *   (b) site loss: the link to A is cut mid-upload; failover to B with --site-lost A (RTO); the files A
 *       acknowledged that B lacks are counted (RPO); A keeps taking uploads while cut off; when it is
 *       back the resumed switchover waits until all of them are at B, then re-points A: 0 lost for good.
 * Each broken configuration (a standby storage server that takes uploads; storage servers that report to
 * their own site's tracker only) runs the planned switchover again, and the drill must fail.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { loadEnvironments } from '../../model/load-environment';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { executeSwitchover, type Deployer, type SwitchoverOutcome } from '../../switchover/execute-switchover';
import { fastdfsPairsOf, type FastdfsPairRef } from '../../pairs/fastdfs/fastdfs-driver';
import { listStorages, serverReachable, uploadTarget } from '../../pairs/fastdfs/fastdfs-member';
import { sleep, waitFor } from '../drills/support/timing';
import { expectCompleted } from '../drills/support/switchover-outcome';
import { buildTwoDatacenters, cutLink, namespacesAvailable, restoreLink, setSeatReachable, spawnIn, startWriterProcess, tearDownAll } from '../drills/support/two-datacenters';

jest.setTimeout(1_800_000);

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const UPLOADS_PER_SECOND = 10;
/** Kubernetes' default terminationGracePeriodSeconds, which the FastDFS StatefulSets keep. */
const TERMINATION_GRACE_MS = 30_000;
/** The StatefulSets' runAsUser/runAsGroup/fsGroup (pairs/fastdfs/fastdfs-construct.ts). */
const POD_USER = '10001';

type Mutation = 'none' | 'writable-standby' | 'own-tracker-only';

interface Container {
  readonly name: string;
  readonly command: readonly string[];
  readonly mounts: readonly { readonly name: string; readonly mountPath: string }[];
}

/** A pod as the kubelet runs it: each init container to completion, in order, then the container; restarted when its template changes. */
interface Pod {
  readonly init: readonly Container[];
  readonly main: Container;
  /** The StatefulSet's pod template as synthesized (a rollout follows a change of it). */
  readonly template: string;
}

/** One stack's FastDFS as synthesized: the ConfigMap's files and the two StatefulSets' pods. */
interface SynthesizedFastdfs {
  readonly files: Readonly<Record<string, string>>;
  readonly tracker: Pod;
  readonly storage: Pod;
}

type ContainerJson = { name: string; command: string[]; volume_mount: { name: string; mount_path: string }[] };

interface StackJson {
  resource: {
    kubernetes_config_map_v1: Record<string, { data: Record<string, string> }>;
    kubernetes_stateful_set_v1: Record<string, { metadata: { name: string }; spec: { template: { metadata: { annotations: Record<string, string> }; spec: { container: ContainerJson[]; init_container?: ContainerJson[] } } } }>;
  };
}

/** Every stack's synthesized FastDFS, by `<active site>/<stack>`. */
function synthesizedFastdfs(work: string): Map<string, SynthesizedFastdfs> {
  const result = new Map<string, SynthesizedFastdfs>();
  for (const activeSite of ['A', 'B'] as const) {
    const outdir = join(work, `synth-${activeSite}`);
    buildPlatformApp(outdir, loadEnvironments(ENVIRONMENTS, ['demo']), { activeSite }).synth();
    for (const stack of readdirSync(join(outdir, 'stacks'))) {
      const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as StackJson;
      const config = Object.values(json.resource.kubernetes_config_map_v1 ?? {}).find((c) => c.data['storage_ids.conf'] !== undefined);
      if (!config) continue;
      const sets = Object.values(json.resource.kubernetes_stateful_set_v1);
      const container = (c: ContainerJson): Container => ({ name: c.name, command: c.command, mounts: c.volume_mount.map((m) => ({ name: m.name, mountPath: m.mount_path })) });
      const pod = (name: string): Pod => {
        const set = sets.find((s) => s.metadata.name === name);
        if (!set) throw new Error(`${stack}: no StatefulSet ${name}`);
        const { spec } = set.spec.template;
        return { init: (spec.init_container ?? []).map(container), main: container(spec.container[0]!), template: JSON.stringify(set.spec.template) };
      };
      const [tracker, storage] = [pod('fastdfs-tracker'), pod('fastdfs-storage')];
      result.set(`${activeSite}/${stack}`, { files: config.data, tracker, storage });
    }
  }
  return result;
}

/** A test helper that breaks the synthesized files on purpose: the drill must then fail. */
function perturb(files: Readonly<Record<string, string>>, mutation: Mutation, site: Site, pair: FastdfsPairRef): Record<string, string> {
  switch (mutation) {
    case 'none':
      return { ...files };
    case 'writable-standby':
      return { ...files, 'storage_ids.conf': files['storage_ids.conf']!.replace(/rw=none/g, 'rw=both') };
    case 'own-tracker-only': {
      const other = pair.tracker[site === 'A' ? 'B' : 'A'].host;
      return { ...files, 'storage.conf': files['storage.conf']!.split('\n').filter((line) => !line.startsWith(`tracker_server = ${other}:`)).join('\n') };
    }
  }
}

class Datacenters {
  /** The pods running, by `<site>/<tracker|storage>`, with the template each was started from. */
  private readonly running = new Map<string, { pod: RunningPod; template: string }>();

  constructor(
    readonly work: string,
    readonly province: ProvinceModel,
    readonly pair: FastdfsPairRef,
    readonly synthesized: Map<string, SynthesizedFastdfs>,
    readonly mutation: Mutation,
  ) {}

  stackOf(site: Site): string {
    return `demo-${this.pair.zone}-${site.toLowerCase()}`;
  }

  /** The directory holding a site's volume (`config`, `data` of each server). */
  volume(site: Site, server: 'tracker' | 'storage', name: string): string {
    return name === 'config' ? join(this.work, site, 'config') : join(this.work, site, `${server}-${name}`);
  }

  /** Storage server disk path of a file id (`group1/M00/00/00/x` -> `<store_path0>/data/00/00/x`). */
  fileAt(site: Site, fileId: string): string {
    return join(this.volume(site, 'storage', 'data'), 'data', ...fileId.split('/').slice(2));
  }

  /**
   * Applies a stack's synthesized FastDFS to its site, as a deploy does: the ConfigMap's files, then each
   * StatefulSet whose pod template changed (or every one, with `always`) rolled: stopped, started again.
   */
  async apply(site: Site, activeSite: Site, always = false): Promise<void> {
    const synthesized = this.synthesized.get(`${activeSite}/${this.stackOf(site)}`)!;
    const config = this.volume(site, 'tracker', 'config');
    mkdirSync(config, { recursive: true });
    for (const [name, text] of Object.entries(perturb(synthesized.files, this.mutation, site, this.pair))) writeFileSync(join(config, name), text);
    for (const server of ['tracker', 'storage'] as const) {
      const key = `${site}/${server}`;
      const running = this.running.get(key);
      const pod = synthesized[server];
      if (running && !always && running.template === pod.template) continue;
      if (running) await running.pod.stop('SIGTERM');
      // Not awaited: a storage server's init container may wait for the other site (its join gate).
      this.running.set(key, { pod: this.startPod(site, server, pod), template: pod.template });
      if (server === 'tracker') {
        await waitFor(() => serverReachable(this.pair.tracker[site]), 15, `the tracker at ${site} did not start`).catch((e: Error) => {
          throw new Error(`${e.message}: ${this.logTail(site, 'tracker')}`);
        });
      }
    }
  }

  /** Runs a pod's init containers in order, each to completion, then its container; `stop()` kills whichever runs. */
  private startPod(site: Site, server: 'tracker' | 'storage', pod: Pod): RunningPod {
    let current: ChildProcess | undefined;
    let stopped = false;
    const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
    const done = (async () => {
      for (const init of pod.init) {
        current = this.start(site, server, init);
        const code = await exitOf(current);
        if (stopped) return;
        if (code !== 0) throw new Error(`init container ${init.name} of ${server} at ${site} exited ${code}: ${this.output.get(`${site}/${server}`)?.join('').slice(-400)}`);
      }
      if (!stopped) current = this.start(site, server, pod.main);
    })();
    done.catch((e: Error) => this.failures.push(e.message));
    return {
      stop: async (signal) => {
        // Whatever runs now is killed; the chain, seeing `stopped`, starts nothing after it.
        stopped = true;
        if (current) {
          const exited = exitOf(current);
          current.kill(signal);
          // As the kubelet: SIGKILL when the pod's grace period (30 s, the StatefulSets' default) is over.
          const kill = setTimeout(() => current?.kill('SIGKILL'), TERMINATION_GRACE_MS);
          await exited;
          clearTimeout(kill);
        }
        await done.catch(() => undefined);
      },
    };
  }

  /** Pods whose init containers failed (a kubelet would show them in CrashLoopBackOff). */
  readonly failures: string[] = [];

  /** One server in its datacenter's namespace: its volumes bind-mounted at their mount paths (a private mount namespace), as the pod's user. */
  private start(site: Site, server: 'tracker' | 'storage', container: Container): ChildProcess {
    const binds = container.mounts.map((m) => {
      const dir = this.volume(site, server, m.name);
      mkdirSync(dir, { recursive: true });
      if (m.name !== 'config') chownSync(dir, Number(POD_USER), Number(POD_USER));
      mkdirSync(m.mountPath, { recursive: true });
      return `mount --bind '${dir}' '${m.mountPath}'`;
    });
    const script = `${binds.join(' && ')} && exec setpriv --reuid=${POD_USER} --regid=${POD_USER} --clear-groups -- "$@"`;
    const child = spawnIn(site, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...container.command]);
    child.stdout?.resume();
    const output: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    this.output.set(`${site}/${server}`, output);
    return child;
  }

  private readonly output = new Map<string, string[]>();

  /** The end of a server's log (or, before it logs, of what it printed). */
  private logTail(site: Site, server: 'tracker' | 'storage'): string {
    const log = join(this.volume(site, server, 'data'), 'logs', server === 'tracker' ? 'trackerd.log' : 'storaged.log');
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-4).join(' | ') : `no log; printed: ${(this.output.get(`${site}/${server}`) ?? []).join('').slice(-400)}`;
  }

  /** The deployer the switchover uses: each deployed stack's synthesized FastDFS applied to its site's servers. */
  deployer(): Deployer {
    return {
      describe: (stacks, activeSite) => `apply the synthesized FastDFS of ${stacks.join(', ')} (active site ${activeSite}) to the drill's servers`,
      deploy: async (stacks, activeSite) => {
        for (const site of ['A', 'B'] as const) if (stacks.includes(this.stackOf(site))) await this.apply(site, activeSite);
      },
    };
  }

  /** Both storage servers ACTIVE at both trackers, and uploads at `active`'s tracker going to its storage server. */
  async waitUntilJoined(active: Site, seconds: number): Promise<void> {
    let last = '';
    await waitFor(
      async () => {
        for (const site of ['A', 'B'] as const) {
          const members = await listStorages(this.pair.tracker[site], this.pair.group).catch(() => []);
          last = `${site}: ${members.map((m) => `${m.id} ${m.status} ${m.access}`).join(', ')}`;
          if (members.length !== 2 || members.some((m) => m.status !== 'ACTIVE')) return false;
        }
        return (await uploadTarget(this.pair.tracker[active]).catch(() => undefined))?.address === this.pair.storage[active].address.host;
      },
      seconds,
      `the FastDFS group did not form (last: ${last})`,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last: ${last}; pods failed: ${this.failures.join('; ') || 'none'}; storage A: ${this.logTail('A', 'storage')}; storage B: ${this.logTail('B', 'storage')}`);
    });
  }
}

interface RunningPod {
  readonly stop: (signal: NodeJS.Signals) => Promise<void>;
}

interface Upload {
  readonly id: string;
  readonly sha256: string;
  readonly storage: string;
  readonly at: number;
}

interface WriterRun {
  readonly stop: () => Promise<void>;
  readonly acknowledged: () => Upload[];
}

function startWriter(work: string, site: Site, tracker: string, name: string): WriterRun {
  const writer = startWriterProcess(site, join(__dirname, 'support', 'fastdfs-writer.ts'), join(work, `writer-${name}.log`), join(work, `writer-${name}.stop`), [String(UPLOADS_PER_SECOND), '600', tracker]);
  return {
    stop: writer.stop,
    acknowledged: () =>
      writer
        .lines()
        .filter((line) => line && !line.startsWith('- '))
        .map((line) => {
          const [id, sha256, storage, at] = line.split(' ') as [string, string, string, string];
          return { id, sha256, storage, at: Number(at) };
        }),
  };
}

/** The acknowledged files a site's disk does not hold with the content acknowledged. */
function missingAt(dc: Datacenters, site: Site, uploads: readonly Upload[]): Upload[] {
  return uploads.filter((u) => {
    const path = dc.fileAt(site, u.id);
    return !existsSync(path) || createHash('sha256').update(readFileSync(path)).digest('hex') !== u.sha256;
  });
}

async function setUp(mutation: Mutation, work: string): Promise<Datacenters> {
  const [loaded] = loadEnvironments(ENVIRONMENTS, ['demo']);
  const province = resolveProvince('demo', loaded!.environment);
  const [pair] = fastdfsPairsOf(province);
  if (!pair) throw new Error('the demo province has no FastDFS pair: nothing to drill');
  const { A, B } = { A: pair.tracker.A.host, B: pair.tracker.B.host };
  buildTwoDatacenters({ A: [A], B: [B], egress: { A, B } });
  const dc = new Datacenters(work, province, pair, synthesizedFastdfs(work), mutation);
  // The harder order: the standby's servers start first (its join gate must hold it back).
  await dc.apply('B', 'A');
  await sleep(3000);
  await dc.apply('A', 'A');
  // A new group forms at the storage servers' heartbeats: the standby joins, syncs, turns ACTIVE.
  const started = Date.now();
  await dc.waitUntilJoined('A', 180);
  console.log(`FastDFS group formed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dc;
}

async function switchover(dc: Datacenters, activeSite: Site, to: Site, journal: string, siteLost?: Site): Promise<SwitchoverOutcome> {
  const lines: string[] = [];
  const outcome = await executeSwitchover({
    province: { ...dc.province, activeSite },
    kinds: ['fastdfs'],
    to,
    ...(siteLost ? { siteLost } : {}),
    execute: true,
    journalDir: journal,
    discardDivergent: false,
    deployer: dc.deployer(),
    print: (line) => lines.push(line),
    timeouts: { caughtUpSeconds: 60, followingSeconds: 120 },
  });
  // When each step ended, from the start of the run (the first one, when resumed).
  const records = readFileSync(join(journal, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; startedAt?: string; step?: string; status?: string; at?: string });
  const started = Date.parse(records[0]!.startedAt!);
  const timeline = records.filter((r) => r.type === 'step').map((r) => `+${((Date.parse(r.at!) - started) / 1000).toFixed(1)} s ${r.status} ${r.step}`);
  console.log(`switchover ${activeSite} -> ${to}${siteLost ? ` (site ${siteLost} lost)` : ''}: ${outcome.status}\n${lines.join('\n')}\n${timeline.join('\n')}`);
  return outcome;
}

/** Planned switchover under an application storing files at the old site: returns acknowledged files the new site lacks. */
async function plannedSwitchover(dc: Datacenters, from: Site, to: Site): Promise<number> {
  const name = `planned-${from}${to}`;
  const writer = startWriter(dc.work, from, `${dc.pair.tracker[from].host}:${dc.pair.tracker[from].port}`, name);
  await sleep(3000);
  const before = writer.acknowledged();
  const astray = before.filter((u) => u.storage !== dc.pair.storage[from].address.host);
  if (astray.length > 0) throw new Error(`${astray.length} of ${before.length} uploads at site ${from} went to ${astray[0]!.storage}, not to the active site's storage server`);
  const outcome = expectCompleted(await switchover(dc, from, to, join(dc.work, `journal-${name}`)));
  const completedAt = Date.now();
  await sleep(2000);
  await writer.stop();
  const acknowledged = writer.acknowledged();
  expect(acknowledged.length).toBeGreaterThan(UPLOADS_PER_SECOND * 3);
  // The files the old site took up to the end sync over too: wait for the last one, then count.
  const last = acknowledged[acknowledged.length - 1]!;
  await waitFor(async () => missingAt(dc, to, [last]).length === 0, 30, `the last file acknowledged (${last.id}) did not reach site ${to}`).catch(() => undefined);
  const lost = missingAt(dc, to, acknowledged).length;
  // The 2 s after the switchover completed (measured from then: the wait above may take longer).
  const afterSwitchover = acknowledged.filter((u) => u.at > completedAt);
  const astrayAfter = afterSwitchover.filter((u) => u.storage !== dc.pair.storage[to].address.host).length;
  console.log(`FastDFS planned ${from} -> ${to}: ${acknowledged.length} files acknowledged at ${from}'s tracker, ${lost} missing at ${to}; RTO ${outcome.report.rtoSeconds.toFixed(1)} s; of the ${afterSwitchover.length} uploads after it completed, not at ${to}'s storage server: ${astrayAfter}`);
  expect(afterSwitchover.length).toBeGreaterThan(UPLOADS_PER_SECOND);
  expect(astrayAfter).toBe(0);
  return lost;
}

/** (b): site A lost mid-upload, failover to B, A back, drained, re-pointed. */
async function siteLoss(dc: Datacenters): Promise<void> {
  const name = 'site-loss';
  const writer = startWriter(dc.work, 'A', `${dc.pair.tracker.A.host}:${dc.pair.tracker.A.port}`, name);
  await sleep(3000);
  cutLink();
  setSeatReachable('A', false);
  const cutAt = Date.now();

  const journal = join(dc.work, 'journal-site-loss');
  const first = await switchover(dc, 'A', 'B', journal, 'A');
  expect(first.status).toBe('waiting');
  const promotedAt = Date.now();
  const records = readFileSync(join(journal, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step?: string; at?: string; data?: Record<string, unknown> });
  const rtoSeconds = Number(records.find((r) => r.step === 'writable:fastdfs@core')!.data!.rtoSeconds);
  const checked = records.find((r) => r.step === 'check')!;
  const windowSeconds = Number((checked.data!['fastdfs@core'] as { windowSeconds: number }).windowSeconds);
  // B takes uploads now, at its own storage server.
  expect((await uploadTarget(dc.pair.tracker.B))?.address).toBe(dc.pair.storage.B.address.host);

  await sleep(3000); // A, cut off, still takes uploads from its own applications
  const atPromotion = writer.acknowledged().filter((u) => u.at < cutAt);
  const missing = missingAt(dc, 'B', atPromotion);
  const missingAtPromotion = missing.length;
  // The window the switchover reported bounds them: each was acknowledged within it (1 s for rounding).
  const windowStart = Date.parse(checked.at!) - (windowSeconds + 1) * 1000;
  const outside = missing.filter((u) => u.at < windowStart);
  if (outside.length > 0) throw new Error(`${outside.length} files B lacks were acknowledged before the reported window of ${windowSeconds} s`);
  await writer.stop();
  const acknowledged = writer.acknowledged();
  const duringCut = acknowledged.filter((u) => u.at >= cutAt);
  expect(duringCut.length).toBeGreaterThan(UPLOADS_PER_SECOND);
  const missingBeforeReturn = missingAt(dc, 'B', acknowledged).length;

  restoreLink();
  setSeatReachable('A', true);
  const second = await switchover(dc, 'A', 'B', journal, 'A');
  const report = expectCompleted(second).report.pairs.find((p) => p.kind === 'fastdfs')!;
  const lostForGood = missingAt(dc, 'B', acknowledged).length;
  console.log(
    `FastDFS site loss: ${acknowledged.length} files acknowledged at A; at the failover B lacked ${missingAtPromotion} of the ${atPromotion.length} acknowledged before the cut (RPO); ` +
      `RTO ${rtoSeconds.toFixed(1)} s; A took ${duringCut.length} more while cut off (${((promotedAt - cutAt) / 1000).toFixed(1)} s to promote); ` +
      `B lacked ${missingBeforeReturn} before A returned; the switchover reported a window of at most ${report.windowSeconds} s and A's files drained to B in ${report.drainSeconds} s; lost for good: ${lostForGood}`,
  );
  expect(lostForGood).toBe(0);
}

const haveFastdfs = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v fdfs_trackerd && command -v fdfs_storaged'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('FastDFS pair in two datacenters (real fdfs_trackerd and fdfs_storaged)', () => {
  let work = '';
  beforeAll(() => {
    if (!namespacesAvailable()) throw new Error('the FastDFS drill needs root and iproute2 (network namespaces)');
    if (!haveFastdfs) throw new Error('the FastDFS drill needs fdfs_trackerd and fdfs_storaged (FastDFS V6.13.0) on PATH: docs/disaster-recovery.md, "FastDFS drill", says how to build them');
  });
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'hsa-fastdfs-drill-'));
    chmodSync(work, 0o755); // the servers run as the pod's user, who must reach their volumes inside
  });
  afterEach(async () => {
    await tearDownAll();
    // HSA_DRILL_KEEP=1 keeps the servers' logs and the journals for a look after a failure.
    if (process.env.HSA_DRILL_KEEP) console.log(`FastDFS drill: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  test('(a) planned switchover A -> B and (c) failback B -> A lose no acknowledged file; (b) a lost site loses none for good', async () => {
    const dc = await setUp('none', work);
    expect(await plannedSwitchover(dc, 'A', 'B')).toBe(0);
    expect(await plannedSwitchover(dc, 'B', 'A')).toBe(0);
    await siteLoss(dc);
  });

  // Each must fail at the check that sees what it breaks, not in the drill's own machinery.
  test.each([
    ['writable-standby', /uploads at site A went to 10\.20\.2\.24, not to the active site's storage server|its storage server takes uploads already/],
    ['own-tracker-only', /the FastDFS group did not form/],
  ] as const)('a broken configuration (%s) fails the drill', async (mutation, failure) => {
    const run = async () => {
      const dc = await setUp(mutation, work);
      expect(await plannedSwitchover(dc, 'A', 'B')).toBe(0);
    };
    const failed = await run().then(
      () => undefined,
      (e: Error) => e,
    );
    console.log(`FastDFS broken configuration ${mutation}: ${failed ? `failed: ${failed.message.slice(0, 300)}` : 'passed'}`);
    expect(failed?.message).toMatch(failure);
  });
});
