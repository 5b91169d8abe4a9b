/**
 * Executes the DR plan (容灾切换) of one province for its Redis, Kafka, FastDFS and database pairs: a planned switchover while
 * both datacenters run, or a failover after losing one (`siteLost`). Every step checks its precondition
 * against the real servers, acts, and appends what it measured to the journal; a run started again on
 * the same journal resumes where it stopped. In a dry run nothing is changed: the steps are listed with
 * what each would check.
 *
 * Planned (both sites up), from S to T:
 *   check both sides -> fence S's Redis (writes stop) -> T's Redis caught up to S's offset -> MirrorMaker 2
 *   at T has copied every record of S and translated every consumer group -> promote T's Redis ->
 *   divergence of S (none expected) -> deploy T (T's Redis primary, MirrorMaker 2 at T removed) -> T takes
 *   writes, its MirrorMaker 2 stopped -> S's Kafka rebuilt clean -> deploy S (S follows T) -> S follows T.
 *   T is deployed before S so the two MirrorMaker 2 never run at once (with the identity replication
 *   policy they would copy each other's topics in a loop); a T started while S is still a (fenced)
 *   primary starts fenced and the `writable` step lifts that fence.
 * Site lost (S unreachable):
 *   check T, record its last contact with S (the window of writes possibly lost) -> promote T -> deploy T
 *   -> T takes writes, its MirrorMaker 2 stopped -> [wait for S] -> fence S -> divergence of S saved ->
 *   acknowledged (`--discard-divergent`) -> S's Kafka rebuilt clean -> deploy S -> S follows T.
 * While S is away the run stops with `waiting`; run it again when S answers. S's start-up gate keeps it
 * from taking writes if it restarts while T is primary (model/middleware-model.ts, redisStartupGate).
 * Kafka steps: switchover/kafka-pair.ts; FastDFS (a marker file proves each catch-up; nothing to fence or
 * discard, its sync is two-way): switchover/fastdfs-pair.ts; the database: switchover/database-pair.ts.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProvinceModel } from '../model/platform-model';
import { otherSite, stackName, ZONES, type Site, type Zone } from '../model/topology';
import { MIRROR_MAKER_OFFSET_FLUSH_MS, PORTS, type RedisLagBound } from '../model/middleware-model';
import { Journal, savedFile, writeLinesDurably, type SavedFile, type RunHeader, type StepRecord } from './journal';
import { checkDatabasePair, databaseCaughtUp, databaseFollowing, databasePairName, databasePairsOf, databasePromoted, type DatabaseAccess, type DatabasePairRef } from './database-pair';
import { checkFastdfsPair, fastdfsCaughtUp, fastdfsDrained, fastdfsFollowing, fastdfsPairName, fastdfsPairsOf, fastdfsWritable, type FastdfsPairRef } from './fastdfs-pair';
import type { KafkaAccess } from './kafka-member';
import { checkKafkaPair, kafkaCaughtUp, kafkaDivergence, kafkaFollowing, kafkaMirrorStopped, kafkaPairName, kafkaPairsOf, kafkaRebuild, type KafkaPairRef, type StepResult } from './kafka-pair';
import { fence, findDivergentKeys, promote, reachable, RedisAuthenticationError, replicationState, replicationTimeoutSeconds, restoreLagBound, secondsSinceLastContact, unfence, type RedisTarget } from './redis-member';

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
  /** The pair's RPO bound, put back at the new primary once the old site follows it. */
  readonly lagBound?: RedisLagBound;
}

/** How long the old primary's WAL position must stand still before the database counts as caught up. */
const DATABASE_SETTLE_MS = 2000;

/** The kinds of DR pair the executor checks and switches. */
export const CHECKED_PAIR_KINDS = ['redis', 'kafka', 'fastdfs', 'database'] as const;
export type PairKind = (typeof CHECKED_PAIR_KINDS)[number];

export interface RedisCredentials {
  /** requirepass/masterauth, from the file or variable the operator names. */
  readonly password: string;
  /** The CA certificate (PEM) of the servers' TLS certificates (`ca.crt` of the Redis TLS Secret). */
  readonly tlsCa: Buffer;
}

export interface SwitchoverOptions {
  readonly province: ProvinceModel;
  /** The kinds of pair to switch. @default all of CHECKED_PAIR_KINDS */
  readonly kinds?: readonly PairKind[];
  readonly to: Site;
  readonly siteLost?: Site;
  readonly execute: boolean;
  readonly journalDir: string;
  /** How to reach the Redis servers; required when Redis pairs are switched. */
  readonly redis?: RedisCredentials;
  /** How to reach the Kafka clusters (CA, the switchover's user and password); required when Kafka pairs are switched. */
  readonly kafka?: KafkaAccess;
  /** How to reach the business database (a user allowed to read replication state); required when database pairs are checked. */
  readonly database?: DatabaseAccess;
  /** Discard the old site's divergent writes after saving them (recorded in the journal). */
  readonly discardDivergent: boolean;
  readonly deployer: Deployer;
  readonly print: (line: string) => void;
  /** Bounds of the waits (seconds). @default caughtUp 30, kafkaCaughtUp 90, following 60, kafkaFollowing 120 */
  readonly timeouts?: { readonly caughtUpSeconds?: number; readonly kafkaCaughtUpSeconds?: number; readonly followingSeconds?: number; readonly kafkaFollowingSeconds?: number };
  readonly now?: () => Date;
  /**
   * For the tests only: called at every fault point (`before:<step>`, `acted:<step>` between an action
   * and its journal line, `after:<step>`); returning true kills the run there (InjectedFault), as a
   * SIGKILL would: nothing after the point is done or journaled.
   */
  readonly killAt?: (point: string) => boolean;
}

/** The run was killed at a fault point (tests only). */
export class InjectedFault extends Error {}

export type SwitchoverOutcome =
  | { readonly status: 'completed'; readonly report: SwitchoverReport }
  | { readonly status: 'dry-run' }
  | { readonly status: 'waiting'; readonly reason: string }
  | { readonly status: 'refused'; readonly reason: string };

export interface PairReport {
  readonly kind: PairKind;
  readonly pair: string;
  /**
   * Site lost: seconds from the new site's last contact with the old one to the promotion; writes the
   * old site acknowledged in this window may be missing at the new site.
   */
  readonly windowSeconds?: number;
  /** Site lost, Redis: when the new site last heard from the old one (the window's start). */
  readonly lastContactAt?: string;
  /** This pair's RTO: from the start of the run to the new site taking its writes. */
  readonly rtoSeconds?: number;
  /** Site lost, Redis: from the last contact (the loss, as the new site saw it) to taking writes. */
  readonly rtoFromLossSeconds?: number;
  /** Redis: replication bytes the new site had not received when writes stopped (planned; 0 when caught up). */
  readonly unreceivedBytes?: number;
  /** Kafka: records of the old site not copied when writes stopped (planned; 0 when caught up). */
  readonly unmirroredRecords?: number;
  /** Database: WAL bytes of the old primary the new site had not replayed when writes stopped (planned; 0 when caught up). */
  readonly unreplayedBytes?: number;
  /** Kafka: per consumer group, records it reads again at the new site (offset translation is conservative). */
  readonly recordsReadAgainByGroup?: Readonly<Record<string, number>>;
  /** FastDFS: seconds a marker took to reach the new site when writes stopped (planned). */
  readonly catchUpSeconds?: number;
  /** FastDFS: seconds a marker took from the lost site, once back, to the new site (every file it took is there). */
  readonly drainSeconds?: number;
  /** Writes only the old site held, saved before it was re-pointed: Redis keys, Kafka records. */
  readonly divergentKeys?: number;
  /** Redis: keys the new site holds and the old one does not (saved as keys to DEL). */
  readonly absentAtOldKeys?: number;
  readonly divergentRecords?: number;
  readonly divergentFile?: string;
}

export interface SwitchoverReport {
  /** From the start of the run (the first one, when resumed) to the new site taking writes. */
  readonly rtoSeconds: number;
  /** Site lost: from the earliest last contact of any Redis pair (the loss as the new site saw it) to the last pair taking writes. */
  readonly rtoFromLossSeconds?: number;
  readonly pairs: readonly PairReport[];
}

export class SwitchoverError extends Error {}

/** The Redis pairs of a province (the pairs this executor checks and switches). */
export function redisPairsOf(province: ProvinceModel): RedisPairRef[] {
  return ZONES.flatMap((zone) => {
    const at = (site: Site) => province.units.find((u) => u.zone === zone && u.site === site)!;
    return at('A')
      .middlewarePlan.redis.filter((plan) => plan.peerAddress)
      .map((plan) => ({ zone, role: plan.role, address: { A: at('A').middlewareVips[plan.role]!, B: at('B').middlewareVips[plan.role]! }, ...(plan.lagBound ? { lagBound: plan.lagBound } : {}) }));
  });
}

const pairName = (pair: RedisPairRef) => `${pair.role}@${pair.zone}`;

export async function executeSwitchover(options: SwitchoverOptions): Promise<SwitchoverOutcome> {
  const { province, to } = options;
  const from = otherSite(to);
  if (province.activeSite !== from) throw new SwitchoverError(`${province.envName}: site ${to} is already active in the environment; a switchover goes from the active site (${province.activeSite}) to the other one`);
  if (options.siteLost !== undefined && options.siteLost !== from) throw new SwitchoverError(`--site-lost ${options.siteLost}: only the active site (${from}) can be the lost one when switching to ${to}`);
  const kinds = options.kinds ?? CHECKED_PAIR_KINDS;
  const pairs = kinds.includes('redis') ? redisPairsOf(province) : [];
  const kafkaPairs = kinds.includes('kafka') ? kafkaPairsOf(province, options.kafka) : [];
  if (kafkaPairs.length > 0 && options.execute && !options.kafka) throw new SwitchoverError('switching Kafka pairs needs the CA and the switchover user\'s password (options.kafka)');
  const databasePairs = kinds.includes('database') ? databasePairsOf(province, options.database) : [];
  if (databasePairs.length > 0 && options.execute && !options.database) throw new SwitchoverError('checking database pairs needs a database user and password (options.database)');
  const fastdfsPairs = kinds.includes('fastdfs') ? fastdfsPairsOf(province) : [];
  if (pairs.length + kafkaPairs.length + fastdfsPairs.length + databasePairs.length === 0) throw new SwitchoverError(`${province.envName}: no ${kinds.join(' or ')} DR pair to switch`);
  const redis = options.redis;
  if (pairs.length > 0 && options.execute && !redis) throw new SwitchoverError('switching Redis pairs needs their password and TLS CA (options.redis)');
  const target = (pair: RedisPairRef, site: Site): RedisTarget => ({ host: pair.address[site], port: PORTS.redis, password: redis?.password ?? '', tls: { ca: redis?.tlsCa ?? Buffer.alloc(0) } });
  const stacksAt = (site: Site) => ZONES.map((zone) => stackName(province.envName, zone, site));
  const siteLost = options.siteLost !== undefined;
  const caughtUpSeconds = options.timeouts?.caughtUpSeconds ?? 30;
  const kafkaCaughtUpSeconds = options.timeouts?.kafkaCaughtUpSeconds ?? 90;
  const followingSeconds = options.timeouts?.followingSeconds ?? 60;
  const kafkaFollowingSeconds = options.timeouts?.kafkaFollowingSeconds ?? 120;
  const now = options.now ?? (() => new Date());
  const print = options.print;

  const steps = planSteps(pairs, kafkaPairs, fastdfsPairs, databasePairs, from, to, siteLost);
  if (!options.execute) {
    print(`# Dry run: switchover of ${province.envName} from ${from} to ${to}${siteLost ? ` (site ${from} lost)` : ''}; nothing is changed. Add --execute to act.`);
    steps.forEach((step, i) => print(`${i + 1}. ${step.title}${step.kind === 'deploy' ? `\n   $ ${options.deployer.describe(stacksAt(step.site), to)}` : ''}`));
    return { status: 'dry-run' };
  }

  const header: RunHeader = { envName: province.envName, from, to, ...(siteLost ? { siteLost: from } : {}), pairs: [...pairs.map(pairName), ...kafkaPairs.map(kafkaPairName), ...fastdfsPairs.map(fastdfsPairName), ...databasePairs.map(databasePairName)] };
  const journal = Journal.open(options.journalDir, header, now);
  const startedAt = new Date(journal.header.startedAt).getTime();
  const record = (step: string, status: StepRecord['status'], data?: Record<string, unknown>, message?: string) => {
    journal.record({ step, status, at: now().toISOString(), ...(data ? { data } : {}), ...(message ? { message } : {}) });
    print(`${status === 'done' ? 'done   ' : status.padEnd(7)} ${step}${message ? `: ${message}` : ''}`);
  };

  /** What the fence marker says: which run fenced the server. */
  const fenceNote = `switchover of ${province.envName} from ${from} to ${to} started ${journal.header.startedAt}`;
  /** Pairs whose divergence this invocation saved (the others were saved by an earlier run). */
  const savedThisRun = new Set<string>();
  for (const step of steps) {
    // The acknowledgement is a check of what the servers and the saved files hold now: it runs again on
    // every rerun until the old site is re-pointed, never taken as done from the journal.
    const recheck = step.kind === 'acknowledge' && !journal.isDone(`deploy:${from}`);
    if (journal.isDone(step.id) && !recheck) {
      print(`skip    ${step.id}: done at ${journal.last(step.id)!.at} (journal)`);
      continue;
    }
    faultPoint(`before:${step.id}`);
    const result = await runStep(step);
    faultPoint(`after:${step.id}`);
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
            problems.push(newSide instanceof RedisAuthenticationError ? `${pairName(pair)} at ${to}: ${newSide.message}` : `${pairName(pair)} at ${to} (${pair.address[to]}) does not answer: ${newSide.message}`);
            continue;
          }
          if (newSide.role !== 'slave' || newSide.masterHost !== pair.address[from]) {
            problems.push(`${pairName(pair)} at ${to} is not a replica of ${pair.address[from]} (role ${newSide.role}${newSide.masterHost ? `, following ${newSide.masterHost}` : ''})`);
            continue;
          }
          data[pairName(pair)] = { receivedOffset: newSide.receivedOffset, linkUp: newSide.linkUp, linkDownSeconds: newSide.linkDownSeconds, lastIoSeconds: newSide.lastIoSeconds };
          if (!siteLost) {
            const oldSide = await replicationState(target(pair, from)).catch((e: Error) => e);
            if (oldSide instanceof RedisAuthenticationError) problems.push(`${pairName(pair)} at ${from}: ${oldSide.message}`);
            else if (oldSide instanceof Error) problems.push(`${pairName(pair)} at ${from} (${pair.address[from]}) does not answer (${oldSide.message}): if site ${from} is lost, run with --site-lost ${from}`);
            else if (oldSide.role !== 'master') problems.push(`${pairName(pair)} at ${from} is not a primary (role ${oldSide.role})`);
            else if (!newSide.linkUp) problems.push(`${pairName(pair)} at ${to}: replication link down (for ${newSide.linkDownSeconds ?? '?'} s)`);
          }
        }
        for (const pair of kafkaPairs) {
          const checked = await checkKafkaPair(pair, from, to, siteLost, now);
          problems.push(...checked.problems);
          data[kafkaPairName(pair)] = checked.data;
        }
        for (const pair of fastdfsPairs) {
          const checked = await checkFastdfsPair(pair, from, to, siteLost, now());
          problems.push(...checked.problems);
          data[fastdfsPairName(pair)] = checked.data;
        }
        for (const pair of databasePairs) {
          const checked = await checkDatabasePair(pair, from, to, siteLost);
          problems.push(...checked.problems);
          data[databasePairName(pair)] = checked.data;
        }
        if (problems.length > 0) {
          record(step.id, 'refused', data, problems.join('; '));
          return { status: 'refused', reason: problems.join('; ') };
        }
        record(step.id, 'done', data);
        return undefined;
      }
      case 'fence': {
        const pair = step.pair;
        if (!(await reachable(target(pair, from)))) {
          record(step.id, 'waiting', undefined, `${pairName(pair)} at site ${from} (${pair.address[from]}) does not answer; run again when site ${from} is back`);
          return { status: 'waiting', reason: `site ${from} does not answer` };
        }
        await fence(target(pair, from), fenceNote);
        faultPoint(`acted:${step.id}`);
        const state = await replicationState(target(pair, from));
        if (!state.fenced) throw new SwitchoverError(`${pairName(pair)} at ${from}: the fence did not hold`);
        record(step.id, 'done', { offset: state.offset, role: state.role });
        return undefined;
      }
      case 'caught-up': {
        const pair = step.pair;
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
        const pair = step.pair;
        // Measured and journaled before the promotion, so a rerun after a kill reports the same window.
        const measured = await measuredOnce(step.id, async () => {
          const before = await replicationState(target(pair, to));
          const replTimeoutSeconds = await replicationTimeoutSeconds(target(pair, to));
          const measuredAt = now();
          const sinceContact = secondsSinceLastContact(before, replTimeoutSeconds);
          return {
            promotedAt: measuredAt.toISOString(),
            linkDownSeconds: before.linkDownSeconds,
            lastIoSeconds: before.lastIoSeconds,
            replTimeoutSeconds,
            receivedOffset: before.receivedOffset,
            ...(sinceContact !== undefined ? { windowSeconds: sinceContact, lastContactAt: new Date(measuredAt.getTime() - sinceContact * 1000).toISOString() } : {}),
          };
        });
        const offset = await promote(target(pair, to));
        faultPoint(`acted:${step.id}`);
        record(step.id, 'done', { ...measured, promotedAtOffset: offset });
        return undefined;
      }
      case 'divergence': {
        const pair = step.pair;
        // Two files: keys whose value only the old site holds (RESTORE), and keys the old site no longer
        // holds (deleted, expired, renamed or flushed there after the cut, or new at site `to`: DEL).
        const file = join(journal.directory, `divergent-${pair.role}-${pair.zone}.jsonl`);
        const absentFile = join(journal.directory, `divergent-${pair.role}-${pair.zone}-absent.jsonl`);
        const fd = openSync(file, 'w');
        const absentFd = openSync(absentFile, 'w');
        let divergence;
        try {
          divergence = await findDivergentKeys(target(pair, from), target(pair, to), (entry) => {
            if ('dump' in entry) writeSync(fd, `${JSON.stringify({ key: entry.key.toString('base64'), dump: entry.dump.toString('base64'), ttlMs: entry.ttlMs })}\n`);
            else writeSync(absentFd, `${JSON.stringify({ key: entry.key.toString('base64'), absentAtOld: true })}\n`);
          });
          fsyncSync(fd);
          fsyncSync(absentFd);
        } finally {
          closeSync(fd);
          closeSync(absentFd);
        }
        const oldState = await replicationState(target(pair, from));
        savedThisRun.add(pairName(pair));
        record(step.id, 'done', {
          divergentKeys: divergence.keys,
          absentAtOldKeys: divergence.absentAtOld,
          scannedKeys: divergence.scanned,
          file,
          saved: savedFile(file),
          absentFile,
          absentSaved: savedFile(absentFile),
          oldOffset: oldState.offset,
          promotedAtOffset: journal.last(`promote:${pairName(pair)}`)?.data?.promotedAtOffset,
        });
        return undefined;
      }
      case 'acknowledge': {
        const changedSince = await redisChangedSinceSaved();
        if (changedSince.length > 0) {
          const reason = `site ${from} changed since its divergence was saved (${changedSince.join(', ')}): taken after its fence (a restart without it?). Saved again in the journal directory; nothing is dropped: run again to acknowledge what it holds now`;
          record(step.id, 'refused', { changedSince }, reason);
          return { status: 'refused', reason };
        }
        const divergent = [
          ...pairs.map((pair) => ({ pair: pairName(pair), record: journal.last(`divergence:${pairName(pair)}`)?.data, count: 'divergentKeys', file: 'saved', unit: 'keys' })),
          ...pairs.map((pair) => ({ pair: pairName(pair), record: journal.last(`divergence:${pairName(pair)}`)?.data, count: 'absentAtOldKeys', file: 'absentSaved', unit: `keys absent at site ${from} (deleted there, or new at site ${to})` })),
          ...kafkaPairs.map((pair) => ({ pair: kafkaPairName(pair), record: journal.last(`divergence:${kafkaPairName(pair)}`)?.data, count: 'divergentRecords', file: 'saved', unit: 'records' })),
        ]
          // Kafka's file also names what the old site deleted (records, topics): one line each.
          .map((d) => ({ pair: d.pair, writes: Number(d.record?.[d.count] ?? 0) + (d.count === 'divergentRecords' ? Number(d.record?.deletionsAtOld ?? 0) : 0), unit: d.unit, saved: d.record?.[d.file] as SavedFile | undefined }))
          .filter((d) => d.writes > 0);
        if (divergent.length === 0) {
          record(step.id, 'done', { divergentWrites: 0 });
          return undefined;
        }
        // The saved copies are what makes dropping the writes at the old site safe: each must still be
        // the file the divergence step wrote, with as many records as it counted.
        const damaged = divergent.flatMap((d) => {
          if (!d.saved) return [`${d.pair}: the journal names no saved file`];
          let now: SavedFile;
          try {
            now = savedFile(d.saved.file);
          } catch {
            return [`${d.pair}: ${d.saved.file} is gone`];
          }
          if (now.sha256 !== d.saved.sha256) return [`${d.pair}: ${d.saved.file} changed since it was saved (sha256 ${now.sha256.slice(0, 12)}, saved ${d.saved.sha256.slice(0, 12)})`];
          if (now.lines !== d.writes) return [`${d.pair}: ${d.saved.file} holds ${now.lines} records, the divergence counted ${d.writes}`];
          return [];
        });
        if (damaged.length > 0) {
          const reason = `the saved divergent writes cannot be trusted (${damaged.join('; ')}); nothing is dropped: restore the files from the journal directory's backup, or run a new switchover`;
          record(step.id, 'refused', { divergent }, reason);
          return { status: 'refused', reason };
        }
        const summary = divergent.map((d) => `${d.pair}: ${d.writes} ${d.unit}`).join(', ');
        if (!options.discardDivergent) {
          const reason = `site ${from} holds writes site ${to} does not (${summary}); they are saved in ${journal.directory}/divergent-*.jsonl (Redis: RESTORE key ttl payload, and in *-absent.jsonl the keys to DEL; Kafka: topic, partition, key, value, headers, timestamp). Merge them into site ${to}, or run again with --discard-divergent to re-point site ${from} and drop them there`;
          record(step.id, 'refused', { divergent }, reason);
          return { status: 'refused', reason };
        }
        record(step.id, 'done', { divergent, discardAcknowledged: true }, `divergent writes acknowledged and discarded at site ${from} (${summary}); copies kept in the journal directory (${divergent.map((d) => `${d.saved!.file} sha256 ${d.saved!.sha256}`).join(', ')})`);
        return undefined;
      }
      case 'deploy': {
        const stacks = stacksAt(step.site);
        await options.deployer.deploy(stacks, to);
        faultPoint(`acted:${step.id}`);
        record(step.id, 'done', { stacks, activeSite: to, command: options.deployer.describe(stacks, to) });
        return undefined;
      }
      case 'following': {
        const pair = step.pair;
        const deadline = Date.now() + followingSeconds * 1000;
        for (;;) {
          const [oldSide, newSide] = await Promise.all([replicationState(target(pair, from)).catch(() => undefined), replicationState(target(pair, to))]);
          if (oldSide?.role === 'slave' && oldSide.masterHost === pair.address[to] && oldSide.linkUp && oldSide.receivedOffset! >= newSide.offset) {
            // The RPO bound, lifted when the new primary took writes without the other site, holds again.
            if (pair.lagBound) await restoreLagBound(target(pair, to), pair.lagBound);
            record(step.id, 'done', { offset: newSide.offset, ...(pair.lagBound ? { lagBoundRestored: pair.lagBound } : {}) });
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
        const pair = step.pair;
        const state = await replicationState(target(pair, to));
        if (state.role !== 'master') throw new SwitchoverError(`${pairName(pair)} at ${to} is not a primary after the deploy (role ${state.role})`);
        // A start-up gate that saw the old site still primary fences the new one: lift it now that
        // the old site is fenced (site lost) or follows (planned). Always drop the fence marker too: in a
        // planned switchover the new site received it from the old one before its promotion.
        await unfence(target(pair, to));
        record(step.id, 'done', { unfenced: state.fenced, writableAt: now().toISOString(), rtoSeconds: (now().getTime() - startedAt) / 1000 });
        return undefined;
      }
      case 'kafka-caught-up':
        return journalled(step.id, await kafkaCaughtUp(step.kafka, from, to, kafkaCaughtUpSeconds, MIRROR_MAKER_OFFSET_FLUSH_MS * 2));
      case 'kafka-stopped': {
        const result = await kafkaMirrorStopped(step.kafka, to, kafkaFollowingSeconds);
        return journalled(step.id, result.status === 'done' ? { ...result, data: { ...result.data, rtoSeconds: (now().getTime() - startedAt) / 1000 } } : result);
      }
      case 'kafka-divergence': {
        const file = join(journal.directory, `divergent-kafka-${step.kafka.zone}.jsonl`);
        const result = await kafkaDivergence(step.kafka, from, to, file);
        return journalled(step.id, result.status === 'done' ? { ...result, data: { ...result.data, saved: savedFile(file) } } : result);
      }
      case 'kafka-rebuild': {
        const saved = journal.last(`divergence:${kafkaPairName(step.kafka)}`)?.data?.ends as Record<string, number> | undefined;
        if (!saved) throw new SwitchoverError(`${kafkaPairName(step.kafka)}: no saved divergence in the journal before rebuilding site ${from}`);
        return journalled(step.id, await kafkaRebuild(step.kafka, from, saved, join(journal.directory, `divergent-kafka-${step.kafka.zone}-late.jsonl`)));
      }
      case 'kafka-following':
        return journalled(step.id, await kafkaFollowing(step.kafka, from, kafkaFollowingSeconds));
      case 'fastdfs-caught-up':
        return journalled(step.id, await fastdfsCaughtUp(step.fastdfs, from, to, caughtUpSeconds));
      case 'fastdfs-writable': {
        const result = await fastdfsWritable(step.fastdfs, to, followingSeconds);
        return journalled(step.id, result.status === 'done' ? { ...result, data: { ...result.data, rtoSeconds: (now().getTime() - startedAt) / 1000 } } : result);
      }
      case 'fastdfs-drained':
        return journalled(step.id, await fastdfsDrained(step.fastdfs, from, to, followingSeconds));
      case 'fastdfs-following':
        return journalled(step.id, await fastdfsFollowing(step.fastdfs, from, followingSeconds));
      case 'database-caught-up':
        return journalled(step.id, await databaseCaughtUp(step.database, from, to, caughtUpSeconds, DATABASE_SETTLE_MS));
      case 'database-promoted': {
        const result = await databasePromoted(step.database, from, to, siteLost);
        return journalled(step.id, result.status === 'done' ? { ...result, data: { ...result.data, rtoSeconds: (now().getTime() - startedAt) / 1000 } } : result);
      }
      case 'database-following':
        return journalled(step.id, await databaseFollowing(step.database, from, siteLost, followingSeconds));
    }
  }

  /** Journals a step's result; a refusal or a wait ends the run (run again to resume). */
  /**
   * Re-measures each Redis pair's old site before its writes may be dropped: fenced again, scanned again,
   * and any key whose value or absence is not in the saved files is saved anew (a `divergence` record
   * that supersedes the old one). Returns the pairs whose old site took values since; none when site
   * `from` does not answer.
   */
  async function redisChangedSinceSaved(): Promise<string[]> {
    const changed: string[] = [];
    for (const pair of pairs) {
      const saved = journal.last(`divergence:${pairName(pair)}`)?.data;
      // Saved moments ago by this very run: nothing can have restarted in between worth a second scan.
      if (!saved || savedThisRun.has(pairName(pair)) || !(await reachable(target(pair, from)))) continue;
      // Re-pointed already (a run killed between the deploy and its journal line): it holds the new site's data.
      const state = await replicationState(target(pair, from));
      if (state.role === 'slave' && state.masterHost === pair.address[to]) continue;
      await fence(target(pair, from), fenceNote);
      const known = new Set<string>();
      for (const file of [saved.file, saved.absentFile]) {
        if (typeof file !== 'string') continue;
        for (const text of readFileSync(file, 'utf8').split('\n')) {
          if (!text) continue;
          const entry = JSON.parse(text) as { key: string; dump?: string };
          known.add(`${entry.key}:${entry.dump ?? 'absent'}`);
        }
      }
      // One scan: everything the old site diverges by now (the new files hold all of it), and what of it
      // the saved files do not know.
      const fresh: string[] = [];
      const absent: string[] = [];
      const all: string[] = [];
      const allAbsent: string[] = [];
      const found = await findDivergentKeys(target(pair, from), target(pair, to), (entry) => {
        // The time to live moves on: a key is known when its name and payload (or its absence) are.
        const key = entry.key.toString('base64');
        if ('dump' in entry) all.push(JSON.stringify({ key, dump: entry.dump.toString('base64'), ttlMs: entry.ttlMs }));
        else allAbsent.push(JSON.stringify({ key, absentAtOld: true }));
        if (!known.has(`${key}:${'dump' in entry ? entry.dump.toString('base64') : 'absent'}`)) ('dump' in entry ? fresh : absent).push(key);
      });
      if (fresh.length === 0 && absent.length === 0) continue;
      const round = journal.last(`divergence:${pairName(pair)}`)?.at.replace(/\W/g, '') ?? 'again';
      const file = join(journal.directory, `divergent-${pair.role}-${pair.zone}-${round}-recheck.jsonl`);
      const absentFile = join(journal.directory, `divergent-${pair.role}-${pair.zone}-${round}-recheck-absent.jsonl`);
      writeLinesDurably(file, all, 'w');
      writeLinesDurably(absentFile, allAbsent, 'w');
      record(`divergence:${pairName(pair)}`, 'done', { divergentKeys: all.length, absentAtOldKeys: allAbsent.length, scannedKeys: found.scanned, file, saved: savedFile(file), absentFile, absentSaved: savedFile(absentFile), recheckedNewKeys: fresh.length, recheckedNewAbsent: absent.length });
      // A value the fenced old site took since is a write it acknowledged: refuse until it is seen. Keys
      // newly absent there are saved too, but the new primary creates such keys with every new write,
      // so they alone cannot stop the run (it would never end while site `to` serves).
      if (fresh.length > 0) changed.push(`${pairName(pair)}: ${fresh.length} key(s) changed and ${absent.length} gone since`);
    }
    return changed;
  }

  function faultPoint(point: string): void {
    if (options.killAt?.(point)) throw new InjectedFault(`killed at ${point}`);
  }

  /**
   * A measurement taken before an action, journaled as `started` before acting: a rerun after a kill
   * between the action and its `done` line reuses it instead of measuring what the action changed.
   */
  async function measuredOnce(stepId: string, measure: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const last = journal.last(stepId);
    if (last?.status === 'started' && last.data) return { ...last.data };
    const data = await measure();
    record(stepId, 'started', data);
    return data;
  }

  function journalled(stepId: string, result: StepResult): SwitchoverOutcome | undefined {
    record(stepId, result.status, result.data, result.message);
    if (result.status === 'done') return undefined;
    return result.status === 'waiting' ? { status: 'waiting', reason: result.message ?? stepId } : { status: 'refused', reason: result.message ?? stepId };
  }

  function report(): SwitchoverReport {
    const writable = [
      ...pairs.map((pair) => journal.last(`writable:${pairName(pair)}`)!),
      ...kafkaPairs.map((pair) => journal.last(`stopped:${kafkaPairName(pair)}`)!),
      ...fastdfsPairs.map((pair) => journal.last(`writable:${fastdfsPairName(pair)}`)!),
      ...databasePairs.map((pair) => journal.last(`promoted:${databasePairName(pair)}`)!),
    ];
    const rtoSeconds = Math.max(...writable.map((r) => Number(r.data?.rtoSeconds ?? 0)));
    const pairReports: PairReport[] = pairs.map((pair) => {
      const name = pairName(pair);
      const promoted = journal.last(`promote:${name}`)?.data;
      const caught = journal.last(`caught-up:${name}`)?.data;
      const divergence = journal.last(`divergence:${name}`)?.data;
      const writableRecord = journal.last(`writable:${name}`)?.data;
      const lastContactAt = typeof promoted?.lastContactAt === 'string' ? promoted.lastContactAt : undefined;
      return {
        kind: 'redis' as const,
        pair: name,
        rtoSeconds: Number(writableRecord?.rtoSeconds ?? 0),
        ...(siteLost
          ? {
              windowSeconds: Number(promoted?.windowSeconds ?? 0),
              ...(lastContactAt ? { lastContactAt, rtoFromLossSeconds: (new Date(String(writableRecord?.writableAt)).getTime() - new Date(lastContactAt).getTime()) / 1000 } : {}),
            }
          : { unreceivedBytes: Number(caught?.unreceivedBytes ?? 0) }),
        divergentKeys: Number(divergence?.divergentKeys ?? 0),
        absentAtOldKeys: Number(divergence?.absentAtOldKeys ?? 0),
        ...(divergence?.file ? { divergentFile: String(divergence.file) } : {}),
      };
    });
    for (const pair of kafkaPairs) {
      const name = kafkaPairName(pair);
      const checked = journal.last('check')?.data?.[name] as { newestMirroredRecordAgeSeconds?: number } | undefined;
      const caught = journal.last(`caught-up:${name}`)?.data;
      const divergence = journal.last(`divergence:${name}`)?.data;
      const late = Number(journal.last(`rebuild:${name}`)?.data?.lateRecords ?? 0);
      pairReports.push({
        kind: 'kafka',
        pair: name,
        rtoSeconds: Number(journal.last(`stopped:${name}`)?.data?.rtoSeconds ?? 0),
        ...(siteLost ? { windowSeconds: Number(checked?.newestMirroredRecordAgeSeconds ?? 0) } : { unmirroredRecords: Number(caught?.unmirroredRecords ?? 0) }),
        ...(caught?.recordsReadAgainByGroup ? { recordsReadAgainByGroup: caught.recordsReadAgainByGroup as Record<string, number> } : {}),
        divergentRecords: Number(divergence?.divergentRecords ?? 0) + late,
        ...(divergence?.file ? { divergentFile: String(divergence.file) } : {}),
      });
    }
    for (const pair of fastdfsPairs) {
      const name = fastdfsPairName(pair);
      const checked = journal.last('check')?.data?.[name] as { windowSeconds?: number } | undefined;
      const drained = journal.last(`drained:${name}`)?.data;
      pairReports.push({
        kind: 'fastdfs',
        pair: name,
        rtoSeconds: Number(journal.last(`writable:${name}`)?.data?.rtoSeconds ?? 0),
        ...(siteLost
          ? { windowSeconds: Number(checked?.windowSeconds ?? 0), drainSeconds: Number(drained?.syncSeconds ?? 0) }
          : { catchUpSeconds: Number(journal.last(`caught-up:${name}`)?.data?.syncSeconds ?? 0) }),
      });
    }
    for (const pair of databasePairs) {
      const name = databasePairName(pair);
      const checked = journal.last('check')?.data?.[name] as { replayAgeSeconds?: number } | undefined;
      const caught = journal.last(`caught-up:${name}`)?.data;
      pairReports.push({ kind: 'database', pair: name, rtoSeconds: Number(journal.last(`promoted:${name}`)?.data?.rtoSeconds ?? 0), ...(siteLost ? { windowSeconds: Number(checked?.replayAgeSeconds ?? 0) } : { unreplayedBytes: Number(caught?.unreplayedBytes ?? 0) }) });
    }
    const contacts = pairReports.flatMap((p) => (p.lastContactAt ? [new Date(p.lastContactAt).getTime()] : []));
    const lastWritable = Math.max(...writable.map((r) => new Date(String(r.data?.writableAt ?? r.at)).getTime()));
    const rtoFromLossSeconds = contacts.length > 0 ? (lastWritable - Math.min(...contacts)) / 1000 : undefined;
    const result = { rtoSeconds, ...(rtoFromLossSeconds !== undefined ? { rtoFromLossSeconds } : {}), pairs: pairReports };
    journal.record({ step: 'report', status: 'done', at: now().toISOString(), data: { ...result } });
    print(`RTO ${rtoSeconds.toFixed(1)} s (start of the run to site ${to} taking writes)${rtoFromLossSeconds !== undefined ? `; ${rtoFromLossSeconds.toFixed(1)} s from the loss (the earliest last contact with site ${from})` : ''}`);
    for (const p of pairReports) {
      const rto = p.rtoSeconds !== undefined ? `; RTO ${p.rtoSeconds.toFixed(1)} s from the start of the run` : '';
      if (p.kind === 'fastdfs') {
        // FastDFS drops nothing when the old site is re-pointed: the drained step found all its files at the new site.
        print(
          `${p.pair}: ${
            siteLost
              ? `files possibly missing at site ${to} while site ${from} was away: at most those of the last ${p.windowSeconds} s before the promotion; every file site ${from} took, also while cut off, is at site ${to} now (a marker from it arrived in ${p.drainSeconds} s)`
              : `every file of site ${from} at site ${to} (a marker took ${p.catchUpSeconds} s)`
          }${rto}`,
        );
        continue;
      }
      if (p.kind === 'database') {
        // The database's divergence after a lost site is its DBA's to reconcile (pg_rewind reports it).
        print(`${p.pair}: ${siteLost ? `writes possibly lost: those of the last ${p.windowSeconds} s before the promotion (age of the last replayed transaction)` : `unreplayed when writes stopped: ${p.unreplayedBytes} WAL bytes`}${rto}`);
        continue;
      }
      const kafka = p.kind === 'kafka';
      const before = siteLost
        ? p.lastContactAt
          ? `writes possibly lost: those site ${from} acknowledged after ${p.lastContactAt} (its last contact with site ${to}, ${p.windowSeconds} s before the promotion); RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run, ${p.rtoFromLossSeconds?.toFixed(1)} s from the last contact`
          : `writes possibly lost: those of the last ${p.windowSeconds} s before the promotion${rto}`
        : kafka
          ? `records not copied when writes stopped: ${p.unmirroredRecords}${rto}`
          : `unreceived when writes stopped: ${p.unreceivedBytes} bytes${rto}`;
      const reread = p.recordsReadAgainByGroup ? `; read again at site ${to} by consumer group: ${JSON.stringify(p.recordsReadAgainByGroup)}` : '';
      const absent = p.absentAtOldKeys ? ` and ${p.absentAtOldKeys} keys absent there (deleted there, or new at site ${to})` : '';
      print(`${p.pair}: ${before}; divergent writes at site ${from}: ${kafka ? `${p.divergentRecords} records` : `${p.divergentKeys} keys${absent}`}${p.divergentFile ? ` (saved in ${p.divergentFile})` : ''}${reread}`);
    }
    return result;
  }
}

type RedisStepKind = 'fence' | 'caught-up' | 'promote' | 'divergence' | 'following' | 'writable';
type KafkaStepKind = 'kafka-caught-up' | 'kafka-stopped' | 'kafka-divergence' | 'kafka-rebuild' | 'kafka-following';
type FastdfsStepKind = 'fastdfs-caught-up' | 'fastdfs-writable' | 'fastdfs-drained' | 'fastdfs-following';
type DatabaseStepKind = 'database-caught-up' | 'database-promoted' | 'database-following';

type Step =
  | { readonly kind: 'check'; readonly id: string; readonly title: string }
  | { readonly kind: RedisStepKind; readonly id: string; readonly title: string; readonly pair: RedisPairRef }
  | { readonly kind: KafkaStepKind; readonly id: string; readonly title: string; readonly kafka: KafkaPairRef }
  | { readonly kind: FastdfsStepKind; readonly id: string; readonly title: string; readonly fastdfs: FastdfsPairRef }
  | { readonly kind: DatabaseStepKind; readonly id: string; readonly title: string; readonly database: DatabasePairRef }
  | { readonly kind: 'acknowledge'; readonly id: string; readonly title: string }
  | { readonly kind: 'deploy'; readonly id: string; readonly title: string; readonly site: Site };

/** The steps in order (see the module comment). */

function planSteps(pairs: readonly RedisPairRef[], kafkaPairs: readonly KafkaPairRef[], fastdfsPairs: readonly FastdfsPairRef[], databasePairs: readonly DatabasePairRef[], from: Site, to: Site, siteLost: boolean): Step[] {
  const each = (kind: RedisStepKind, title: (p: RedisPairRef) => string): Step[] => pairs.map((pair) => ({ kind, id: `${kind}:${pairName(pair)}`, title: title(pair), pair }));
  const eachKafka = (kind: KafkaStepKind, title: (p: KafkaPairRef) => string): Step[] =>
    kafkaPairs.map((kafka) => ({ kind, id: `${kind.slice('kafka-'.length)}:${kafkaPairName(kafka)}`, title: title(kafka), kafka }));
  const eachFastdfs = (kind: FastdfsStepKind, title: (p: FastdfsPairRef) => string): Step[] =>
    fastdfsPairs.map((fastdfs) => ({ kind, id: `${kind.slice('fastdfs-'.length)}:${fastdfsPairName(fastdfs)}`, title: title(fastdfs), fastdfs }));
  const eachDatabase = (kind: DatabaseStepKind, title: (p: DatabasePairRef) => string): Step[] =>
    databasePairs.map((database) => ({ kind, id: `${kind.slice('database-'.length)}:${databasePairName(database)}`, title: title(database), database }));
  const databaseCaughtSteps = eachDatabase('database-caught-up', (d) => `Wait until ${databasePairName(d)} at site ${to} has replayed every byte site ${from} wrote (its applications stopped)`);
  const databasePromotedSteps = eachDatabase('database-promoted', (d) =>
    siteLost ? `Wait until ${databasePairName(d)} at site ${to} takes writes (its DBA promotes it)` : `Wait until ${databasePairName(d)} at site ${from} is demoted and site ${to} takes writes (its DBA acts; each step checked)`,
  );
  const databaseFollowingSteps = eachDatabase('database-following', (d) => `Verify ${databasePairName(d)} at site ${from} streams from site ${to} (its DBA re-points it)`);
  const check: Step = {
    kind: 'check',
    id: 'check',
    title: siteLost
      ? `Check every pair at site ${to} answers (Redis as a replica of site ${from}) and record its last contact with site ${from}`
      : `Check both sites answer: site ${from} primary, site ${to} replicating (Redis, the database), mirroring (MirrorMaker 2 running) and in the FastDFS group`,
  };
  const fenceOld = each('fence', (p) => `Fence ${pairName(p)} at site ${from} (${p.address[from]}): writes refused, reads kept`);
  const caughtUp = each('caught-up', (p) => `Wait until ${pairName(p)} at site ${to} has every byte site ${from} wrote (replication offsets equal)`);
  const kafkaCaught = eachKafka('kafka-caught-up', (k) => `Wait until MirrorMaker 2 at site ${to} has copied every record of ${kafkaPairName(k)} at site ${from} (its producers stopped) and translated every consumer group's offsets`);
  const fastdfsCaught = eachFastdfs('fastdfs-caught-up', (f) => `Store a marker file at ${fastdfsPairName(f)}'s storage server at site ${from} and wait until site ${to}'s holds it: every file stored there before it has then arrived (binlog sync is in order)`);
  const promoteNew = each('promote', (p) => `Promote ${pairName(p)} at site ${to} (${p.address[to]}): REPLICAOF NO ONE, data kept`);
  const divergence = [
    ...each('divergence', (p) => `Find and save the writes only ${pairName(p)} at site ${from} holds`),
    ...eachKafka('kafka-divergence', (k) => `Find and save the records only ${kafkaPairName(k)} at site ${from} holds (after what MirrorMaker 2 copied)`),
    ...(siteLost ? eachFastdfs('fastdfs-drained', (f) => `Wait until every file ${fastdfsPairName(f)} at site ${from} took (also while cut off) is at site ${to}: a marker stored there arrives`) : []),
  ];
  const acknowledge: Step = { kind: 'acknowledge', id: 'acknowledge-divergence', title: `Refuse to re-point site ${from} while it holds unsaved or unacknowledged writes (--discard-divergent)` };
  const deploy = (site: Site): Step => ({ kind: 'deploy', id: `deploy:${site}`, title: `Deploy site ${site}'s stacks with site ${to} active`, site });
  const rebuild = eachKafka('kafka-rebuild', (k) => `Rebuild ${kafkaPairName(k)} at site ${from} clean: delete its mirrored topics and consumer groups (saved above) so MirrorMaker 2 copies site ${to} into an empty cluster`);
  const following = [
    ...each('following', (p) => `Verify ${pairName(p)} at site ${from} follows site ${to} and has caught up`),
    ...eachKafka('kafka-following', (k) => `Verify MirrorMaker 2 at site ${from} runs and has copied every record of ${kafkaPairName(k)} at site ${to}`),
    ...eachFastdfs('fastdfs-following', (f) => `Verify both trackers of ${fastdfsPairName(f)} send uploads to site ${to} (access modes swapped) and a marker crosses each way`),
  ];
  const writable = [
    ...each('writable', (p) => `Verify ${pairName(p)} at site ${to} is a primary taking writes`),
    ...eachKafka('kafka-stopped', (k) => `Verify MirrorMaker 2 at site ${to} has stopped (its Connect workers left), so ${kafkaPairName(k)} at site ${to} holds only its own producers' writes`),
    ...eachFastdfs('fastdfs-writable', (f) => `Verify ${fastdfsPairName(f)}'s tracker at site ${to} sends uploads to site ${to}'s storage server`),
  ];
  return siteLost
    ? [check, ...promoteNew, ...databasePromotedSteps, deploy(to), ...writable, ...fenceOld, ...divergence, acknowledge, ...rebuild, deploy(from), ...following, ...databaseFollowingSteps]
    : [check, ...fenceOld, ...caughtUp, ...kafkaCaught, ...fastdfsCaught, ...databaseCaughtSteps, ...promoteNew, ...divergence, acknowledge, ...databasePromotedSteps, deploy(to), ...writable, ...rebuild, deploy(from), ...following, ...databaseFollowingSteps];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
