/**
 * The switchover's steps for a FastDFS DR pair (one per zone): both sites' storage servers are members
 * of one group; each syncs the files its own clients stored to the other from its binlog, in order, and
 * the trackers send clients to the storage server whose access mode (`rw=` in storage_ids.conf) lets
 * them. Switching is a deploy: each site's trackers read the new access modes at their restart.
 *
 * FastDFS loses no file to a switchover by itself: file ids never collide (each names the storage
 * server that took it), and a storage server that comes back after a partition syncs what it took
 * while it was away. What can be lost is what only the lost site's disks hold. So the steps prove
 * where each site's files are, with a **marker**: a small file the switchover stores at one site's
 * storage server and waits to find on the other's disk (QUERY_FILE_INFO). Because a storage server
 * syncs its binlog in order, once the marker has arrived every file stored before it has too: the
 * exact catch-up check, where the trackers' sync timestamps are seconds-coarse and, right after a
 * restart, can stay behind files that have arrived.
 *
 *   check      the new site's tracker lists both storage servers, the new one ACTIVE and not yet
 *              writable (and, planned, the old tracker sends uploads to the old storage); after losing a
 *              site, the seconds since the last file the new site received from it (an upper bound of
 *              the window of files possibly missing: the trackers hear of syncs at heartbeats)
 *   caught-up  planned: a marker stored at the old site arrives at the new one
 *   writable   after the deploy at the new site: its tracker sends uploads to its own storage server
 *   drained    site lost, once the old site is back: a marker stored there arrives at the new site, so
 *              every file the old site took (also while it was cut off) is at the new site. How many is
 *              not known exactly here (a tracker's upload counter is as old as the last heartbeat);
 *              none is lost, which is what the step proves
 *   following  after the deploy at the old site: both trackers send uploads to the new site and apply
 *              the new access modes, and a marker crosses each way
 */
import type { ProvinceModel } from '../../model/platform-model';
import { PORTS } from '../../model/middleware-model';
import { otherSite, ZONES, type Site, type Zone } from '../../model/topology';
import { deleteFile, holdsFile, listStorages, serverReachable, storeFile, uploadTarget, type ServerAddress, type StorageServerState } from './fastdfs-member';
import { writableData, type PairKind, type PairReport, type StepResult, type SwitchoverPair } from '../kind';

export interface FastdfsPairRef {
  readonly zone: Zone;
  readonly group: string;
  /** Each site's tracker and storage server share the site's FastDFS address. */
  readonly tracker: Readonly<Record<Site, ServerAddress>>;
  readonly storage: Readonly<Record<Site, { readonly id: string; readonly address: ServerAddress }>>;
}

export const fastdfsPairName = (pair: FastdfsPairRef) => `fastdfs@${pair.zone}`;

/** The FastDFS pairs of a province: zones whose two sites' storage servers form one group. */
export function fastdfsPairsOf(province: ProvinceModel): FastdfsPairRef[] {
  return ZONES.flatMap((zone) => {
    const plan = province.units.find((u) => u.zone === zone)?.middlewarePlan.fastdfs;
    if (!plan || plan.storageServers.length < 2) return [];
    const server = (site: Site) => plan.storageServers.find((s) => s.site === site)!;
    const at = (site: Site, port: number) => ({ host: server(site).host, port });
    return [
      {
        zone,
        group: plan.group,
        tracker: { A: at('A', PORTS.fastdfsTracker), B: at('B', PORTS.fastdfsTracker) },
        storage: { A: { id: String(server('A').id), address: at('A', PORTS.fastdfsStorage) }, B: { id: String(server('B').id), address: at('B', PORTS.fastdfsStorage) } },
      },
    ];
  });
}

const where = (pair: FastdfsPairRef, site: Site) => `${fastdfsPairName(pair)} at ${site} (${pair.tracker[site].host})`;
const failure = (e: unknown) => (e instanceof Error ? e.message : String(e));

type GroupView = { readonly members: ReadonlyMap<string, StorageServerState> } | Error;

async function groupView(pair: FastdfsPairRef, trackerSite: Site): Promise<GroupView> {
  try {
    return { members: new Map((await listStorages(pair.tracker[trackerSite], pair.group)).map((s) => [s.id, s])) };
  } catch (e) {
    return new Error(`${where(pair, trackerSite)}: tracker does not answer (${failure(e)})`);
  }
}

/** What a member looks like at one site's tracker, for the journal. */
function summary(state: StorageServerState | undefined): Record<string, unknown> | undefined {
  if (!state) return undefined;
  return { status: state.status, access: state.access, lastSourceUpdate: state.lastSourceUpdate, lastSyncedTimestamp: state.lastSyncedTimestamp, lastHeartBeatTime: state.lastHeartBeatTime, uploads: state.successUploadCount };
}

export async function checkFastdfsPair(pair: FastdfsPairRef, from: Site, to: Site, siteLost: boolean, now: Date): Promise<{ problems: string[]; data: Record<string, unknown> }> {
  const view = await groupView(pair, to);
  if (view instanceof Error) return { problems: [view.message], data: {} };
  const [oldMember, newMember] = [view.members.get(pair.storage[from].id), view.members.get(pair.storage[to].id)];
  const data: Record<string, unknown> = { [`${from}@${to}`]: summary(oldMember), [`${to}@${to}`]: summary(newMember) };
  const problems: string[] = [];
  if (!newMember || !oldMember) problems.push(`${where(pair, to)}: group ${pair.group} lacks storage server ${!newMember ? pair.storage[to].id : pair.storage[from].id} (members: ${[...view.members.keys()].join(', ') || 'none'})`);
  else if (newMember.status !== 'ACTIVE') problems.push(`${where(pair, to)}: its storage server is ${newMember.status}, not ACTIVE: it may not hold the group's files`);
  else if (newMember.access === 'both' || newMember.access === 'write') problems.push(`${where(pair, to)}: its storage server takes uploads already (access ${newMember.access})`);
  if (problems.length > 0) return { problems, data };
  if (siteLost) {
    // Files the old site stored after the last one the new site received from it may be missing until
    // it returns. The tracker hears of that last file at the new site's heartbeat, so the window is an
    // upper bound (server clocks, kept in step by NTP, as FastDFS's own sync needs).
    const windowSeconds = Math.max(0, Math.round(now.getTime() / 1000) - newMember!.lastSyncedTimestamp);
    return { problems, data: { ...data, windowSeconds } };
  }
  const oldTarget = await uploadTarget(pair.tracker[from]).catch((e: unknown) => new Error(failure(e)));
  if (oldTarget instanceof Error) return { problems: [`${where(pair, from)}: tracker does not answer (${oldTarget.message}): if site ${from} is lost, run with --site-lost ${from}`], data };
  if (oldTarget?.address !== pair.storage[from].address.host) problems.push(`${where(pair, from)}: its tracker sends uploads to ${oldTarget?.address ?? 'no storage server'}, not to site ${from}'s storage server`);
  return { problems, data };
}

/**
 * Stores a marker at `source`'s storage server and waits (up to `timeoutSeconds`) until `destination`'s
 * holds it; then deletes it, also on timeout (the delete syncs too). Answers the seconds it took, or
 * undefined on timeout.
 */
async function markerCrosses(pair: FastdfsPairRef, source: Site, destination: Site, timeoutSeconds: number): Promise<{ file: string; seconds: number } | undefined> {
  const started = Date.now();
  const file = await storeFile(pair.storage[source].address, Buffer.from(`hsa switchover marker ${fastdfsPairName(pair)} ${source}->${destination} ${new Date(started).toISOString()}\n`), 'hsa');
  try {
    for (;;) {
      if (await holdsFile(pair.storage[destination].address, file).catch(() => false)) return { file, seconds: (Date.now() - started) / 1000 };
      if (Date.now() - started > timeoutSeconds * 1000) return undefined;
      await sleep(100);
    }
  } finally {
    // Deleted where it was stored, arrived or not; if it reaches the other site later, the delete follows it.
    await deleteFile(pair.storage[source].address, file).catch(() => undefined);
  }
}

/** Planned: every file the old site stored (before this step) is on the new site's disk. */
export async function fastdfsCaughtUp(pair: FastdfsPairRef, from: Site, to: Site, timeoutSeconds: number): Promise<StepResult> {
  const crossed = await markerCrosses(pair, from, to, timeoutSeconds).catch((e: unknown) => new Error(failure(e)));
  if (crossed instanceof Error) return { status: 'refused', message: `${where(pair, from)}: cannot store the catch-up marker (${crossed.message})` };
  if (!crossed) return { status: 'refused', message: `${fastdfsPairName(pair)}: a file stored at site ${from} has not reached site ${to} after ${timeoutSeconds} s: its sync is behind or broken` };
  return { status: 'done', data: { marker: crossed.file, syncSeconds: crossed.seconds } };
}

/** After the deploy at the new site: its tracker sends uploads to its own storage server. */
export async function fastdfsWritable(pair: FastdfsPairRef, to: Site, timeoutSeconds: number): Promise<StepResult> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const target = await uploadTarget(pair.tracker[to]).catch(() => undefined);
    if (target?.address === pair.storage[to].address.host) return { status: 'done', data: { uploadsTo: `${target.address}:${target.port}` } };
    if (Date.now() > deadline) return { status: 'refused', message: `${where(pair, to)}: its tracker sends uploads to ${target?.address ?? 'no storage server'} ${timeoutSeconds} s after the deploy, not to its own storage server` };
    await sleep(200);
  }
}

/** Site lost, once it is back: every file it took (also while cut off) is at the new site. */
export async function fastdfsDrained(pair: FastdfsPairRef, from: Site, to: Site, timeoutSeconds: number): Promise<StepResult> {
  if (!(await serverReachable(pair.storage[from].address))) return { status: 'waiting', message: `${where(pair, from)}: its storage server does not answer; run again when site ${from} is back` };
  const crossed = await markerCrosses(pair, from, to, timeoutSeconds).catch((e: unknown) => new Error(failure(e)));
  if (crossed instanceof Error) return { status: 'waiting', message: `${where(pair, from)}: cannot store the marker yet (${crossed.message}); run again` };
  if (!crossed) return { status: 'waiting', message: `${fastdfsPairName(pair)}: site ${from}'s files are still on their way to site ${to} after ${timeoutSeconds} s; run again` };
  return { status: 'done', data: { marker: crossed.file, syncSeconds: crossed.seconds } };
}

/** After the deploy at the old site: both trackers apply the new access modes and send uploads to the new site; files cross both ways. */
export async function fastdfsFollowing(pair: FastdfsPairRef, from: Site, timeoutSeconds: number): Promise<StepResult> {
  const to = otherSite(from);
  const deadline = Date.now() + timeoutSeconds * 1000;
  let problem = '';
  for (;;) {
    problem = await followingProblem(pair, from, to);
    if (!problem) break;
    if (Date.now() > deadline) return { status: 'refused', message: `${fastdfsPairName(pair)}: ${problem} ${timeoutSeconds} s after the deploy at site ${from}` };
    await sleep(200);
  }
  const remaining = Math.max(1, (deadline - Date.now()) / 1000);
  const [there, back] = [await markerCrosses(pair, to, from, remaining), await markerCrosses(pair, from, to, remaining)];
  if (!there || !back) return { status: 'refused', message: `${fastdfsPairName(pair)}: a file stored at site ${!there ? to : from} did not reach site ${!there ? from : to}` };
  return { status: 'done', data: { syncSeconds: { [`${to}->${from}`]: there.seconds, [`${from}->${to}`]: back.seconds } } };
}

async function followingProblem(pair: FastdfsPairRef, from: Site, to: Site): Promise<string> {
  for (const site of [from, to]) {
    const view = await groupView(pair, site);
    if (view instanceof Error) return view.message;
    for (const [member, access] of [[to, 'both'], [from, 'none']] as const) {
      const state = view.members.get(pair.storage[member].id);
      if (state?.status !== 'ACTIVE' || state.access !== access) return `${where(pair, site)}: site ${member}'s storage server is ${state ? `${state.status} with access ${state.access}` : 'missing'}, expected ACTIVE with access ${access}`;
    }
    const target = await uploadTarget(pair.tracker[site]).catch(() => undefined);
    if (target?.address !== pair.storage[to].address.host) return `${where(pair, site)}: its tracker sends uploads to ${target?.address ?? 'no storage server'}`;
  }
  return '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const fastdfsPairKind: PairKind = {
  name: 'fastdfs',
  pairsOf: (province) => fastdfsPairsOf(province).map(fastdfsSwitchoverPair),
  // The toolkit reaches FastDFS's trackers and storage servers without credentials (their network policy admits it).
  missingAccess: () => undefined,
};

function fastdfsSwitchoverPair(pair: FastdfsPairRef): SwitchoverPair {
  const name = fastdfsPairName(pair);
  return {
    kind: 'fastdfs',
    name,
    check: ({ from, to, siteLost, now }) => checkFastdfsPair(pair, from, to, siteLost, now()),
    steps: ({ from, to, siteLost }) => ({
      'caught-up': {
        id: `caught-up:${name}`,
        title: `Store a marker file at ${name}'s storage server at site ${from} and wait until site ${to}'s holds it: every file stored there before it has then arrived (binlog sync is in order)`,
        run: (context) => fastdfsCaughtUp(pair, from, to, context.timeouts.caughtUpSeconds),
      },
      writable: {
        id: `writable:${name}`,
        title: `Verify ${name}'s tracker at site ${to} sends uploads to site ${to}'s storage server`,
        async run(context) {
          const result: StepResult = await fastdfsWritable(pair, to, context.timeouts.followingSeconds);
          return result.status === 'done' ? { ...result, data: { ...result.data, rtoSeconds: context.secondsSinceStart() } } : result;
        },
      },
      // Nothing to fence or discard: FastDFS syncs both ways and file ids never collide. After a site
      // loss the old site's files, also those it took while cut off, are waited for instead.
      ...(siteLost
        ? {
            divergence: {
              id: `drained:${name}`,
              title: `Wait until every file ${name} at site ${from} took (also while cut off) is at site ${to}: a marker stored there arrives`,
              run: (context) => fastdfsDrained(pair, from, to, context.timeouts.followingSeconds),
            },
          }
        : {}),
      following: {
        id: `following:${name}`,
        title: `Verify both trackers of ${name} send uploads to site ${to} (access modes swapped) and a marker crosses each way`,
        run: (context) => fastdfsFollowing(pair, from, context.timeouts.followingSeconds),
      },
    }),
    report({ siteLost, last }) {
      const checked = last('check')?.data?.[name] as { windowSeconds?: number } | undefined;
      const { rtoSeconds, writableAt } = writableData(last(`writable:${name}`));
      return {
        kind: 'fastdfs',
        pair: name,
        rtoSeconds,
        ...(writableAt ? { writableAt } : {}),
        ...(siteLost
          ? { windowSeconds: Number(checked?.windowSeconds ?? 0), drainSeconds: Number(last(`drained:${name}`)?.data?.syncSeconds ?? 0) }
          : { catchUpSeconds: Number(last(`caught-up:${name}`)?.data?.syncSeconds ?? 0) }),
      };
    },
    // FastDFS drops nothing when the old site is re-pointed: the drained step found all its files at the new site.
    describe: (p: PairReport, { from, to, siteLost }) =>
      `${p.pair}: ${
        siteLost
          ? `files possibly missing at site ${to} while site ${from} was away: at most those of the last ${p.windowSeconds} s before the promotion; every file site ${from} took, also while cut off, is at site ${to} now (a marker from it arrived in ${p.drainSeconds} s)`
          : `every file of site ${from} at site ${to} (a marker took ${p.catchUpSeconds} s)`
      }; RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run`,
  };
}
