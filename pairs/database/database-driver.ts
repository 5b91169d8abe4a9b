/**
 * The business database's DR pair in the switchover (#15): PostgreSQL outside the clusters, streaming
 * from the active site to the standby site. Its DBA (or vendor tool) demotes the old primary and
 * promotes the new one; the switchover checks every step against the servers and waits where a person
 * acts, as it does for a lost site: it never takes a database role change on trust.
 *
 * - check: planned, the old site is a primary with a streaming standby and the new site is in recovery;
 *   site lost, the new site is in recovery, and how old its last replayed transaction is (the window of
 *   writes possibly lost) is recorded.
 * - caught-up (planned): the new site has replayed everything the old primary wrote, and the old
 *   primary's WAL position has stopped moving (its applications are stopped).
 * - promoted: the new site takes writes; planned, the old site is read-only or a standby first.
 * - following: the old site is a standby streaming from the new one (its DBA re-points it; when the
 *   site was lost, once it is back).
 */
import type { ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES, ZONES, otherSite, type Site, type Zone } from '../../model/topology';
import { cloudNativePgProbe, commandProbe, POSTGRESQL_PROBE, type DatabaseProbe, type DatabaseReplicationState, type DatabaseTarget, type SwitchDirection } from './database-member';
import { writableData, type PairKind, type PairReport, type StepResult, type SwitchoverPair } from '../kind';

export interface DatabaseAccess {
  readonly user: string;
  readonly password: string;
}

export interface DatabasePairRef {
  readonly zone: Zone;
  /** How its servers are read (PostgreSQL's own views, or the product's check command) and what its DBA is told. */
  readonly probe: DatabaseProbe;
  readonly address: Readonly<Record<Site, { readonly host: string; readonly port: number }>>;
  /** How to log in; absent in a dry run, which reaches no server. */
  readonly access?: DatabaseAccess;
}

export const databasePairName = (pair: DatabasePairRef) => `database@${pair.zone}`;

/** The database pairs of a province: zones whose environment declares the database (`middleware.database`). */
export function databasePairsOf(province: ProvinceModel, access?: DatabaseAccess): DatabasePairRef[] {
  return ZONES.flatMap((zone) => {
    const at = (site: Site) => province.units.find((u) => u.zone === zone && u.site === site)?.middlewarePlan.database;
    const [a, b] = [at('A'), at('B')];
    if (!a || !b) return [];
    const product = a.product;
    const probe =
      product.kind === 'postgresql'
        ? POSTGRESQL_PROBE
        : product.kind === 'cloudnative-pg'
          ? cloudNativePgProbe(PLATFORM_NAMESPACES.middleware, product.cluster.clusterNames)
          : commandProbe(product.name, product.checkCommand);
    return [{ zone, probe, address: { A: a.address, B: b.address }, ...(access ? { access } : {}) }];
  });
}

function target(pair: DatabasePairRef, site: Site): DatabaseTarget {
  if (!pair.access) throw new Error(`${databasePairName(pair)}: no credentials to reach site ${site} (a dry run reaches no server)`);
  return { ...pair.address[site], ...pair.access };
}

const direction = (pair: DatabasePairRef, from: Site, to: Site, siteLost: boolean): SwitchDirection => ({ from, to, siteLost, newPrimary: pair.address[to].host });
const state = (pair: DatabasePairRef, site: Site): Promise<DatabaseReplicationState | Error> => pair.probe.state(target(pair, site)).catch((e: Error) => e);
const where = (pair: DatabasePairRef, site: Site) => `${databasePairName(pair)} at ${site} (${pair.address[site].host}:${pair.address[site].port})`;

export async function checkDatabasePair(pair: DatabasePairRef, from: Site, to: Site, siteLost: boolean): Promise<{ problems: string[]; data: Record<string, unknown> }> {
  const newSide = await state(pair, to);
  if (newSide instanceof Error) return { problems: [`${where(pair, to)} does not answer (${newSide.message})`], data: {} };
  if (!newSide.standby) return { problems: [`${where(pair, to)} is not a standby (it takes writes already)`], data: {} };
  const data: Record<string, unknown> = { replayLsn: String(newSide.lsn), ...(newSide.replayAgeSeconds !== undefined ? { replayAgeSeconds: newSide.replayAgeSeconds } : {}) };
  if (siteLost) return { problems: [], data };
  const oldSide = await state(pair, from);
  if (oldSide instanceof Error) return { problems: [`${where(pair, from)} does not answer (${oldSide.message}): if site ${from} is lost, run with --site-lost ${from}`], data };
  if (oldSide.standby) return { problems: [`${where(pair, from)} is not a primary`], data };
  if (!oldSide.streaming.some((s) => s.state === 'streaming')) return { problems: [`${where(pair, from)} has no streaming standby: site ${to} does not replicate`], data };
  return { problems: [], data: { ...data, primaryLsn: String(oldSide.lsn) } };
}

/** Planned: the new site has replayed every byte the old primary wrote, and the old primary has stopped writing. */
export async function databaseCaughtUp(pair: DatabasePairRef, from: Site, to: Site, timeoutSeconds: number, settleMs: number): Promise<StepResult> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let settled: { lsn: bigint; since: number } | undefined;
  for (;;) {
    const [oldSide, newSide] = await Promise.all([state(pair, from), state(pair, to)]);
    if (oldSide instanceof Error || newSide instanceof Error) return { status: 'refused', message: `${databasePairName(pair)}: ${(oldSide instanceof Error ? oldSide : (newSide as Error)).message}` };
    if (settled?.lsn !== oldSide.lsn) settled = { lsn: oldSide.lsn, since: Date.now() };
    const behind = oldSide.lsn - newSide.lsn;
    if (behind <= 0n && Date.now() - settled.since >= settleMs) return { status: 'done', data: { primaryLsn: String(oldSide.lsn), replayLsn: String(newSide.lsn), unreplayedBytes: 0 } };
    if (Date.now() > deadline) {
      return {
        status: 'refused',
        data: { primaryLsn: String(oldSide.lsn), replayLsn: String(newSide.lsn), unreplayedBytes: Number(behind > 0n ? behind : 0n) },
        message: behind > 0n ? `${databasePairName(pair)} at ${to} is ${behind} WAL bytes behind after ${timeoutSeconds} s` : `${databasePairName(pair)} at ${from} still writes: stop its applications first`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The new site takes writes (its DBA promoted it); planned, only after the old site was demoted. */
export async function databasePromoted(pair: DatabasePairRef, from: Site, to: Site, siteLost: boolean): Promise<StepResult> {
  if (!siteLost) {
    const oldSide = await state(pair, from);
    const demoted = !(oldSide instanceof Error) && (oldSide.standby || (await pair.probe.readOnly(target(pair, from)).catch(() => false)));
    if (!demoted) {
      return { status: 'waiting', message: `${where(pair, from)} still takes writes: its DBA demotes it (${pair.probe.dba.demote(direction(pair, from, to, siteLost))}), then run again` };
    }
  }
  const newSide = await state(pair, to);
  if (newSide instanceof Error) return { status: 'waiting', message: `${where(pair, to)} does not answer (${newSide.message})` };
  if (newSide.standby) return { status: 'waiting', message: `${where(pair, to)} is still a standby: its DBA promotes it (${pair.probe.dba.promote(direction(pair, from, to, siteLost))}), then run again` };
  return { status: 'done', data: { lsn: String(newSide.lsn) } };
}

/**
 * The old site streams from the new one again (its DBA re-pointed it: pg_rewind, standby.signal). A
 * standby just restarted needs a moment to connect and catch up: polled for up to `timeoutSeconds`.
 */
export async function databaseFollowing(pair: DatabasePairRef, from: Site, siteLost: boolean, timeoutSeconds: number): Promise<StepResult> {
  const to = otherSite(from);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const [oldSide, newSide] = await Promise.all([state(pair, from), state(pair, to)]);
    if (oldSide instanceof Error) return { status: 'waiting', message: `${where(pair, from)} does not answer; run again when it is back and re-pointed` };
    if (newSide instanceof Error) return { status: 'refused', message: `${where(pair, to)} does not answer (${newSide.message})` };
    if (oldSide.standby && newSide.streaming.some((s) => s.state === 'streaming')) return { status: 'done', data: { replayLsn: String(oldSide.lsn), primaryLsn: String(newSide.lsn) } };
    // Still a primary: its DBA has not re-pointed it; no point in waiting.
    if (!oldSide.standby || Date.now() > deadline) {
      return { status: 'waiting', message: `${where(pair, from)} does not stream from site ${to} yet: its DBA re-points it (${pair.probe.dba.repoint(direction(pair, from, to, siteLost))}), then run again` };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

declare module '../kind' {
  interface PairAccess {
    /** How to reach the business database (a user allowed to read replication state); required when database pairs are checked. */
    readonly database?: DatabaseAccess;
  }
}

/** How long the old primary's WAL position must stand still before the database counts as caught up. */
const DATABASE_SETTLE_MS = 2000;

export const databasePairKind: PairKind = {
  name: 'database',
  pairsOf: (province, access) => databasePairsOf(province, access.database).map(databaseSwitchoverPair),
  missingAccess: (access) => (access.database ? undefined : 'checking database pairs needs a database user and password (options.database)'),
};

function databaseSwitchoverPair(pair: DatabasePairRef): SwitchoverPair {
  const name = databasePairName(pair);
  return {
    kind: 'database',
    name,
    check: ({ from, to, siteLost }) => checkDatabasePair(pair, from, to, siteLost),
    steps: ({ from, to, siteLost }) => ({
      'caught-up': {
        id: `caught-up:${name}`,
        title: `Wait until ${name} at site ${to} has replayed every byte site ${from} wrote (its applications stopped)`,
        run: (context) => databaseCaughtUp(pair, from, to, context.timeouts.caughtUpSeconds, DATABASE_SETTLE_MS),
      },
      // The DBA changes the roles; the step checks each change and waits for it.
      handover: {
        id: `promoted:${name}`,
        title: siteLost ? `Wait until ${name} at site ${to} takes writes (its DBA promotes it)` : `Wait until ${name} at site ${from} is demoted and site ${to} takes writes (its DBA acts; each step checked)`,
        async run(context) {
          const result = await databasePromoted(pair, from, to, siteLost);
          return result.status === 'done' ? { ...result, data: { ...result.data, rtoSeconds: context.secondsSinceStart() } } : result;
        },
      },
      following: {
        id: `following:${name}`,
        title: `Verify ${name} at site ${from} streams from site ${to} (its DBA re-points it)`,
        run: (context) => databaseFollowing(pair, from, siteLost, context.timeouts.followingSeconds),
      },
    }),
    report({ siteLost, last }) {
      const checked = last('check')?.data?.[name] as { replayAgeSeconds?: number } | undefined;
      const caught = last(`caught-up:${name}`)?.data;
      const { rtoSeconds, writableAt } = writableData(last(`promoted:${name}`));
      return { kind: 'database', pair: name, rtoSeconds, ...(writableAt ? { writableAt } : {}), ...(siteLost ? { windowSeconds: Number(checked?.replayAgeSeconds ?? 0) } : { unreplayedBytes: Number(caught?.unreplayedBytes ?? 0) }) };
    },
    // The database's divergence after a lost site is its DBA's to reconcile (pg_rewind reports it).
    describe: (p: PairReport, { siteLost }) =>
      `${p.pair}: ${siteLost ? `writes possibly lost: those of the last ${p.windowSeconds} s before the promotion (age of the last replayed transaction)` : `unreplayed when writes stopped: ${p.unreplayedBytes} WAL bytes`}; RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run`,
  };
}
