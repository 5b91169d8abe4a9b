/**
 * The business database as a DR pair (#15): real PostgreSQL in the two datacenter namespaces, at the
 * demo's core-zone database addresses, streaming from A to B as the province's DBA would set it up
 * (pg_basebackup -R). The switchover (`executeSwitchover`, kinds ['database']) checks every step against
 * the servers; the drill plays the DBA where the switchover waits for one (demote, promote, re-point
 * with pg_rewind), and the switchover must not move past a step whose condition does not hold.
 *
 *   planned A -> B: rows acknowledged at A before the applications stopped: 0 missing at B;
 *   site loss: the link to A cut mid-write, failover to B: the window the switchover reports, and the
 *   rows acknowledged at A and missing at B, measured;
 *   broken: a standby that does not stream is refused at the check; a promotion before the old primary
 *   is demoted is not taken.
 *   another product: the same planned switchover with the database declared as product "other", read
 *   through a DBA's check command (support/postgresql-check-command.sh, psql against the same servers);
 *   a check command that prints something else than the agreed JSON is refused with its message.
 */
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import type { Environment } from '../../model/environment-schema';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { databasePairsOf, type DatabasePairRef } from '../../pairs/database/database-driver';
import { executeSwitchover, type SwitchoverOutcome } from '../../switchover/execute-switchover';
import { POSTGRESQL_PORT as PORT, PostgresqlSites, postgresUser, startWriter } from './support/postgresql-sites';
import { buildTwoDatacenters, cutLink, namespacesAvailable, restoreLink, setSeatReachable, tearDownAll } from './support/two-datacenters';
import { sleep } from './support/timing';

jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
const SWITCHOVER = { user: 'hsa_switchover', password: 'drill-only-password' };

/** The demo's core-zone database servers, with the DBA's steps the switchover waits for. */
class Databases extends PostgresqlSites {
  constructor(
    work: string,
    readonly pair: DatabasePairRef,
  ) {
    super(work, { A: pair.address.A.host, B: pair.address.B.host });
  }

  /** The DBA's set-up: a primary at A, a streaming standby at B (pg_basebackup -R over the link). */
  async setUp(streaming: boolean): Promise<void> {
    this.run('A', 'initdb', ['-D', this.dir('A'), '-A', 'trust', '--data-checksums', '-U', 'postgres']);
    // Drill-only access rules: the seat and the other datacenter connect without a password; the switchover's role with one.
    // pg_rewind reads the old primary's WAL back to the last common checkpoint: keep it (DBAs archive it
    // or keep it; without, pg_rewind stops at a recycled segment, as this drill found).
    this.writeDataFile('A', 'postgresql.conf', 'wal_keep_size = 256MB\n', 'a');
    this.writeDataFile('A', 'pg_hba.conf', ['local all all trust', `host all ${SWITCHOVER.user} 0.0.0.0/0 scram-sha-256`, 'host all all 0.0.0.0/0 trust', 'host replication all 0.0.0.0/0 trust', ''].join('\n'));
    this.start('A');
    await this.waitUp('A');
    await this.sql('A', `CREATE ROLE ${SWITCHOVER.user} LOGIN PASSWORD '${SWITCHOVER.password}' IN ROLE pg_monitor`);
    await this.sql('A', 'CREATE TABLE settlement (id bigint PRIMARY KEY, at timestamptz DEFAULT now())');
    this.run('B', 'pg_basebackup', ['-h', this.host.A, '-p', String(PORT), '-U', 'postgres', '-D', this.dir('B'), ...(streaming ? ['-R'] : []), '-X', 'stream']);
    this.start('B');
    await this.waitUp('B');
  }

  /** DBA: demote the old primary (read-only), as the switchover asks. */
  async demote(site: Site): Promise<void> {
    await this.sql(site, 'ALTER SYSTEM SET default_transaction_read_only = on');
    await this.sql(site, 'SELECT pg_reload_conf()');
  }

  async promote(site: Site): Promise<void> {
    await this.sql(site, 'SELECT pg_promote(true, 60)');
  }

  /** DBA: re-point the old primary at the new one (pg_rewind, standby.signal). */
  async repoint(site: Site, to: Site): Promise<void> {
    // pg_rewind reads the new timeline from the new primary's control file, written at its next
    // checkpoint: without one it finds both on timeline 1, rewinds nothing, and the old primary then
    // cannot follow ("new timeline 2 forked off ... before current recovery point", found by this drill).
    await this.sql(to, 'CHECKPOINT');
    await this.stop(site);
    this.run(site, 'pg_rewind', ['--target-pgdata', this.dir(site), '--source-server', `host=${this.host[to]} port=${PORT} user=postgres dbname=postgres`]);
    this.writeDataFile(site, 'postgresql.auto.conf', `primary_conninfo = 'host=${this.host[to]} port=${PORT} user=postgres'\n`);
    this.writeDataFile(site, 'standby.signal', '');
    this.start(site);
    await this.waitUp(site);
  }
}

async function switchover(province: ProvinceModel, journal: string, siteLost?: Site): Promise<SwitchoverOutcome> {
  const lines: string[] = [];
  const outcome = await executeSwitchover({
    province,
    kinds: ['database'],
    to: 'B',
    ...(siteLost ? { siteLost } : {}),
    execute: true,
    journalDir: journal,
    database: SWITCHOVER,
    discardDivergent: false,
    deployer: { describe: () => 'the applications are not part of this drill', deploy: async () => undefined },
    print: (line) => lines.push(line),
    timeouts: { caughtUpSeconds: 20 },
  });
  console.log(`database switchover A -> B${siteLost ? ' (site A lost)' : ''}: ${outcome.status}${'reason' in outcome ? ` (${outcome.reason})` : ''}\n${lines.join('\n')}`);
  return outcome;
}

async function missingAt(db: Databases, site: Site, ids: readonly number[]): Promise<number> {
  const rows = (await db.sql(site, 'SELECT id FROM settlement')) as { id: string }[];
  const present = new Set(rows.map((r) => Number(r.id)));
  return ids.filter((id) => !present.has(id)).length;
}

const available = namespacesAvailable();

const CHECK_COMMAND = join(__dirname, 'support', 'postgresql-check-command.sh');

async function withDatabases(use: (db: Databases, province: ProvinceModel, work: string) => Promise<void>, database?: Environment['middleware']): Promise<void> {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const work = mkdtempSync(join(tmpdir(), 'hsa-database-drill-'));
  const { uid, gid } = postgresUser();
  chownSync(work, uid, gid);
  const env = loadEnvironments(join(ROOT, 'environments'), ['demo'])[0]!.environment;
  const province = resolveProvince('demo', { ...env, activeSite: 'A', ...(database ? { middleware: { ...env.middleware, ...database } } : {}) });
  const [pair] = databasePairsOf(province);
  if (!pair) throw new Error('demo declares no database pair (middleware.database)');
  buildTwoDatacenters({ A: [pair.address.A.host], B: [pair.address.B.host] });
  const db = new Databases(work, pair);
  try {
    await use(db, province, work);
  } finally {
    await db.stopAll().catch(() => undefined);
    await tearDownAll();
    rmSync(work, { recursive: true, force: true });
  }
}

test('planned switchover A -> B: each DBA step checked, 0 acknowledged rows missing at B; the old primary re-pointed follows', async () => {
  await withDatabases(async (db, province, work) => {
    await db.setUp(true);
    const writer = startWriter(db, 'A');
    await sleep(3000);
    const acknowledged = await writer.stop(); // the applications at A are stopped
    const journal = join(work, 'journal-planned');
    expect(await switchover(province, journal)).toMatchObject({ status: 'waiting', reason: expect.stringContaining('still takes writes') });
    // A DBA who promotes B before demoting A (two writable primaries): the switchover does not go on.
    await db.promote('B');
    expect(await switchover(province, journal)).toMatchObject({ status: 'waiting', reason: expect.stringContaining('still takes writes') });
    await db.demote('A');
    expect(await switchover(province, journal)).toMatchObject({ status: 'waiting', reason: expect.stringContaining('does not stream from site B yet') });
    await db.repoint('A', 'B');
    const done = await switchover(province, journal);
    if (done.status !== 'completed') console.log(`postgres at A after the re-point:\n${readFileSync(join(work, 'postgres-A.log'), 'utf8').split('\n').slice(-12).join('\n')}`);
    expect(done.status).toBe('completed');
    const report = done.status === 'completed' ? done.report.pairs[0] : undefined;
    const lost = await missingAt(db, 'B', acknowledged);
    console.log(`database planned A -> B: ${acknowledged.length} rows acknowledged at A, ${lost} missing at B, ${report?.unreplayedBytes} WAL bytes unreplayed when writes stopped`);
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(lost).toBe(0);
    expect(report).toMatchObject({ pair: 'database@core', unreplayedBytes: 0 });
  });
});

test('site loss: the link to A cut mid-write, B promoted by its DBA; the window and the rows missing at B measured', async () => {
  await withDatabases(async (db, province, work) => {
    await db.setUp(true);
    const writer = startWriter(db, 'A');
    await sleep(3000);
    cutLink();
    setSeatReachable('A', false);
    await sleep(2000);
    const journal = join(work, 'journal-site-loss');
    expect(await switchover(province, journal, 'A')).toMatchObject({ status: 'waiting', reason: expect.stringContaining('is still a standby') });
    await db.promote('B');
    const afterPromotion = await switchover(province, journal, 'A');
    // Everything but the old site's re-pointing is done; A is cut off.
    expect(afterPromotion).toMatchObject({ status: 'waiting', reason: expect.stringContaining('does not answer') });
    restoreLink();
    setSeatReachable('A', true);
    const acknowledged = await writer.stop();
    const missing = await missingAt(db, 'B', acknowledged);
    const checked = readFileSync(join(journal, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: string; data?: Record<string, { replayAgeSeconds?: number }> }).find((l) => l.step === 'check');
    const window = checked?.data?.['database@core']?.replayAgeSeconds;
    console.log(`database site loss: ${acknowledged.length} rows acknowledged at A, ${missing} of them missing at B (the RPO); the switchover recorded a window of ${window?.toFixed(1)} s`);
    // The window is the age of B's last replayed transaction when the failover ran: the cut, 2 s before.
    expect(window).toBeGreaterThan(1.5);
    expect(window).toBeLessThan(30);
  });
});

test('fails with a broken configuration: a standby that does not stream is refused at the check', async () => {
  await withDatabases(async (db, province, work) => {
    await db.setUp(false);
    const outcome = await switchover(province, join(work, 'journal-broken'));
    expect(outcome).toMatchObject({ status: 'refused', reason: expect.stringContaining('is not a standby') });
  });
});

test('another product, read through its DBA\'s check command: the same planned switchover, each step checked, 0 rows missing at B', async () => {
  await withDatabases(
    async (db, province, work) => {
      await db.setUp(true);
      const writer = startWriter(db, 'A');
      await sleep(3000);
      const acknowledged = await writer.stop();
      const journal = join(work, 'journal-other');
      expect(await switchover(province, journal)).toMatchObject({ status: 'waiting', reason: expect.stringContaining("with PostgreSQL via a DBA's check command's own tool") });
      await db.demote('A');
      expect(await switchover(province, journal)).toMatchObject({ status: 'waiting', reason: expect.stringContaining('is still a standby') });
      await db.promote('B');
      expect(await switchover(province, journal)).toMatchObject({ status: 'waiting', reason: expect.stringContaining('does not stream from site B yet') });
      await db.repoint('A', 'B');
      const done = await switchover(province, journal);
      expect(done.status).toBe('completed');
      const lost = await missingAt(db, 'B', acknowledged);
      console.log(`database (product "other", check command) planned A -> B: ${acknowledged.length} rows acknowledged at A, ${lost} missing at B`);
      expect(acknowledged.length).toBeGreaterThan(100);
      expect(lost).toBe(0);
      expect(done.status === 'completed' ? done.report.pairs[0] : undefined).toMatchObject({ pair: 'database@core', unreplayedBytes: 0 });
    },
    { database: { product: 'other', name: "PostgreSQL via a DBA's check command", port: PORT, check: { command: [CHECK_COMMAND] } } },
  );
});

test('fails with a broken check command: output that is not the agreed JSON is refused, naming the command and the field', async () => {
  await withDatabases(
    async (db, province, work) => {
      await db.setUp(true);
      const outcome = await switchover(province, join(work, 'journal-broken-command'));
      expect(outcome).toMatchObject({ status: 'refused', reason: expect.stringMatching(/check command \(\/bin\/echo\) .* printed role that does not fit/) });
    },
    { database: { product: 'other', name: 'a vendor database', port: PORT, check: { command: ['/bin/echo', '{"role": "leader", "position": 1}'] } } },
  );
});
