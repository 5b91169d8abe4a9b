/**
 * Executes the DR plan (容灾切换) of one province for its Redis pairs: a planned switchover while both
 * datacenters run, or a failover after losing one (`siteLost`). Every step checks its precondition
 * against the real servers, acts, and appends what it measured to the journal; a run started again on
 * the same journal resumes where it stopped. In a dry run nothing is changed: the steps are listed with
 * what each would check.
 *
 * Planned (both sites up), from S to T:
 *   check both sides -> fence S (writes stop) -> T caught up to S's offset -> promote T -> divergence of S
 *   (none expected) -> deploy S (re-pointed to follow T) -> deploy T -> T takes writes -> S follows T.
 *   S is re-pointed before T is deployed, so T's start-up gate sees a replica, not a second primary.
 * Site lost (S unreachable):
 *   check T, record its last contact with S (the window of writes possibly lost) -> promote T -> deploy T
 *   -> T takes writes -> [wait for S] -> fence S -> divergence of S saved -> acknowledged
 *   (`--discard-divergent`) -> deploy S -> S follows T.
 * While S is away the run stops with `waiting`; run it again when S answers. S's start-up gate keeps it
 * from taking writes if it restarts while T is primary (model/middleware-model.ts, redisStartupGate).
 */
import { closeSync, openSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import type { ProvinceModel } from '../model/platform-model';
import { otherSite, stackName, ZONES, type Site, type Zone } from '../model/topology';
import { PORTS } from '../model/middleware-model';
import { Journal, type RunHeader, type StepRecord } from './journal';
import { fence, findDivergentKeys, promote, reachable, replicationState, unfence, type RedisTarget } from './redis-member';

/** Deploys stacks with a given active site: `cdktf deploy` in production, local servers in a drill. */
export interface Deployer {
  /** What it would run, for the dry run and the journal. */
  describe(stacks: readonly string[], activeSite: Site): string;
  deploy(stacks: readonly string[], activeSite: Site): Promise<void>;
}

export interface RedisPairRef {
  readonly zone: Zone;
  readonly role: 'redis-cache' | 'redis-session';
  readonly address: Readonly<Record<Site, string>>;
}

export interface SwitchoverOptions {
  readonly province: ProvinceModel;
  readonly to: Site;
  readonly siteLost?: Site;
  readonly execute: boolean;
  readonly journalDir: string;
  /** The Redis password (requirepass/masterauth), from the file or variable the operator names. */
  readonly redisPassword: string;
  /** Discard the old site's divergent writes after saving them (recorded in the journal). */
  readonly discardDivergent: boolean;
  readonly deployer: Deployer;
  readonly print: (line: string) => void;
  /** Bounds of the waits (seconds). @default caughtUp 30, following 60 */
  readonly timeouts?: { readonly caughtUpSeconds?: number; readonly followingSeconds?: number };
  readonly now?: () => Date;
}

export type SwitchoverOutcome =
  | { readonly status: 'completed'; readonly report: SwitchoverReport }
  | { readonly status: 'dry-run' }
  | { readonly status: 'waiting'; readonly reason: string }
  | { readonly status: 'refused'; readonly reason: string };

export interface PairReport {
  readonly pair: string;
  /** Seconds the new site had been without contact with the old one when it was promoted (site lost). */
  readonly windowSeconds?: number;
  /** Replication bytes the new site had not received when writes stopped (planned; 0 when caught up). */
  readonly unreceivedBytes?: number;
  /** Writes only the old site held (saved before it was re-pointed). */
  readonly divergentKeys: number;
  readonly divergentFile?: string;
}

export interface SwitchoverReport {
  /** From the start of the run (the first one, when resumed) to the new site taking writes. */
  readonly rtoSeconds: number;
  readonly pairs: readonly PairReport[];
}

export class SwitchoverError extends Error {}

/** The Redis pairs of a province (the pairs this executor checks and switches). */
export function redisPairsOf(province: ProvinceModel): RedisPairRef[] {
  return ZONES.flatMap((zone) => {
    const at = (site: Site) => province.units.find((u) => u.zone === zone && u.site === site)!;
    return at('A')
      .middlewarePlan.redis.filter((plan) => plan.peerAddress)
      .map((plan) => ({ zone, role: plan.role, address: { A: at('A').middlewareVips[plan.role]!, B: at('B').middlewareVips[plan.role]! } }));
  });
}

/** DR pairs of the province this executor has no checks for yet (Kafka, FastDFS), `<role>@<zone>`. */
export function uncheckedPairsOf(province: ProvinceModel): string[] {
  return ZONES.flatMap((zone) => {
    const plans = province.units.filter((u) => u.zone === zone).map((u) => u.middlewarePlan);
    return [
      ...(plans.some((p) => p.kafka?.mirrorSource) ? [`kafka@${zone}`] : []),
      ...(plans.some((p) => (p.fastdfs?.storageServers.length ?? 0) > 1) ? [`fastdfs@${zone}`] : []),
    ];
  });
}

const pairName = (pair: RedisPairRef) => `${pair.role}@${pair.zone}`;

export async function executeSwitchover(options: SwitchoverOptions): Promise<SwitchoverOutcome> {
  const { province, to } = options;
  const from = otherSite(to);
  if (province.activeSite !== from) throw new SwitchoverError(`${province.envName}: site ${to} is already active in the environment; a switchover goes from the active site (${province.activeSite}) to the other one`);
  if (options.siteLost !== undefined && options.siteLost !== from) throw new SwitchoverError(`--site-lost ${options.siteLost}: only the active site (${from}) can be the lost one when switching to ${to}`);
  const pairs = redisPairsOf(province);
  const target = (pair: RedisPairRef, site: Site): RedisTarget => ({ host: pair.address[site], port: PORTS.redis, password: options.redisPassword });
  const stacksAt = (site: Site) => ZONES.map((zone) => stackName(province.envName, zone, site));
  const siteLost = options.siteLost !== undefined;
  const caughtUpSeconds = options.timeouts?.caughtUpSeconds ?? 30;
  const followingSeconds = options.timeouts?.followingSeconds ?? 60;
  const now = options.now ?? (() => new Date());
  const print = options.print;

  const steps = planSteps(pairs, from, to, siteLost);
  if (!options.execute) {
    print(`# Dry run: switchover of ${province.envName} from ${from} to ${to}${siteLost ? ` (site ${from} lost)` : ''}; nothing is changed. Add --execute to act.`);
    steps.forEach((step, i) => print(`${i + 1}. ${step.title}${step.kind === 'deploy' ? `\n   $ ${options.deployer.describe(stacksAt(step.site), to)}` : ''}`));
    return { status: 'dry-run' };
  }

  const header: RunHeader = { envName: province.envName, from, to, ...(siteLost ? { siteLost: from } : {}), pairs: pairs.map(pairName) };
  const journal = Journal.open(options.journalDir, header, now);
  const startedAt = new Date(journal.header.startedAt).getTime();
  const record = (step: string, status: StepRecord['status'], data?: Record<string, unknown>, message?: string) => {
    journal.record({ step, status, at: now().toISOString(), ...(data ? { data } : {}), ...(message ? { message } : {}) });
    print(`${status === 'done' ? 'done   ' : status.padEnd(7)} ${step}${message ? `: ${message}` : ''}`);
  };

  for (const step of steps) {
    if (journal.isDone(step.id)) {
      print(`skip    ${step.id}: done at ${journal.last(step.id)!.at} (journal)`);
      continue;
    }
    const result = await runStep(step);
    if (result) return result;
  }
  return { status: 'completed', report: report() };

  async function runStep(step: Step): Promise<SwitchoverOutcome | undefined> {
    switch (step.kind) {
      case 'check': {
        const problems: string[] = [];
        const data: Record<string, unknown> = {};
        for (const pair of pairs) {
          const newSide = await replicationState(target(pair, to)).catch((e: Error) => e);
          if (newSide instanceof Error) {
            problems.push(`${pairName(pair)} at ${to} (${pair.address[to]}) does not answer: ${newSide.message}`);
            continue;
          }
          if (newSide.role !== 'slave' || newSide.masterHost !== pair.address[from]) {
            problems.push(`${pairName(pair)} at ${to} is not a replica of ${pair.address[from]} (role ${newSide.role}${newSide.masterHost ? `, following ${newSide.masterHost}` : ''})`);
            continue;
          }
          data[pairName(pair)] = { receivedOffset: newSide.receivedOffset, linkUp: newSide.linkUp, linkDownSeconds: newSide.linkDownSeconds, lastIoSeconds: newSide.lastIoSeconds };
          if (!siteLost) {
            const oldSide = await replicationState(target(pair, from)).catch((e: Error) => e);
            if (oldSide instanceof Error) problems.push(`${pairName(pair)} at ${from} (${pair.address[from]}) does not answer (${oldSide.message}): if site ${from} is lost, run with --site-lost ${from}`);
            else if (oldSide.role !== 'master') problems.push(`${pairName(pair)} at ${from} is not a primary (role ${oldSide.role})`);
            else if (!newSide.linkUp) problems.push(`${pairName(pair)} at ${to}: replication link down (for ${newSide.linkDownSeconds ?? '?'} s)`);
          }
        }
        if (problems.length > 0) {
          record(step.id, 'refused', data, problems.join('; '));
          return { status: 'refused', reason: problems.join('; ') };
        }
        record(step.id, 'done', data);
        return undefined;
      }
      case 'fence': {
        const pair = step.pair!;
        if (!(await reachable(target(pair, from)))) {
          record(step.id, 'waiting', undefined, `${pairName(pair)} at site ${from} (${pair.address[from]}) does not answer; run again when site ${from} is back`);
          return { status: 'waiting', reason: `site ${from} does not answer` };
        }
        await fence(target(pair, from));
        const state = await replicationState(target(pair, from));
        if (!state.fenced) throw new SwitchoverError(`${pairName(pair)} at ${from}: the fence did not hold`);
        record(step.id, 'done', { offset: state.offset, role: state.role });
        return undefined;
      }
      case 'caught-up': {
        const pair = step.pair!;
        const deadline = Date.now() + caughtUpSeconds * 1000;
        for (;;) {
          const [oldSide, newSide] = await Promise.all([replicationState(target(pair, from)), replicationState(target(pair, to))]);
          const behind = oldSide.offset - (newSide.receivedOffset ?? 0);
          if (newSide.linkUp && behind === 0) {
            record(step.id, 'done', { offset: oldSide.offset, unreceivedBytes: 0 });
            return undefined;
          }
          if (Date.now() > deadline) {
            record(step.id, 'refused', { offset: oldSide.offset, receivedOffset: newSide.receivedOffset, unreceivedBytes: behind }, `${pairName(pair)} at ${to} is ${behind} bytes behind after ${caughtUpSeconds} s`);
            return { status: 'refused', reason: `${pairName(pair)} did not catch up` };
          }
          await sleep(200);
        }
      }
      case 'promote': {
        const pair = step.pair!;
        const before = await replicationState(target(pair, to));
        const offset = await promote(target(pair, to));
        record(step.id, 'done', { promotedAtOffset: offset, linkDownSeconds: before.linkDownSeconds, lastIoSeconds: before.lastIoSeconds, receivedOffset: before.receivedOffset });
        return undefined;
      }
      case 'divergence': {
        const pair = step.pair!;
        const file = join(journal.directory, `divergent-${pair.role}-${pair.zone}.jsonl`);
        const fd = openSync(file, 'w');
        let divergence;
        try {
          divergence = await findDivergentKeys(target(pair, from), target(pair, to), (key, dump, ttlMs) => {
            writeSync(fd, `${JSON.stringify({ key: key.toString('base64'), dump: dump.toString('base64'), ttlMs })}\n`);
          });
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        const oldState = await replicationState(target(pair, from));
        record(step.id, 'done', { divergentKeys: divergence.keys, scannedKeys: divergence.scanned, file, oldOffset: oldState.offset, promotedAtOffset: journal.last(`promote:${pairName(pair)}`)?.data?.promotedAtOffset });
        return undefined;
      }
      case 'acknowledge': {
        const divergent = pairs.map((pair) => ({ pair: pairName(pair), keys: Number(journal.last(`divergence:${pairName(pair)}`)?.data?.divergentKeys ?? 0) })).filter((d) => d.keys > 0);
        if (divergent.length === 0) {
          record(step.id, 'done', { divergentKeys: 0 });
          return undefined;
        }
        const summary = divergent.map((d) => `${d.pair}: ${d.keys}`).join(', ');
        if (!options.discardDivergent) {
          const reason = `site ${from} holds writes site ${to} does not (${summary}); they are saved in ${journal.directory}/divergent-*.jsonl (RESTORE key ttl payload). Merge them into site ${to}, or run again with --discard-divergent to re-point site ${from} and drop them there`;
          record(step.id, 'refused', { divergent }, reason);
          return { status: 'refused', reason };
        }
        record(step.id, 'done', { divergent, discardAcknowledged: true }, `divergent writes acknowledged and discarded at site ${from} (${summary}); copies kept in the journal directory`);
        return undefined;
      }
      case 'deploy': {
        const stacks = stacksAt(step.site);
        await options.deployer.deploy(stacks, to);
        record(step.id, 'done', { stacks, activeSite: to, command: options.deployer.describe(stacks, to) });
        return undefined;
      }
      case 'following': {
        const pair = step.pair!;
        const deadline = Date.now() + followingSeconds * 1000;
        for (;;) {
          const [oldSide, newSide] = await Promise.all([replicationState(target(pair, from)).catch(() => undefined), replicationState(target(pair, to))]);
          if (oldSide?.role === 'slave' && oldSide.masterHost === pair.address[to] && oldSide.linkUp && oldSide.receivedOffset! >= newSide.offset) {
            record(step.id, 'done', { offset: newSide.offset });
            return undefined;
          }
          if (Date.now() > deadline) {
            record(step.id, 'failed', undefined, `${pairName(pair)} at ${from} does not follow ${pair.address[to]} after ${followingSeconds} s`);
            throw new SwitchoverError(`${pairName(pair)} at ${from} does not follow site ${to}`);
          }
          await sleep(200);
        }
      }
      case 'writable': {
        const pair = step.pair!;
        const state = await replicationState(target(pair, to));
        if (state.role !== 'master') throw new SwitchoverError(`${pairName(pair)} at ${to} is not a primary after the deploy (role ${state.role})`);
        // A start-up gate that saw the old site still primary fences the new one: lift it now that
        // the old site is fenced (site lost) or follows (planned).
        if (state.fenced) await unfence(target(pair, to));
        record(step.id, 'done', { unfenced: state.fenced, writableAt: now().toISOString(), rtoSeconds: (now().getTime() - startedAt) / 1000 });
        return undefined;
      }
    }
  }

  function report(): SwitchoverReport {
    const writable = pairs.map((pair) => journal.last(`writable:${pairName(pair)}`)!);
    const rtoSeconds = Math.max(...writable.map((r) => Number(r.data?.rtoSeconds ?? 0)));
    const pairReports: PairReport[] = pairs.map((pair) => {
      const name = pairName(pair);
      const promoted = journal.last(`promote:${name}`)?.data;
      const caught = journal.last(`caught-up:${name}`)?.data;
      const divergence = journal.last(`divergence:${name}`)?.data;
      return {
        pair: name,
        ...(siteLost ? { windowSeconds: Number(promoted?.linkDownSeconds ?? promoted?.lastIoSeconds ?? 0) } : { unreceivedBytes: Number(caught?.unreceivedBytes ?? 0) }),
        divergentKeys: Number(divergence?.divergentKeys ?? 0),
        ...(divergence?.file ? { divergentFile: String(divergence.file) } : {}),
      };
    });
    const result = { rtoSeconds, pairs: pairReports };
    journal.record({ step: 'report', status: 'done', at: now().toISOString(), data: { ...result } });
    print(`RTO ${rtoSeconds.toFixed(1)} s (start of the run to site ${to} taking writes)`);
    for (const p of pairReports) {
      print(`${p.pair}: ${siteLost ? `writes possibly lost: those of the last ${p.windowSeconds} s before the promotion` : `unreceived when writes stopped: ${p.unreceivedBytes} bytes`}; divergent writes at site ${from}: ${p.divergentKeys}${p.divergentFile ? ` (saved in ${p.divergentFile})` : ''}`);
    }
    return result;
  }
}

type Step =
  | { readonly kind: 'check'; readonly id: string; readonly title: string; readonly pair?: undefined }
  | { readonly kind: 'fence' | 'caught-up' | 'promote' | 'divergence' | 'following' | 'writable'; readonly id: string; readonly title: string; readonly pair: RedisPairRef }
  | { readonly kind: 'acknowledge'; readonly id: string; readonly title: string; readonly pair?: undefined }
  | { readonly kind: 'deploy'; readonly id: string; readonly title: string; readonly site: Site; readonly pair?: undefined };

/** The steps in order (see the module comment). */
function planSteps(pairs: readonly RedisPairRef[], from: Site, to: Site, siteLost: boolean): Step[] {
  const each = (kind: 'fence' | 'caught-up' | 'promote' | 'divergence' | 'following' | 'writable', title: (p: RedisPairRef) => string): Step[] =>
    pairs.map((pair) => ({ kind, id: `${kind}:${pairName(pair)}`, title: title(pair), pair }));
  const check: Step = { kind: 'check', id: 'check', title: siteLost ? `Check every pair at site ${to} answers as a replica of site ${from} and record its last contact` : `Check both sites answer, site ${from} primary, site ${to} replicating` };
  const fenceOld = each('fence', (p) => `Fence ${pairName(p)} at site ${from} (${p.address[from]}): writes refused, reads kept`);
  const caughtUp = each('caught-up', (p) => `Wait until ${pairName(p)} at site ${to} has every byte site ${from} wrote (replication offsets equal)`);
  const promoteNew = each('promote', (p) => `Promote ${pairName(p)} at site ${to} (${p.address[to]}): REPLICAOF NO ONE, data kept`);
  const divergence = each('divergence', (p) => `Find and save the writes only ${pairName(p)} at site ${from} holds`);
  const acknowledge: Step = { kind: 'acknowledge', id: 'acknowledge-divergence', title: `Refuse to re-point site ${from} while it holds unsaved or unacknowledged writes (--discard-divergent)` };
  const deploy = (site: Site): Step => ({ kind: 'deploy', id: `deploy:${site}`, title: `Deploy site ${site}'s stacks with site ${to} active`, site });
  const following = each('following', (p) => `Verify ${pairName(p)} at site ${from} follows site ${to} and has caught up`);
  const writable = each('writable', (p) => `Verify ${pairName(p)} at site ${to} is a primary taking writes`);
  return siteLost
    ? [check, ...promoteNew, deploy(to), ...writable, ...fenceOld, ...divergence, acknowledge, deploy(from), ...following]
    : [check, ...fenceOld, ...caughtUp, ...promoteNew, ...divergence, acknowledge, deploy(from), deploy(to), ...writable, ...following];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
