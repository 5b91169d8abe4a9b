/**
 * What the switchover reads from one server of the business database's DR pair: PostgreSQL directly
 * (outside the clusters, or run in them by CloudNativePG: `cloudNativePgProbe`), another product through
 * the check command its DBA supplies (`commandProbe`). Its DBA, vendor tool or operator promotes it; the
 * switchover checks it like the other pairs: on the primary `pg_stat_replication` (which standbys
 * stream, up to which LSN they replayed), on the standby `pg_last_wal_replay_lsn()` and the age of the
 * last replayed transaction, and whether a server is still in recovery (a standby) or writable.
 */
import { execFile } from 'node:child_process';
import { Client } from 'pg';
import { z } from 'zod';
import type { Site } from '../../model/topology';

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
  try {
    await client.connect();
  } catch (error) {
    // 28P01 invalid_password, 28000 invalid_authorization_specification (pg_hba refused the user).
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') throw new Error(`${target.host}:${target.port} refused the login of user "${target.user}" (${(error as Error).message}): check --database-user and HSA_DATABASE_PASSWORD against the role the pair's Secret holds`);
    throw error;
  }
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

/** How the switchover reads one product's servers, and what it tells their DBA to do. */
export interface DatabaseProbe {
  state(target: DatabaseTarget): Promise<DatabaseReplicationState>;
  /** Whether the server refuses writes (a standby, or a primary its DBA demoted). */
  readOnly(target: DatabaseTarget): Promise<boolean>;
  /** What its DBA (or operator) does when the switchover waits: demote the old primary, promote the new one, re-point the old one. */
  readonly dba: DbaActions;
}

/** The switchover's direction, as the DBA's instructions need it. */
export interface SwitchDirection {
  readonly from: Site;
  readonly to: Site;
  readonly siteLost: boolean;
  /** The new primary's address. */
  readonly newPrimary: string;
}

export interface DbaActions {
  demote(direction: SwitchDirection): string;
  promote(direction: SwitchDirection): string;
  repoint(direction: SwitchDirection): string;
}

export const POSTGRESQL_PROBE: DatabaseProbe = {
  state: databaseReplicationState,
  readOnly: databaseReadOnly,
  dba: {
    demote: () => 'read-only: ALTER SYSTEM SET default_transaction_read_only = on and a reload',
    promote: () => 'SELECT pg_promote()',
    repoint: ({ to, newPrimary }) => `CHECKPOINT at site ${to}, then pg_rewind, standby.signal, primary_conninfo to ${newPrimary}`,
  },
};

/**
 * PostgreSQL run by CloudNativePG in a distributed topology: read with PostgreSQL's own views (at each
 * site's database VIP, the LoadBalancer service on the Cluster's primary), switched by CloudNativePG.
 * A planned switchover demotes the old site's Cluster (`replica.primary` names the new one), which then
 * publishes a demotion token in its status; the new site's Cluster is promoted with that token as its
 * `promotionToken` (in the same change that names it `primary`, as CloudNativePG's webhook requires), so
 * CloudNativePG promotes it only once it has replayed everything the old primary wrote. After a lost
 * site there is no token: the promotion is immediate. The demoted Cluster follows the new primary by
 * itself; a former primary that took writes while cut off cannot, and is rebuilt from the new one.
 */
export function cloudNativePgProbe(namespace: string, clusterNames: Readonly<Record<Site, string>>): DatabaseProbe {
  const cluster = (site: Site) => `kubectl --context <site ${site}'s cluster> -n ${namespace} `;
  const patch = (site: Site, replica: Record<string, string>) => `${cluster(site)}patch clusters.postgresql.cnpg.io ${clusterNames[site]} --type merge -p '${JSON.stringify({ spec: { replica } })}'`;
  const token = (site: Site) => `${cluster(site)}get clusters.postgresql.cnpg.io ${clusterNames[site]} -o jsonpath='{.status.demotionToken}'`;
  return {
    state: databaseReplicationState,
    readOnly: databaseReadOnly,
    dba: {
      demote: ({ from, to }) => `demote its Cluster: ${patch(from, { primary: clusterNames[to] })}; CloudNativePG then shuts its primary down cleanly and publishes a demotion token`,
      promote: ({ from, to, siteLost }) =>
        siteLost
          ? `promote its Cluster without a token (site ${from} is lost): ${patch(to, { primary: clusterNames[to] })}`
          : `promote its Cluster with site ${from}'s demotion token (read it with ${token(from)}): ${patch(to, { primary: clusterNames[to], promotionToken: '<the token>' })}; CloudNativePG promotes it once it has replayed up to the token`,
      repoint: ({ from, to, siteLost }) =>
        siteLost
          ? `deploy site ${from} (its Cluster then names ${clusterNames[to]} primary); if it still does not follow, it took writes while cut off: rebuild it from site ${to} (delete Cluster ${clusterNames[from]} and its PVCs at site ${from}, deploy site ${from} again: it bootstraps with pg_basebackup from ${clusterNames[to]})`
          : `CloudNativePG re-points the demoted Cluster ${clusterNames[from]} at ${clusterNames[to]} itself; check it with ${cluster(from)}get clusters.postgresql.cnpg.io ${clusterNames[from]}`,
    },
  };
}

const position = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
/** What a product's check command prints (middleware.database.check of the environment). */
const checkOutput = z.object({
  role: z.enum(['primary', 'standby']),
  position,
  streaming: z.array(z.object({ address: z.string(), state: z.string(), position })).optional(),
  replayAgeSeconds: z.number().nonnegative().optional(),
  readOnly: z.boolean().optional(),
});

/**
 * Another product's servers, read through the check command its DBA supplies: run without a shell on
 * the operator's machine, with the server and the login in HSA_DB_* variables (never on its command
 * line), bounded to 15 s. Output that is not the agreed JSON is an error naming the command and the field.
 */
export function commandProbe(name: string, command: readonly string[]): DatabaseProbe {
  const run = (target: DatabaseTarget) =>
    new Promise<z.infer<typeof checkOutput>>((resolve, reject) => {
      const env = { ...process.env, HSA_DB_HOST: target.host, HSA_DB_PORT: String(target.port), HSA_DB_USER: target.user, HSA_DB_PASSWORD: target.password };
      execFile(command[0]!, command.slice(1), { env, timeout: 15_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        const shown = `${name} check command (${command[0]}) for ${target.host}:${target.port}`;
        if (error) return reject(new Error(`${shown} failed: ${(stderr || error.message).trim().split('\n').slice(-2).join(' | ')}`));
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          return reject(new Error(`${shown} printed no JSON object (received "${stdout.trim().slice(0, 80)}"); expected {"role": "primary"|"standby", "position": ...}`));
        }
        const parsed = checkOutput.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          return reject(new Error(`${shown} printed ${issue.path.join('.') || 'an object'} that does not fit: ${issue.message}; expected role, position, streaming on a primary (middleware.database.check)`));
        }
        resolve(parsed.data);
      });
    });
  return {
    dba: {
      demote: () => `with ${name}'s own tool, until its check command says readOnly`,
      promote: () => `${name}'s own tool`,
      repoint: ({ newPrimary }) => `with ${name}'s own tool, as a standby of ${newPrimary}`,
    },
    async state(target) {
      const out = await run(target);
      return {
        standby: out.role === 'standby',
        lsn: out.position,
        streaming: (out.streaming ?? []).map((s) => ({ address: s.address, state: s.state, replayLsn: s.position })),
        ...(out.replayAgeSeconds !== undefined ? { replayAgeSeconds: out.replayAgeSeconds } : {}),
      };
    },
    async readOnly(target) {
      const out = await run(target);
      return out.role === 'standby' || out.readOnly === true;
    },
  };
}
