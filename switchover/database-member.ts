/**
 * What the switchover reads from one PostgreSQL server of the business
 * database's DR pair. The database lives outside the clusters and its vendor or DBA promotes it; the
 * switchover checks it like the other pairs: on the primary `pg_stat_replication` (which standbys
 * stream, up to which LSN they replayed), on the standby `pg_last_wal_replay_lsn()` and the age of the
 * last replayed transaction, and whether a server is still in recovery (a standby) or writable.
 */
import { Client } from 'pg';

export interface DatabaseTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export interface DatabaseReplicationState {
  /** `pg_is_in_recovery()`: a standby. */
  readonly standby: boolean;
  /** Primary: `pg_current_wal_lsn()`; standby: `pg_last_wal_replay_lsn()`, as a byte position. */
  readonly lsn: bigint;
  /** Primary: the standbys streaming from it, with the LSN each has replayed. */
  readonly streaming: readonly { readonly address: string; readonly state: string; readonly replayLsn: bigint }[];
  /** Standby: seconds since the last transaction it replayed was committed at the primary. */
  readonly replayAgeSeconds?: number;
}

/** `X/Y` (two hexadecimal halves) as one byte position. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(lsn);
  if (!match) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

async function withDatabase<T>(target: DatabaseTarget, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: target.host, port: target.port, user: target.user, password: target.password, database: 'postgres', connectionTimeoutMillis: 3000, query_timeout: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export function databaseReplicationState(target: DatabaseTarget): Promise<DatabaseReplicationState> {
  return withDatabase(target, async (client) => {
    const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (rows[0]!.standby) {
      const replay = await client.query<{ lsn: string | null; age: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn, extract(epoch FROM now() - pg_last_xact_replay_timestamp())::text AS age');
      const row = replay.rows[0]!;
      return { standby: true, lsn: row.lsn ? parseLsn(row.lsn) : 0n, streaming: [], ...(row.age !== null ? { replayAgeSeconds: Number(row.age) } : {}) };
    }
    const current = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const streaming = await client.query<{ address: string | null; state: string; replay: string | null }>('SELECT host(client_addr) AS address, state, replay_lsn::text AS replay FROM pg_stat_replication');
    return {
      standby: false,
      lsn: parseLsn(current.rows[0]!.lsn),
      streaming: streaming.rows.map((r) => ({ address: r.address ?? 'local', state: r.state, replayLsn: r.replay ? parseLsn(r.replay) : 0n })),
    };
  });
}

/** `default_transaction_read_only` of a server: on once its DBA has demoted it for a planned switchover. */
export function databaseReadOnly(target: DatabaseTarget): Promise<boolean> {
  return withDatabase(target, async (client) => (await client.query<{ value: string }>("SELECT current_setting('default_transaction_read_only') AS value")).rows[0]!.value === 'on');
}
