/**
 * Debian's PostgreSQL in the two datacenter namespaces (support/two-datacenters.ts), one server a site,
 * each listening on its site's database address, run as the postgres user: what the database drills
 * share. How the servers are set up (who streams from whom, which settings) is each drill's own.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresqlBin } from '../../../backup/restore-verify';
import type { Site } from '../../../model/topology';
import { sleep, waitFor } from './timing';
import { namespaceOf, spawnIn } from './two-datacenters';

export const POSTGRESQL_PORT = 5432;

/** The postgres user's ids, for files the servers read. */
export function postgresUser(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) };
}

export class PostgresqlSites {
  private readonly servers = new Map<Site, ChildProcess>();
  readonly bin = postgresqlBin();

  constructor(
    readonly work: string,
    /** Each site's database address. */
    readonly host: Readonly<Record<Site, string>>,
  ) {}

  dir(site: Site): string {
    return join(this.work, `pg-${site}`);
  }

  /** Each site its own socket directory: both listen on 5432, on one file system. */
  sockets(site: Site): string {
    return join(this.work, `sockets-${site}`);
  }

  /** A command as the postgres user inside a datacenter, to its end. */
  run(site: Site, command: string, args: readonly string[]): string {
    return execFileSync('ip', ['netns', 'exec', namespaceOf(site), 'setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', join(this.bin, command), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  }

  /** Writes a file into a site's data directory, owned by postgres. */
  writeDataFile(site: Site, name: string, content: string, flag: 'w' | 'a' = 'w'): void {
    const { uid, gid } = postgresUser();
    writeFileSync(join(this.dir(site), name), content, { flag });
    chownSync(join(this.dir(site), name), uid, gid);
  }

  start(site: Site): void {
    mkdirSync(this.sockets(site), { recursive: true });
    const { uid, gid } = postgresUser();
    chownSync(this.sockets(site), uid, gid);
    const child = spawnIn(site, 'setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', join(this.bin, 'postgres'), '-D', this.dir(site), '-p', String(POSTGRESQL_PORT), '-k', this.sockets(site), '-c', `listen_addresses=${this.host[site]}`]);
    child.stdout?.resume();
    const log = join(this.work, `postgres-${site}.log`);
    child.stderr?.on('data', (chunk: Buffer) => writeFileSync(log, chunk, { flag: 'a' }));
    this.servers.set(site, child);
  }

  async stop(site: Site, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.servers.get(site);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await exited;
  }

  async stopAll(): Promise<void> {
    for (const site of ['A', 'B'] as const) await this.stop(site);
  }

  client(site: Site, user = 'postgres', password?: string, database = 'postgres'): Client {
    return new Client({ host: this.host[site], port: POSTGRESQL_PORT, user, ...(password ? { password } : {}), database, connectionTimeoutMillis: 2000, query_timeout: 5000 });
  }

  async sql(site: Site, text: string, database = 'postgres'): Promise<unknown[]> {
    const client = this.client(site, 'postgres', undefined, database);
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  async waitUp(site: Site): Promise<void> {
    await waitFor(async () => this.sql(site, 'SELECT 1').then(() => true, () => false), 30, `PostgreSQL at ${site} (${this.host[site]}) did not start`);
  }
}

/**
 * A writer at a site inserting rows into `settlement (id)` as an application does, one at a time; `stop`
 * returns the ids acknowledged. Connection errors are retried: a cut or a stop loses no acknowledged id.
 */
export function startWriter(db: PostgresqlSites, site: Site, database = 'postgres'): { stop: () => Promise<number[]> } {
  let running = true;
  const acknowledged: number[] = [];
  const loop = (async () => {
    let id = 0;
    let client: Client | undefined;
    while (running) {
      try {
        if (!client) {
          client = db.client(site, 'postgres', undefined, database);
          await client.connect();
        }
        await client.query('INSERT INTO settlement (id) VALUES ($1)', [++id]);
        acknowledged.push(id);
      } catch {
        await client?.end().catch(() => undefined);
        client = undefined;
        await sleep(100);
      }
      await sleep(5);
    }
    await client?.end().catch(() => undefined);
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return acknowledged;
    },
  };
}
