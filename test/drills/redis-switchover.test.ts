/**
 * Redis switchover drill (容灾切换演练) against real redis-server processes on loopback.
 *
 * Two servers per DR pair stand in for the core zone's Redis at datacenter A and B, configured with
 * exactly what the toolkit synthesizes for the demo province (the helm values' redis.conf parts, VIPs
 * mapped to loopback ports). The drill writes 10,000 keys at the active site, checks every key at the
 * standby, then carries out the steps of `planSwitchover` (the runbook) in order: a "deploy" restarts a
 * server with the configuration synthesized for the new active site. It ends by writing at the new
 * active site and checking that no key was lost and the old active site follows the new one.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { resolveProvince } from '../../model/platform-model';
import { planSwitchover, type PairRef } from '../../model/switchover';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { replicationInfo, type RespClient } from '../../switchover/resp-client';
import { startRedis, stopAll, stopRedis, waitUntil, type RedisServer } from './support/redis-server';

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const KEYS = 10_000;
const PASSWORD = 'drill-only-password';
const ZONE = 'core';
const ROLES = ['redis-cache', 'redis-session'] as const;
type Role = (typeof ROLES)[number];

const work = mkdtempSync(join(tmpdir(), 'redis-drill-'));
const servers = new Map<string, RedisServer>();
const serverKey = (role: Role, site: Site) => `${role}@${site}`;
/** Loopback port standing in for each site's Redis VIP. */
const portOf = new Map<string, number>();

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

/** The redis.conf parts the toolkit synthesized for one site's primary, with `activeSite` as given. */
function synthesizedConfiguration(activeSite: Site, role: Role, site: Site): string {
  const outdir = mkdtempSync(join(work, `synth-${activeSite}-`));
  buildPlatformApp(outdir, loadEnvironments(ENVIRONMENTS, ['demo']), { activeSite }).synth();
  const stack = JSON.parse(readFileSync(join(outdir, 'stacks', `demo-${ZONE}-${site.toLowerCase()}`, 'cdk.tf.json'), 'utf8')) as {
    resource: { helm_release: Record<string, { name: string; values: string[] }> };
  };
  const release = Object.values(stack.resource.helm_release).find((r) => r.name === role)!;
  const values = JSON.parse(release.values[0]!) as { commonConfiguration: string; master: { configuration: string } };
  // Map every site address to its loopback stand-in, e.g. `replicaof 10.10.2.21 6379` -> `replicaof 127.0.0.1 <port>`.
  const conf = `${values.commonConfiguration}\n${values.master.configuration}`;
  return conf.replace(/replicaof (\S+) 6379/g, (_line, host: string) => `replicaof 127.0.0.1 ${portOf.get(host) ?? fail(`no loopback port for ${host}`)}`);
}

function fail(message: string): never {
  throw new Error(message);
}

async function withClient<T>(role: Role, site: Site, use: (client: RespClient) => Promise<T>): Promise<T> {
  const client = await servers.get(serverKey(role, site))!.client();
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

async function start(role: Role, site: Site, activeSite: Site): Promise<void> {
  const dir = join(work, `${role}-${site}`);
  mkdirSync(dir, { recursive: true });
  const port = portOf.get(`${role}@${site}:port`)!;
  servers.set(serverKey(role, site), await startRedis(dir, port, synthesizedConfiguration(activeSite, role, site), PASSWORD));
}

async function restartAs(role: Role, site: Site, activeSite: Site): Promise<void> {
  await stopRedis(servers.get(serverKey(role, site))!);
  await start(role, site, activeSite);
}

async function writeKeys(role: Role, site: Site, prefix: string, count: number): Promise<void> {
  await withClient(role, site, async (client) => {
    for (let offset = 0; offset < count; offset += 1000) {
      const batch = Array.from({ length: Math.min(1000, count - offset) }, (_, i) => ['SET', `${prefix}:${offset + i}`, `value-${offset + i}`]);
      const replies = await client.pipeline(batch);
      const failed = replies.filter((r) => r !== 'OK');
      if (failed.length > 0) throw new Error(`writes at ${site} failed: ${String(failed[0])}`);
    }
  });
}

/** Keys of `prefix:0..count-1` missing or wrong at a site. */
async function missingKeys(role: Role, site: Site, prefix: string, count: number): Promise<number> {
  return withClient(role, site, async (client) => {
    let missing = 0;
    for (let offset = 0; offset < count; offset += 1000) {
      const keys = Array.from({ length: Math.min(1000, count - offset) }, (_, i) => `${prefix}:${offset + i}`);
      const values = (await client.call('MGET', ...keys)) as (string | null)[];
      values.forEach((v, i) => {
        if (v !== `value-${offset + i}`) missing++;
      });
    }
    return missing;
  });
}

async function caughtUp(role: Role, primary: Site, replica: Site): Promise<void> {
  await waitUntil(
    async () => {
      const source = await withClient(role, primary, replicationInfo);
      const follower = await withClient(role, replica, replicationInfo);
      return follower.master_link_status === 'up' && follower.slave_repl_offset === source.master_repl_offset;
    },
    30_000,
    `${role} at site ${replica} did not catch up with site ${primary}`,
  );
}

test('switchover A -> B of the demo core zone Redis pairs loses no key, then fails back', async () => {
  const env = loadEnvironments(ENVIRONMENTS, ['demo']);
  const provinceA = resolveProvince('demo', env[0]!.environment);
  let nextPort = 26379 + (process.pid % 500) * 4;
  for (const role of ROLES) {
    for (const site of ['A', 'B'] as const) {
      const vip = provinceA.units.find((u) => u.zone === ZONE && u.site === site)!.middlewareVips[role]!;
      portOf.set(vip, nextPort);
      portOf.set(`${role}@${site}:port`, nextPort);
      nextPort++;
    }
  }
  const report: Record<string, number | string> = {};

  for (const role of ROLES) {
    await start(role, 'A', 'A');
    await start(role, 'B', 'A');
    await writeKeys(role, 'A', 'before', KEYS);
    await caughtUp(role, 'A', 'B');
    report[`${role}: keys written at A`] = KEYS;
    report[`${role}: keys missing at standby B before switchover`] = await missingKeys(role, 'B', 'before', KEYS);
    expect(report[`${role}: keys missing at standby B before switchover`]).toBe(0);
  }

  // Carry out the runbook, step by step, for the Redis pairs of the drilled zone.
  const drilled = (pair: PairRef) => pair.zone === ZONE && (ROLES as readonly string[]).includes(pair.role);
  const runbook = async (from: Site, to: Site, province = provinceA) => {
    const executed: string[] = [];
    for (const step of planSwitchover(province, to).steps) {
      switch (step.kind) {
        case 'freeze-writes':
          break; // the drill writes nothing from here on until the switchover is done
        case 'check-caught-up':
          if (drilled(step.pair)) await caughtUp(step.pair.role as Role, from, to);
          break;
        case 'promote':
          if (drilled(step.pair)) expect(await withClient(step.pair.role as Role, to, (c) => c.call('REPLICAOF', 'NO', 'ONE'))).toBe('OK');
          break;
        case 'deploy':
          if (step.stacks.includes(`demo-${ZONE}-${step.site.toLowerCase()}`)) for (const role of ROLES) await restartAs(role, step.site, to);
          break;
        case 'wait-for-site':
          break; // site `from` is up in the drill
        case 'verify-following':
          if (drilled(step.pair)) {
            const role = step.pair.role as Role;
            await waitUntil(async () => (await withClient(role, from, replicationInfo)).master_link_status === 'up', 30_000, `${role} at ${from} does not follow ${to}`);
            const info = await withClient(role, from, replicationInfo);
            expect([info.role, info.master_port]).toEqual(['slave', String(portOf.get(`${role}@${to}:port`))]);
          }
          break;
      }
      executed.push(step.kind);
    }
    return executed;
  };

  const steps = await runbook('A', 'B');
  expect(steps).toEqual(expect.arrayContaining(['check-caught-up', 'promote', 'deploy', 'verify-following']));
  for (const role of ROLES) {
    expect((await withClient(role, 'B', replicationInfo)).role).toBe('master');
    await writeKeys(role, 'B', 'after', 1000);
    await caughtUp(role, 'B', 'A');
    const lost = (await missingKeys(role, 'A', 'before', KEYS)) + (await missingKeys(role, 'A', 'after', 1000)) + (await missingKeys(role, 'B', 'before', KEYS));
    report[`${role}: keys written at B after switchover`] = 1000;
    report[`${role}: keys lost`] = lost;
    expect(lost).toBe(0);
  }

  // Fail back B -> A with the same runbook, from a province whose active site is now B.
  const provinceB = resolveProvince('demo', env[0]!.environment, { activeSite: 'B' });
  await runbook('B', 'A', provinceB);
  for (const role of ROLES) {
    const lost = (await missingKeys(role, 'A', 'before', KEYS)) + (await missingKeys(role, 'A', 'after', 1000)) + (await missingKeys(role, 'B', 'after', 1000));
    report[`${role}: keys lost after failback`] = lost;
    expect(lost).toBe(0);
    expect((await withClient(role, 'B', replicationInfo)).role).toBe('slave');
  }

  console.log(`Redis switchover drill (demo, ${ZONE} zone):\n${Object.entries(report).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});
