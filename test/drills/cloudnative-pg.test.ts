/**
 * CloudNativePG DR pair drill (#15), with CloudNativePG's own code as the judge (conformance/cloudnative-pg.ts,
 * built from the operator's module at the version the toolkit deploys) and real PostgreSQL servers:
 *
 * - the promotion token: a primary and a streaming standby (Debian's PostgreSQL, loopback). The primary
 *   takes writes and is demoted as CloudNativePG demotes it (a clean shutdown); CloudNativePG's code
 *   makes its demotion token from its pg_controldata and, as its instance manager does before promoting,
 *   checks the standby's pg_controldata after a CHECKPOINT against it. A standby that has replayed
 *   everything is promotable, and after the promotion it holds every acknowledged row; a standby whose
 *   replay was paused before the last writes is refused, and promotable once it catches up.
 * - the admission webhooks: every Cluster of a CloudNativePG province (ningxia) as synthesized with either
 *   site active, the update a deploy sends after a switchover, and the Clusters after the exact patches the
 *   switchover prints (pairs/database/database-member.ts, with the token above). A broken Cluster is refused.
 *
 * The operator itself does not run here (it needs a Kubernetes cluster): what its pods would do between
 * these steps is not drilled.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresqlBin, stop } from '../../backup/restore-verify';
import { admitClusters, cloudNativePgTool, demotionToken, promotionRefusal, type AdmissionOperation } from '../../conformance/cloudnative-pg';
import { resolveProvince } from '../../model/platform-model';
import { databasePairsOf } from '../../pairs/database/database-driver';
import { loadEnvironment, synthesizeStacks, type SynthesizedStack } from '../support/fixtures';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const PORTS = { primary: 15_440, standby: 15_441 } as const;
let tool: string;
let work: string;
const servers: ChildProcess[] = [];
const dataDirs: string[] = [];
let token: string | undefined;

beforeAll(() => {
  const started = Date.now();
  tool = cloudNativePgTool(join(ROOT, '.cache', 'tools'));
  console.log(`CloudNativePG's checks: ${tool} (${((Date.now() - started) / 1000).toFixed(1)} s, built once per operator version)`);
  work = mkdtempSync(join(tmpdir(), 'hsa-cnpg-drill-'));
}, 45 * 60_000);

afterAll(async () => {
  // Whatever a failed test left running: an immediate stop of each server, then its process.
  for (const dir of dataDirs) spawnSync('runuser', ['-u', 'postgres', '--', join(bin(), 'pg_ctl'), 'stop', '-D', dir, '-m', 'immediate', '-w'], { stdio: 'ignore', timeout: 30_000 });
  for (const server of servers) await stop(server);
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- PostgreSQL on loopback

const bin = () => postgresqlBin();
const asPostgres = (program: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(bin(), program), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
const sql = (port: number, statement: string, db = 'hsa') => asPostgres('psql', ['-h', join(work, 'sockets'), '-p', String(port), '-d', db, '-At', '-v', 'ON_ERROR_STOP=1', '-c', statement]).trim();
const controldata = (dir: string) => asPostgres('pg_controldata', [dir]);

function start(dir: string, port: number): ChildProcess {
  dataDirs.push(dir);
  const child = spawn('runuser', ['-u', 'postgres', '--', join(bin(), 'postgres'), '-D', dir, '-p', String(port), '-k', join(work, 'sockets'), '-c', 'listen_addresses=127.0.0.1'], { stdio: 'ignore' });
  servers.push(child);
  return child;
}

async function ready(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (spawnSync(join(bin(), 'pg_isready'), ['-h', join(work, 'sockets'), '-p', String(port)], { stdio: 'ignore' }).status !== 0) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL on ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A clean fast shutdown, with its shutdown checkpoint (how CloudNativePG demotes a primary), then the process is gone. */
async function shutDown(dir: string, child: ChildProcess): Promise<void> {
  asPostgres('pg_ctl', ['stop', '-D', dir, '-m', 'fast', '-w', '-t', '60']);
  await stop(child);
}

/** A primary with a database, and a standby streaming from it (as CloudNativePG's replica cluster does). */
async function primaryAndStandby(name: string): Promise<{ primaryDir: string; standbyDir: string; primary: ChildProcess; standby: ChildProcess }> {
  const base = join(work, name);
  mkdirSync(join(work, 'sockets'), { recursive: true });
  mkdirSync(base, { recursive: true });
  execFileSync('chown', ['-R', 'postgres:postgres', work]);
  const primaryDir = join(base, 'primary');
  const standbyDir = join(base, 'standby');
  asPostgres('initdb', ['-D', primaryDir, '-A', 'trust', '--data-checksums', '-U', 'postgres']);
  writeFileSync(join(primaryDir, 'pg_hba.conf'), ['local all all trust', 'host replication postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 trust', ''].join('\n'));
  chownSync(join(primaryDir, 'pg_hba.conf'), Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const primary = start(primaryDir, PORTS.primary);
  await ready(PORTS.primary);
  sql(PORTS.primary, 'CREATE DATABASE hsa', 'postgres');
  sql(PORTS.primary, 'CREATE TABLE settlement (id bigint PRIMARY KEY, amount numeric(12,2))');
  asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(PORTS.primary), '-U', 'postgres', '-D', standbyDir, '-R', '-X', 'stream', '--checkpoint=fast']);
  const standby = start(standbyDir, PORTS.standby);
  await ready(PORTS.standby);
  return { primaryDir, standbyDir, primary, standby };
}

/** Acknowledged writes: each INSERT returns only once the primary committed it. */
function write(from: number, count: number): void {
  sql(PORTS.primary, `INSERT INTO settlement SELECT n, n * 1.5 FROM generate_series(${from}, ${from + count - 1}) n`);
}

const state = (pgControldata: string) => /Database cluster state:\s*(.+)/.exec(pgControldata)?.[1]?.trim();

// ---------------------------------------------------------------- the promotion token

test("CloudNativePG's promotion token: a standby that replayed everything is promotable and loses nothing; one behind is refused until it catches up", async () => {
  // Caught up: the demoted primary's shutdown checkpoint reaches the standby before it exits.
  const caught = await primaryAndStandby('caught-up');
  write(1, 5000);
  await shutDown(caught.primaryDir, caught.primary);
  const demoted = controldata(caught.primaryDir);
  expect(state(demoted)).toBe('shut down');
  token = demotionToken(tool, demoted);
  sql(PORTS.standby, 'CHECKPOINT');
  const refusal = promotionRefusal(tool, token, controldata(caught.standbyDir));
  console.log(`caught-up standby: ${refusal ?? 'promotable'}`);
  expect(refusal).toBeUndefined();
  sql(PORTS.standby, 'SELECT pg_promote()');
  const rows = Number(sql(PORTS.standby, 'SELECT count(*) FROM settlement'));
  console.log(`promoted with the token: ${rows} of 5000 acknowledged rows`);
  expect(rows).toBe(5000);
  await shutDown(caught.standbyDir, caught.standby);

  // A token from a primary that is still running is not made (the operator waits for the shutdown).
  const behind = await primaryAndStandby('behind');
  write(1, 1000);
  expect(() => demotionToken(tool, controldata(behind.primaryDir))).toThrow(/expected postmaster to be shut down/);
  // Behind: the standby's replay is paused before the last writes.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  sql(PORTS.standby, 'SELECT pg_wal_replay_pause()');
  write(1001, 4000);
  await shutDown(behind.primaryDir, behind.primary);
  const behindToken = demotionToken(tool, controldata(behind.primaryDir));
  sql(PORTS.standby, 'CHECKPOINT');
  const early = promotionRefusal(tool, behindToken, controldata(behind.standbyDir));
  console.log(`standby paused behind the demoted primary: ${early ?? 'promotable'}`);
  expect(early).toBeDefined();
  sql(PORTS.standby, 'SELECT pg_wal_replay_resume()');
  const deadline = Date.now() + 30_000;
  let later = promotionRefusal(tool, behindToken, controldata(behind.standbyDir));
  while (later !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    sql(PORTS.standby, 'CHECKPOINT');
    later = promotionRefusal(tool, behindToken, controldata(behind.standbyDir));
  }
  expect(later).toBeUndefined();
  sql(PORTS.standby, 'SELECT pg_promote()');
  expect(Number(sql(PORTS.standby, 'SELECT count(*) FROM settlement'))).toBe(5000);
  await shutDown(behind.standbyDir, behind.standby);
});

// ---------------------------------------------------------------- the admission webhooks

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> };

/** The Cluster of a stack as the API server receives it (the namespace resolved, as Terraform does). */
function clusterOf(stack: SynthesizedStack): Manifest {
  const [found] = Object.values(stack.resource.kubernetes_manifest ?? {}).filter((m) => (m.manifest as { kind: string }).kind === 'Cluster');
  const manifest = JSON.parse(JSON.stringify(found!.manifest)) as Manifest;
  return { ...manifest, metadata: { ...manifest.metadata, namespace: 'hsa-middleware' } };
}

/** A JSON merge patch (RFC 7386), as `kubectl patch --type merge` applies it. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** The patch inside a printed `kubectl ... patch ... -p '<json>'` instruction. */
const printedPatch = (instruction: string) => JSON.parse(/-p '(\{.*?\})'/.exec(instruction)![1]!) as object;

test("CloudNativePG's webhooks admit the Clusters as synthesized, the deploy after a switchover and the switchover's patches; a broken Cluster is refused", () => {
  expect(token).toBeDefined();
  const ningxia = loadEnvironment('ningxia');
  const [a, b] = [synthesizeStacks([ningxia]), synthesizeStacks([ningxia], { activeSite: 'B' })];
  const cluster = (stacks: Map<string, SynthesizedStack>, site: 'a' | 'b') => clusterOf(stacks.get(`ningxia-core-${site}`)!);
  const [pair] = databasePairsOf(resolveProvince('ningxia', ningxia.environment));
  const planned = { from: 'A', to: 'B', siteLost: false, newPrimary: '10.65.2.40' } as const;
  const demoted = mergePatch(cluster(a, 'a'), printedPatch(pair!.probe.dba.demote(planned)));
  const promoted = mergePatch(cluster(a, 'b'), JSON.parse(JSON.stringify(printedPatch(pair!.probe.dba.promote(planned))).replace('<the token>', token!)));
  const lostPromoted = mergePatch(cluster(a, 'b'), printedPatch(pair!.probe.dba.promote({ ...planned, siteLost: true })));
  const operations: AdmissionOperation[] = [
    { name: 'create hsa-db-a, A active', object: cluster(a, 'a') },
    { name: 'create hsa-db-b, A active', object: cluster(a, 'b') },
    { name: 'create hsa-db-a, B active', object: cluster(b, 'a') },
    { name: 'create hsa-db-b, B active', object: cluster(b, 'b') },
    { name: 'switchover: demote hsa-db-a (printed patch)', old: cluster(a, 'a'), object: demoted },
    { name: 'switchover: promote hsa-db-b with the demotion token (printed patch)', old: cluster(a, 'b'), object: promoted },
    { name: 'site lost: promote hsa-db-b without a token (printed patch)', old: cluster(a, 'b'), object: lostPromoted },
    { name: 'deploy site B after the switchover', old: promoted, object: cluster(b, 'b') },
    { name: 'deploy site A after the switchover', old: demoted, object: cluster(b, 'a') },
  ];
  const results = admitClusters(tool, operations);
  for (const r of results) console.log(`${r.name}: ${r.errors.length === 0 ? 'admitted' : `REFUSED ${r.errors.join('; ')}`}${r.warnings.length ? ` (warnings: ${r.warnings.join('; ')})` : ''}`);
  expect(results.map((r) => [r.name, r.errors])).toEqual(operations.map((o) => [o.name, []]));

  // Broken: a token on a Cluster that is still a replica; a source no external cluster names; a forged token.
  const broken = admitClusters(tool, [
    { name: 'token on a replica', old: cluster(a, 'b'), object: mergePatch(cluster(a, 'b'), { spec: { replica: { promotionToken: token } } }) },
    { name: 'unknown source', object: mergePatch(cluster(a, 'b'), { spec: { replica: { source: 'hsa-db-c' } } }) },
    { name: 'forged token', old: cluster(a, 'b'), object: mergePatch(cluster(a, 'b'), { spec: { replica: { primary: 'hsa-db-b', promotionToken: Buffer.from('{"operatorVersion":"1.30.0"}').toString('base64') } } }) },
  ]);
  for (const r of broken) console.log(`broken, ${r.name}: ${r.errors.join('; ') || 'ADMITTED'}`);
  expect(broken.map((r) => r.errors.join('; '))).toEqual([
    expect.stringContaining('promotionToken is only allowed for primary clusters'),
    expect.stringContaining('External cluster hsa-db-c not found'),
    expect.stringContaining('Invalid promotionToken content'),
  ]);
});
