/**
 * The switchover's driver for a Redis DR pair (redis-cache, redis-session; one per zone): the active
 * site's primary replicated by the standby site's primary (`replicaof`), each with its local replicas.
 * Each step reads the real servers over TLS (pairs/redis/redis-member.ts) and returns what it measured.
 *
 *   check      the new site is a replica of the old one; planned, the old one is a primary and the link up
 *   fence      the old primary refuses writes (min-replicas-to-write 1000) and holds a marker its start-up
 *              gate finds after a restart
 *   caught-up  planned: the new site's replication offset equals the old primary's
 *   promote    REPLICAOF NO ONE at the new site, data kept; after a site loss the window of writes
 *              possibly lost, from the last contact (journaled before acting)
 *   writable   after the deploy at the new site: a primary, its start-up fence lifted
 *   divergence keys whose value only the old site holds (for RESTORE) and keys it no longer holds (DEL),
 *              saved to files; on a rerun the old site is fenced and scanned again (`recheck`)
 *   following  after the deploy at the old site: it replicates from the new one and has caught up; the
 *              pair's RPO bound is put back at the new primary
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PORTS } from '../../model/middleware-model';
import { type RedisLagBound } from './redis-plan';
import type { ProvinceModel } from '../../model/platform-model';
import { ZONES, type Site, type Zone } from '../../model/topology';
import { savedFile, writeLinesDurably } from '../../switchover/journal';
import { sleep, SwitchoverError, writableData, type DivergentWrites, type PairKind, type PairReport, type RunContext, type StepResult, type SwitchoverPair } from '../kind';
import { fence, findDivergentKeys, promote, reachable, RedisAuthenticationError, replicationState, replicationTimeoutSeconds, restoreLagBound, secondsSinceLastContact, unfence, type RedisTarget } from './redis-member';

export interface RedisCredentials {
  /** requirepass/masterauth, from the file or variable the operator names. */
  readonly password: string;
  /** The CA certificate (PEM) of the servers' TLS certificates (`ca.crt` of the Redis TLS Secret). */
  readonly tlsCa: Buffer;
}

declare module '../kind' {
  interface PairAccess {
    /** How to reach the Redis servers; required when Redis pairs are switched. */
    readonly redis?: RedisCredentials;
  }
}

export interface RedisPairRef {
  readonly zone: Zone;
  readonly role: 'redis-cache' | 'redis-session';
  readonly address: Readonly<Record<Site, string>>;
  /** The pair's RPO bound, put back at the new primary once the old site follows it. */
  readonly lagBound?: RedisLagBound;
}

export const redisPairName = (pair: RedisPairRef) => `${pair.role}@${pair.zone}`;

/** The Redis pairs of a province: paired roles, each site's server at its middleware address. */
export function redisPairsOf(province: ProvinceModel): RedisPairRef[] {
  return ZONES.flatMap((zone) => {
    const at = (site: Site) => province.units.find((u) => u.zone === zone && u.site === site)!;
    return at('A')
      .middlewarePlan.redis.filter((plan) => plan.peerAddress)
      .map((plan) => ({ zone, role: plan.role, address: { A: at('A').middlewareVips[plan.role]!, B: at('B').middlewareVips[plan.role]! }, ...(plan.lagBound ? { lagBound: plan.lagBound } : {}) }));
  });
}

export const redisPairKind: PairKind = {
  name: 'redis',
  pairsOf: (province, access) => redisPairsOf(province).map((pair) => redisSwitchoverPair(pair, access.redis)),
  missingAccess: (access) => (access.redis ? undefined : 'switching Redis pairs needs their password and TLS CA (options.redis)'),
};

function redisSwitchoverPair(pair: RedisPairRef, credentials: RedisCredentials | undefined): SwitchoverPair {
  const name = redisPairName(pair);
  const target = (site: Site): RedisTarget => ({ host: pair.address[site], port: PORTS.redis, password: credentials?.password ?? '', tls: { ca: credentials?.tlsCa ?? Buffer.alloc(0) } });
  const done = (data?: Record<string, unknown>): StepResult => ({ status: 'done', ...(data ? { data } : {}) });

  return {
    kind: 'redis',
    name,

    async check({ from, to, siteLost }) {
      const newSide = await replicationState(target(to)).catch((e: Error) => e);
      if (newSide instanceof Error) {
        return { problems: [newSide instanceof RedisAuthenticationError ? `${name} at ${to}: ${newSide.message}` : `${name} at ${to} (${pair.address[to]}) does not answer: ${newSide.message}`], data: {} };
      }
      if (newSide.role !== 'slave' || newSide.masterHost !== pair.address[from]) {
        return { problems: [`${name} at ${to} is not a replica of ${pair.address[from]} (role ${newSide.role}${newSide.masterHost ? `, following ${newSide.masterHost}` : ''})`], data: {} };
      }
      const data = { receivedOffset: newSide.receivedOffset, linkUp: newSide.linkUp, linkDownSeconds: newSide.linkDownSeconds, lastIoSeconds: newSide.lastIoSeconds };
      if (siteLost) return { problems: [], data };
      const oldSide = await replicationState(target(from)).catch((e: Error) => e);
      const problem =
        oldSide instanceof RedisAuthenticationError
          ? `${name} at ${from}: ${oldSide.message}`
          : oldSide instanceof Error
            ? `${name} at ${from} (${pair.address[from]}) does not answer (${oldSide.message}): if site ${from} is lost, run with --site-lost ${from}`
            : oldSide.role !== 'master'
              ? `${name} at ${from} is not a primary (role ${oldSide.role})`
              : !newSide.linkUp
                ? `${name} at ${to}: replication link down (for ${newSide.linkDownSeconds ?? '?'} s)`
                : undefined;
      return { problems: problem ? [problem] : [], data };
    },

    steps: ({ from, to }) => ({
      fence: {
        id: `fence:${name}`,
        title: `Fence ${name} at site ${from} (${pair.address[from]}): writes refused, reads kept`,
        async run(context) {
          if (!(await reachable(target(from)))) return { status: 'waiting', message: `${name} at site ${from} (${pair.address[from]}) does not answer; run again when site ${from} is back` };
          await fence(target(from), context.fenceNote);
          context.acted();
          const state = await replicationState(target(from));
          if (!state.fenced) throw new SwitchoverError(`${name} at ${from}: the fence did not hold`);
          return done({ offset: state.offset, role: state.role });
        },
      },
      'caught-up': {
        id: `caught-up:${name}`,
        title: `Wait until ${name} at site ${to} has every byte site ${from} wrote (replication offsets equal)`,
        async run(context) {
          const seconds = context.timeouts.caughtUpSeconds;
          const deadline = Date.now() + seconds * 1000;
          for (;;) {
            const [oldSide, newSide] = await Promise.all([replicationState(target(from)), replicationState(target(to))]);
            const behind = oldSide.offset - (newSide.receivedOffset ?? 0);
            if (newSide.linkUp && behind === 0) return done({ offset: oldSide.offset, unreceivedBytes: 0 });
            if (Date.now() > deadline) return { status: 'refused', data: { offset: oldSide.offset, receivedOffset: newSide.receivedOffset, unreceivedBytes: behind }, message: `${name} at ${to} is ${behind} bytes behind after ${seconds} s` };
            await sleep(200);
          }
        },
      },
      promote: {
        id: `promote:${name}`,
        title: `Promote ${name} at site ${to} (${pair.address[to]}): REPLICAOF NO ONE, data kept`,
        async run(context) {
          // Measured and journaled before the promotion, so a rerun after a kill reports the same window.
          const measured = await context.measuredOnce(async () => {
            const before = await replicationState(target(to));
            const replTimeoutSeconds = await replicationTimeoutSeconds(target(to));
            const measuredAt = context.now();
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
          const offset = await promote(target(to));
          context.acted();
          return done({ ...measured, promotedAtOffset: offset });
        },
      },
      writable: {
        id: `writable:${name}`,
        title: `Verify ${name} at site ${to} is a primary taking writes`,
        async run(context) {
          const state = await replicationState(target(to));
          if (state.role !== 'master') throw new SwitchoverError(`${name} at ${to} is not a primary after the deploy (role ${state.role})`);
          // A start-up gate that saw the old site still primary fences the new one: lift it now that
          // the old site is fenced (site lost) or follows (planned). Always drop the fence marker too: in a
          // planned switchover the new site received it from the old one before its promotion.
          await unfence(target(to));
          return done({ unfenced: state.fenced, writableAt: context.now().toISOString(), rtoSeconds: context.secondsSinceStart() });
        },
      },
      divergence: {
        id: `divergence:${name}`,
        title: `Find and save the writes only ${name} at site ${from} holds`,
        async run(context) {
          // Two files: keys whose value only the old site holds (RESTORE), and keys the old site no longer
          // holds (deleted, expired, renamed or flushed there after the cut, or new at site `to`: DEL).
          const file = join(context.directory, `divergent-${pair.role}-${pair.zone}.jsonl`);
          const absentFile = join(context.directory, `divergent-${pair.role}-${pair.zone}-absent.jsonl`);
          const fd = openSync(file, 'w');
          const absentFd = openSync(absentFile, 'w');
          let divergence;
          try {
            divergence = await findDivergentKeys(target(from), target(to), (entry) => {
              if ('dump' in entry) writeSync(fd, `${JSON.stringify({ key: entry.key.toString('base64'), dump: entry.dump.toString('base64'), ttlMs: entry.ttlMs })}\n`);
              else writeSync(absentFd, `${JSON.stringify({ key: entry.key.toString('base64'), absentAtOld: true })}\n`);
            });
            fsyncSync(fd);
            fsyncSync(absentFd);
          } finally {
            closeSync(fd);
            closeSync(absentFd);
          }
          const oldState = await replicationState(target(from));
          return done({
            divergentKeys: divergence.keys,
            absentAtOldKeys: divergence.absentAtOld,
            scannedKeys: divergence.scanned,
            file,
            saved: savedFile(file),
            absentFile,
            absentSaved: savedFile(absentFile),
            oldOffset: oldState.offset,
            promotedAtOffset: context.last(`promote:${name}`)?.data?.promotedAtOffset,
          });
        },
      },
      following: {
        id: `following:${name}`,
        title: `Verify ${name} at site ${from} follows site ${to} and has caught up`,
        async run(context) {
          const seconds = context.timeouts.followingSeconds;
          const deadline = Date.now() + seconds * 1000;
          for (;;) {
            const [oldSide, newSide] = await Promise.all([replicationState(target(from)).catch(() => undefined), replicationState(target(to))]);
            if (oldSide?.role === 'slave' && oldSide.masterHost === pair.address[to] && oldSide.linkUp && oldSide.receivedOffset! >= newSide.offset) {
              // The RPO bound, lifted when the new primary took writes without the other site, holds again.
              if (pair.lagBound) await restoreLagBound(target(to), pair.lagBound);
              return done({ offset: newSide.offset, ...(pair.lagBound ? { lagBoundRestored: pair.lagBound } : {}) });
            }
            if (Date.now() > deadline) return { status: 'failed', message: `${name} at ${from} does not follow ${pair.address[to]} after ${seconds} s` };
            await sleep(200);
          }
        },
      },
    }),

    divergence({ from, to, last }) {
      const saved = last(`divergence:${name}`)?.data;
      return [
        { pair: name, writes: Number(saved?.divergentKeys ?? 0), unit: 'keys', format: 'a key and its DUMP payload and TTL: replay with RESTORE key ttl payload', ...(saved?.saved ? { saved: saved.saved as DivergentWrites['saved'] } : {}) },
        { pair: name, writes: Number(saved?.absentAtOldKeys ?? 0), unit: `keys absent at site ${from} (deleted there, or new at site ${to})`, format: 'a key the old site no longer holds: replay with DEL key', ...(saved?.absentSaved ? { saved: saved.absentSaved as DivergentWrites['saved'] } : {}) },
      ];
    },

    recheck: (context) => recheckOldSite(context),

    report({ siteLost, last }) {
      const promoted = last(`promote:${name}`)?.data;
      const caught = last(`caught-up:${name}`)?.data;
      const divergence = last(`divergence:${name}`)?.data;
      const { rtoSeconds, writableAt } = writableData(last(`writable:${name}`));
      const lastContactAt = typeof promoted?.lastContactAt === 'string' ? promoted.lastContactAt : undefined;
      return {
        kind: 'redis',
        pair: name,
        rtoSeconds,
        ...(writableAt ? { writableAt } : {}),
        ...(siteLost
          ? {
              windowSeconds: Number(promoted?.windowSeconds ?? 0),
              ...(lastContactAt && writableAt ? { lastContactAt, rtoFromLossSeconds: (new Date(writableAt).getTime() - new Date(lastContactAt).getTime()) / 1000 } : {}),
            }
          : { unreceivedBytes: Number(caught?.unreceivedBytes ?? 0) }),
        divergentKeys: Number(divergence?.divergentKeys ?? 0),
        absentAtOldKeys: Number(divergence?.absentAtOldKeys ?? 0),
        ...(divergence?.file ? { divergentFile: String(divergence.file) } : {}),
      };
    },

    describe(p: PairReport, { from, to, siteLost }) {
      const before = siteLost
        ? p.lastContactAt
          ? `writes possibly lost: those site ${from} acknowledged after ${p.lastContactAt} (its last contact with site ${to}, ${p.windowSeconds} s before the promotion); RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run, ${p.rtoFromLossSeconds?.toFixed(1)} s from the last contact`
          : `writes possibly lost: those of the last ${p.windowSeconds} s before the promotion; RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run`
        : `unreceived when writes stopped: ${p.unreceivedBytes} bytes; RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run`;
      const absent = p.absentAtOldKeys ? ` and ${p.absentAtOldKeys} keys absent there (deleted there, or new at site ${to})` : '';
      return `${p.pair}: ${before}; divergent writes at site ${from}: ${p.divergentKeys} keys${absent}${p.divergentFile ? ` (saved in ${p.divergentFile})` : ''}`;
    },
  };

  /**
   * Re-measures the old site before its writes may be dropped: fenced again, scanned again, and any key
   * whose value or absence is not in the saved files is saved anew (a `divergence` record that
   * supersedes the old one). Returns what changed when the old site took values since; undefined when
   * nothing did or site `from` does not answer.
   */
  async function recheckOldSite(context: RunContext): Promise<string | undefined> {
    const { from, to } = context;
    const saved = context.last(`divergence:${name}`)?.data;
    // Saved moments ago by this very run: nothing can have restarted in between worth a second scan.
    if (!saved || context.ranThisRun(`divergence:${name}`) || !(await reachable(target(from)))) return undefined;
    // Re-pointed already (a run killed between the deploy and its journal line): it holds the new site's data.
    const state = await replicationState(target(from));
    if (state.role === 'slave' && state.masterHost === pair.address[to]) return undefined;
    await fence(target(from), context.fenceNote);
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
    const found = await findDivergentKeys(target(from), target(to), (entry) => {
      // The time to live moves on: a key is known when its name and payload (or its absence) are.
      const key = entry.key.toString('base64');
      if ('dump' in entry) all.push(JSON.stringify({ key, dump: entry.dump.toString('base64'), ttlMs: entry.ttlMs }));
      else allAbsent.push(JSON.stringify({ key, absentAtOld: true }));
      if (!known.has(`${key}:${'dump' in entry ? entry.dump.toString('base64') : 'absent'}`)) ('dump' in entry ? fresh : absent).push(key);
    });
    if (fresh.length === 0 && absent.length === 0) return undefined;
    const round = context.last(`divergence:${name}`)?.at.replace(/\W/g, '') ?? 'again';
    const file = join(context.directory, `divergent-${pair.role}-${pair.zone}-${round}-recheck.jsonl`);
    const absentFile = join(context.directory, `divergent-${pair.role}-${pair.zone}-${round}-recheck-absent.jsonl`);
    writeLinesDurably(file, all, 'w');
    writeLinesDurably(absentFile, allAbsent, 'w');
    context.record(`divergence:${name}`, {
      status: 'done',
      data: { divergentKeys: all.length, absentAtOldKeys: allAbsent.length, scannedKeys: found.scanned, file, saved: savedFile(file), absentFile, absentSaved: savedFile(absentFile), recheckedNewKeys: fresh.length, recheckedNewAbsent: absent.length },
    });
    // A value the fenced old site took since is a write it acknowledged: refuse until it is seen. Keys
    // newly absent there are saved too, but the new primary creates such keys with every new write,
    // so they alone cannot stop the run (it would never end while site `to` serves).
    return fresh.length > 0 ? `${name}: ${fresh.length} key(s) changed and ${absent.length} gone since` : undefined;
  }
}
