/**
 * What the switchover does to one Redis server of a DR pair: read its replication state, fence it,
 * promote it, and find the writes only it holds. Every call opens its own connection with short
 * timeouts: an unreachable site answers "unreachable", it does not hang the switchover.
 */
import { REDIS_FENCE_MARKER_KEY, REDIS_FENCE_MIN_REPLICAS, type RedisLagBound } from './redis-plan';
import { replicationInfo, RespClient, type BinaryReply, type RedisTls } from './resp-client';

export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly password: string;
  /** The CA of the servers' certificates: the toolkit's Redis servers speak TLS only. */
  readonly tls: RedisTls;
}

export interface ReplicationState {
  readonly role: 'master' | 'slave';
  /** master_repl_offset: the end of this server's replication stream. */
  readonly offset: number;
  /** As a replica: the primary it follows, its link, the offset it has received, seconds since the link went down. */
  readonly masterHost?: string;
  readonly linkUp?: boolean;
  readonly receivedOffset?: number;
  readonly linkDownSeconds?: number;
  readonly lastIoSeconds?: number;
  /** Writes refused: the fence is in place (min-replicas-to-write beyond any pair). */
  readonly fenced: boolean;
}

const CONNECT_TIMEOUT_MS = 3000;

/** The server answered but refused the login: a wrong or missing password, not a site that is down. */
export class RedisAuthenticationError extends Error {}

export async function withRedis<T>(target: RedisTarget, use: (client: RespClient) => Promise<T>): Promise<T> {
  const client = await RespClient.connect(target.port, target.host, CONNECT_TIMEOUT_MS, target.tls);
  try {
    try {
      await client.call('AUTH', target.password);
    } catch (error) {
      // The password is Redis's `requirepass`, the login of the user `default`.
      throw new RedisAuthenticationError(`${target.host}:${target.port} refused the login of user "default" (${(error as Error).message.split('\n')[0]}): check the Redis password (HSA_REDIS_PASSWORD or --redis-password-file) against the Secret the pair reads`);
    }
    return await use(client);
  } finally {
    client.close();
  }
}

/** Whether the server answers; a refused login is thrown, never taken for a site that is down. */
export async function reachable(target: RedisTarget): Promise<boolean> {
  try {
    return (await withRedis(target, (c) => c.call('PING'))) === 'PONG';
  } catch (error) {
    if (error instanceof RedisAuthenticationError) throw error;
    return false;
  }
}

export async function replicationState(target: RedisTarget): Promise<ReplicationState> {
  return withRedis(target, async (client) => {
    const info = await replicationInfo(client);
    const minReplicas = (await client.call('CONFIG', 'GET', 'min-replicas-to-write')) as string[];
    const number = (key: string) => (info[key] === undefined ? undefined : Number(info[key]));
    const role = info.role === 'slave' ? 'slave' : 'master';
    return {
      role,
      offset: Number(info.master_repl_offset ?? 0),
      ...(role === 'slave'
        ? {
            masterHost: info.master_host!,
            linkUp: info.master_link_status === 'up',
            receivedOffset: number('slave_repl_offset')!,
            ...(info.master_link_down_since_seconds !== undefined && info.master_link_down_since_seconds !== '-1' ? { linkDownSeconds: number('master_link_down_since_seconds')! } : {}),
            ...(info.master_last_io_seconds_ago !== undefined && info.master_last_io_seconds_ago !== '-1' ? { lastIoSeconds: number('master_last_io_seconds_ago')! } : {}),
          }
        : {}),
      fenced: Number(minReplicas[1] ?? 0) >= REDIS_FENCE_MIN_REPLICAS,
    };
  });
}

/** The server's own `repl-timeout`: a replica drops its link after that many seconds without data. */
export async function replicationTimeoutSeconds(target: RedisTarget): Promise<number> {
  const reply = (await withRedis(target, (c) => c.call('CONFIG', 'GET', 'repl-timeout'))) as string[];
  return Number(reply[1] ?? 60);
}

/**
 * Seconds from the replica's last contact with its primary to now, as a bound (never less): while the
 * link is up, `master_last_io_seconds_ago`; once it is down, the time since it went down plus the
 * server's `repl-timeout` plus 3 s. Redis keeps the last interaction in whole seconds, drops the link
 * only once more than `repl-timeout` whole seconds have passed, checks that once a second, and reports
 * the time since in whole seconds: the link can go down up to about 3 s later than `repl-timeout` after
 * the last data. Writes the primary acknowledged in this window may be missing here.
 */
export function secondsSinceLastContact(state: ReplicationState, replTimeoutSeconds: number): number | undefined {
  if (state.role !== 'slave') return undefined;
  if (state.linkUp) return state.lastIoSeconds ?? 0;
  return state.linkDownSeconds === undefined ? undefined : state.linkDownSeconds + replTimeoutSeconds + 3;
}

/**
 * Refuses every write from now on (reads still served), and writes the fence marker into the server's
 * own data so that its start-up gate fences it again after any restart, until it is re-pointed. A server
 * fenced already that holds the marker is left as it is. Otherwise the marker needs one write while the
 * fence is off: lifting the fence, the marker and the fence go to the server in one pipelined write, which
 * Redis executes before it reads any other client's command (one client's buffered commands run
 * together). The marker reaches the disk within a second (`appendfsync everysec`).
 */
export async function fence(target: RedisTarget, note = 'fenced'): Promise<void> {
  await withRedis(target, async (c) => {
    const [exists, fenced] = await c.pipeline([
      ['EXISTS', REDIS_FENCE_MARKER_KEY],
      ['CONFIG', 'GET', 'min-replicas-to-write'],
    ]);
    if (exists === 1 && Array.isArray(fenced) && Number(fenced[1]) >= REDIS_FENCE_MIN_REPLICAS) return;
    const replies = await c.pipeline([
      ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
      ['SET', REDIS_FENCE_MARKER_KEY, note],
      ['CONFIG', 'SET', 'min-replicas-to-write', String(REDIS_FENCE_MIN_REPLICAS)],
    ]);
    const failed = replies.find((r): r is Error => r instanceof Error);
    if (failed) throw new Error(`${target.host}:${target.port}: the fence failed (${failed.message})`);
  });
}

/** Puts a pair's RPO bound back on its primary (as its deployed configuration has it). */
export async function restoreLagBound(target: RedisTarget, bound: RedisLagBound): Promise<void> {
  await withRedis(target, async (c) => {
    await c.call('CONFIG', 'SET', 'min-replicas-max-lag', String(bound.maxLagSeconds));
    await c.call('CONFIG', 'SET', 'min-replicas-to-write', String(bound.minReplicas));
  });
}

/** Lifts the fence (a promoted server that came up fenced by its start-up gate), its marker too. */
export async function unfence(target: RedisTarget): Promise<void> {
  await withRedis(target, async (c) => {
    await c.call('CONFIG', 'SET', 'min-replicas-to-write', '0');
    await c.call('DEL', REDIS_FENCE_MARKER_KEY);
  });
}

/** REPLICAOF NO ONE: stops following and keeps the data; returns the offset it was promoted at. */
export async function promote(target: RedisTarget): Promise<number> {
  return withRedis(target, async (client) => {
    await client.call('REPLICAOF', 'NO', 'ONE');
    return Number((await replicationInfo(client)).master_repl_offset ?? 0);
  });
}

export interface Divergence {
  /** Keys whose value at the old primary is missing or different at the new one. */
  readonly keys: number;
  /**
   * Keys the new primary holds and the old one does not: deleted, expired, renamed away or flushed at
   * the old site after the cut (or written at the new site after its promotion: both are listed, the
   * operator tells them apart). Re-pointing the old site would bring them back there.
   */
  readonly absentAtOld: number;
  /** Keys read at the old primary, then at the new one. */
  readonly scanned: number;
}

/** One divergent key: its DUMP and time to live at the old site, or `absentAtOld`. */
export type DivergentKey = { readonly key: Buffer; readonly dump: Buffer; readonly ttlMs: number } | { readonly key: Buffer; readonly absentAtOld: true };

/** SCAN over every key of a server, a batch at a time. */
async function forEachBatch(client: { pipelineBinary: (commands: (string | Buffer)[][]) => Promise<BinaryReply[]> }, visit: (batch: Buffer[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [scanReply] = await client.pipelineBinary([['SCAN', cursor, 'COUNT', '1000']]);
    if (!Array.isArray(scanReply)) throw scanReply instanceof Error ? scanReply : new Error('SCAN: unexpected reply');
    const [next, batch] = scanReply as [Buffer, Buffer[]];
    cursor = next.toString('utf8');
    if (batch.length > 0) await visit(batch);
  } while (cursor !== '0');
}

/**
 * Every change only the old primary holds, in a form that can be replayed: each key of `old` whose DUMP
 * differs from the same key's DUMP at `current` (missing there included), with its DUMP payload and
 * remaining time to live (RESTORE), and each key `current` holds that `old` does not (a deletion,
 * expiry, rename or flush at the old site: DEL). SCAN walks both primaries without blocking them.
 */
export async function findDivergentKeys(old: RedisTarget, current: RedisTarget, save: (entry: DivergentKey) => void): Promise<Divergence> {
  return withRedis(old, (oldClient) =>
    withRedis(current, async (currentClient) => {
      let keys = 0;
      let absentAtOld = 0;
      let scanned = 0;
      await forEachBatch(oldClient, async (batch) => {
        scanned += batch.length;
        const oldDumps = await oldClient.pipelineBinary(batch.flatMap((k) => [['DUMP', k], ['PTTL', k]]));
        const currentDumps = await currentClient.pipelineBinary(batch.map((k) => ['DUMP', k]));
        batch.forEach((key, i) => {
          if (key.toString('utf8') === REDIS_FENCE_MARKER_KEY) return; // the fence's own, not a client's write
          const dump = oldDumps[2 * i];
          if (!Buffer.isBuffer(dump)) return; // expired between SCAN and DUMP: the second pass sees it
          const there = currentDumps[i];
          if (Buffer.isBuffer(there) && there.equals(dump)) return;
          keys++;
          save({ key, dump, ttlMs: numberOf(oldDumps[2 * i + 1]) });
        });
      });
      await forEachBatch(currentClient, async (batch) => {
        scanned += batch.length;
        const exists = await oldClient.pipelineBinary(batch.map((k) => ['EXISTS', k]));
        batch.forEach((key, i) => {
          if (exists[i] !== 0 || key.toString('utf8') === REDIS_FENCE_MARKER_KEY) return;
          absentAtOld++;
          save({ key, absentAtOld: true });
        });
      });
      return { keys, absentAtOld, scanned };
    }),
  );
}

function numberOf(reply: BinaryReply | undefined): number {
  return typeof reply === 'number' ? reply : -1;
}
