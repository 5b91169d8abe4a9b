/**
 * Losing a datacenter, with real redis-server in two network namespaces (datacenter A and B, joined by a
 * veth link the drill cuts), every Redis pair of the demo province started as bitnami/redis starts it
 * from exactly the synthesized values (support/chart-redis.ts), and the switchover executed by
 * `executeSwitchover` (what `npm run switchover -- --execute` runs) with a deployer that applies the
 * synthesized values of the stacks it deploys to these servers.
 *
 *   (a) planned switchover A -> B under a steady writer at A: 0 acknowledged writes lost;
 *   (c) failback B -> A under a writer at B: 0 lost;
 *   (b) site loss: the link to A is cut mid-write; B notices within the replication timeout; failover
 *       to B with --site-lost A; A keeps acknowledging writes (split brain) until it crashes (kill -9);
 *       it comes back with its old configuration and takes no write (its start-up gate fences it); the
 *       resumed switchover finds exactly the writes only A holds, saves them, refuses to re-point A
 *       until they are acknowledged, then re-points it.
 * Each broken configuration (no append-only file, a writable standby, no fencing gate, the default
 * replication timeout) runs the site-loss drill again, and the drill must fail.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments, type LoadedEnvironment } from '../../model/load-environment';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { executeSwitchover, InjectedFault, type Deployer, type SwitchoverOutcome } from '../../switchover/execute-switchover';
import { redisPairsOf, type RedisPairRef } from '../../pairs/redis/redis-driver';
import { replicationState, withRedis, type RedisTarget } from '../../pairs/redis/redis-member';
import { RespClient } from '../../pairs/redis/resp-client';
import { issueSiteCertificates, type SiteCertificates } from './support/certificates';
import { startChartRedis, stopChartRedis, type ChartRedis, type RedisReleaseValues } from './support/chart-redis';
import { sleep, waitFor } from './support/timing';
import { expectCompleted } from './support/switchover-outcome';
import { buildTwoDatacenters, cutLink, namespacesAvailable, restoreLink, setSeatReachable, startWriterProcess, tearDownAll } from './support/two-datacenters';
import { terraformLiteralText } from '../../synthesized/terraform-literal';

jest.setTimeout(600_000);

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const PASSWORD = 'drill-only-password';
const WRITES_PER_SECOND = 100;

type Mutation = 'none' | 'no-aof' | 'writable-standby' | 'no-fencing' | 'no-fence-marker' | 'no-lag-bound' | 'default-repl-timeout' | 'no-tls';

/** A test helper that breaks the synthesized values on purpose: each drill must then fail. */
function perturb(values: RedisReleaseValues, mutation: Mutation): RedisReleaseValues {
  switch (mutation) {
    case 'none':
      return values;
    case 'no-aof':
      return { ...values, commonConfiguration: values.commonConfiguration.replace('appendonly yes', 'appendonly no') };
    case 'writable-standby':
      return { ...values, master: { ...values.master, configuration: values.master.configuration.replace('replica-read-only yes', 'replica-read-only no') } };
    case 'no-fencing':
      return { ...values, master: { configuration: values.master.configuration } };
    case 'no-fence-marker':
      // The gate without its look into the server's own data: only the other site's answer fences.
      return { ...values, master: { ...values.master, ...(values.master.preExecCmds ? { preExecCmds: values.master.preExecCmds.map((gate) => gate.replace(/^if \[ -n "\$HSA_DR_DIR" \][\s\S]*?\nelif /m, 'if ')) } : {}) } };
    case 'no-lag-bound':
      return { ...values, master: { ...values.master, configuration: values.master.configuration.replace(/^min-replicas-(to-write|max-lag) .*\n/gm, '') } };
    case 'default-repl-timeout':
      return { ...values, commonConfiguration: values.commonConfiguration.replace(/^repl-(timeout|ping-replica-period) .*\n/gm, '') };
    case 'no-tls': {
      // Plaintext listener and replication: the datacenter link would carry the data in clear.
      const { tls: _dropped, ...rest } = values;
      return { ...rest, commonConfiguration: values.commonConfiguration.replace('tls-replication yes\n', '') };
    }
  }
}

/** The synthesized values of every Redis release, by active site and `<site>/<address>`. */
function synthesizedRedisValues(work: string, loaded: readonly LoadedEnvironment[]): Map<string, RedisReleaseValues> {
  const values = new Map<string, RedisReleaseValues>();
  for (const activeSite of ['A', 'B'] as const) {
    const outdir = join(work, `synth-${activeSite}`);
    buildPlatformApp(outdir, loaded, { activeSite }).synth();
    for (const stack of readdirSync(join(outdir, 'stacks'))) {
      const json = JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'))) as { resource: { helm_release: Record<string, { chart: string; values: string[] }> } };
      for (const release of Object.values(json.resource.helm_release).filter((r) => r.chart === 'redis')) {
        const v = JSON.parse(release.values[0]!) as RedisReleaseValues & { master: { service: { loadBalancerIP: string } } };
        values.set(`${activeSite}/${v.master.service.loadBalancerIP}`, {
          commonConfiguration: v.commonConfiguration,
          ...(v.tls ? { tls: v.tls } : {}),
          master: { configuration: v.master.configuration, ...(v.master.preExecCmds ? { preExecCmds: v.master.preExecCmds } : {}) },
        });
      }
    }
  }
  return values;
}

class Datacenters {
  readonly servers = new Map<string, { server: ChartRedis; values: RedisReleaseValues }>();
  constructor(
    readonly work: string,
    readonly province: ProvinceModel,
    readonly pairs: readonly RedisPairRef[],
    readonly synthesized: Map<string, RedisReleaseValues>,
    readonly mutation: Mutation,
    /** Each site's Redis TLS Secret (one CA, a certificate per site naming its Redis addresses). */
    readonly certificates: Record<Site, SiteCertificates>,
  ) {}

  /** The CA the clients verify the servers with (`ca.crt` of the Secret, the same at both sites). */
  get ca(): Buffer {
    return readFileSync(this.certificates.A.ca);
  }

  target(address: string): RedisTarget {
    return { host: address, port: 6379, password: PASSWORD, tls: { ca: this.ca } };
  }

  /** Starts (or restarts, if its values changed) the server at `address` with the values for `activeSite`. */
  async apply(site: Site, address: string, activeSite: Site, always = false): Promise<void> {
    const values = perturb(this.synthesized.get(`${activeSite}/${address}`)!, this.mutation);
    const running = this.servers.get(address);
    if (running && !always && JSON.stringify(running.values) === JSON.stringify(values)) return;
    if (running) await stopChartRedis(running.server, 'SIGTERM');
    const server = startChartRedis(site, address, join(this.work, 'data', address), values, PASSWORD, this.certificates[site].dir);
    this.servers.set(address, { server, values });
    try {
      let lastAnswer = '';
      const answer = (reply: unknown) => (lastAnswer = reply instanceof Error ? reply.message : String(reply));
      await waitFor(async () => answer(await withRedis(this.target(address), (c) => c.call('PING')).catch((e: Error) => e)) === 'PONG', 15, `redis at ${address} (site ${site}) did not start`).catch((e: Error) => {
        throw new Error(`${e.message} (last answer: ${lastAnswer})`);
      });
      if (await answersPlaintext(address)) throw new Error(`redis at ${address} (site ${site}) answers plaintext on 6379: the datacenter link would carry its data in clear`);
    } catch (error) {
      if (await answersPlaintext(address)) throw new Error(`redis at ${address} (site ${site}) answers plaintext on 6379 and not TLS: the datacenter link would carry its data in clear`);
      const log = (() => {
        try {
          return readFileSync(join(this.work, 'data', address, 'redis.log'), 'utf8').split('\n').slice(-8).join('\n');
        } catch {
          return '(no log)';
        }
      })();
      throw new Error(`${(error as Error).message}\nstart output: ${server.startOutput()}\nlog:\n${log}`);
    }
  }

  async crash(address: string): Promise<void> {
    await stopChartRedis(this.servers.get(address)!.server, 'SIGKILL');
  }

  /** The deployer the switchover uses: each stack's synthesized Redis values applied to its servers. */
  deployer(): Deployer {
    return {
      describe: (stacks, activeSite) => `apply the synthesized Redis values of ${stacks.join(', ')} (active site ${activeSite}) to the drill's servers`,
      deploy: async (stacks, activeSite) => {
        for (const stack of stacks) {
          const site = stack.endsWith('-a') ? 'A' : 'B';
          const zone = stack.includes('-core-') ? 'core' : 'public';
          for (const pair of this.pairs.filter((p) => p.zone === zone)) await this.apply(site, pair.address[site], activeSite);
        }
      },
    };
  }
}

interface WriterRun {
  readonly stop: () => Promise<void>;
  /** Acknowledged writes per server address, with their times. */
  readonly acknowledged: () => Map<string, { n: number; at: number }[]>;
}

function startWriter(work: string, caFile: string, site: Site, addresses: readonly string[], prefix: string): WriterRun {
  const writer = startWriterProcess(site, join(__dirname, 'support', 'steady-writer.ts'), join(work, `writer-${prefix}.log`), join(work, `writer-${prefix}.stop`), [
    PASSWORD,
    caFile,
    String(WRITES_PER_SECOND),
    '120',
    prefix,
    ...addresses.map((a) => `${a}:6379`),
  ]);
  return {
    stop: writer.stop,
    acknowledged: () => {
      const byServer = new Map<string, { n: number; at: number }[]>();
      for (const line of writer.lines()) {
        const [server, n, status, at] = line.split(' ');
        if (status !== 'ok') continue;
        const address = server!.split(':')[0]!;
        if (!byServer.has(address)) byServer.set(address, []);
        byServer.get(address)!.push({ n: Number(n), at: Number(at) });
      }
      return byServer;
    },
  };
}

/** Whether a server answers Redis commands without TLS (a reply, even NOAUTH, is an answer). */
async function answersPlaintext(address: string): Promise<boolean> {
  try {
    const client = await RespClient.connect(6379, address, 1000);
    try {
      const [reply] = await client.pipeline([['PING']]);
      return reply === 'PONG' || (reply instanceof Error && /^(NOAUTH|ERR|WRONGPASS)/.test(reply.message));
    } finally {
      client.close();
    }
  } catch {
    return false;
  }
}

/** Of the keys `<prefix>:<n>` given, how many a server does not hold. */
async function missingAt(target: RedisTarget, prefix: string, ns: readonly number[]): Promise<number> {
  return (await missingNumbers(target, prefix, ns)).length;
}

/** The writes (by number) that `target` does not hold with their value. */
async function missingNumbers(target: RedisTarget, prefix: string, ns: readonly number[]): Promise<number[]> {
  return withRedis(target, async (client) => {
    const missing: number[] = [];
    for (let i = 0; i < ns.length; i += 1000) {
      const batch = ns.slice(i, i + 1000);
      const values = (await client.call('MGET', ...batch.map((n) => `${prefix}:${n}`))) as (string | null)[];
      values.forEach((v, j) => {
        if (v !== String(batch[j])) missing.push(batch[j]!);
      });
    }
    return missing;
  });
}

async function writeRefused(target: RedisTarget): Promise<string | undefined> {
  return withRedis(target, async (client) => {
    const [reply] = await client.pipeline([['SET', 'hsa-drill:probe', '1']]);
    return reply instanceof Error ? reply.message : undefined;
  });
}

/** Builds both datacenters with every Redis pair running as synthesized for site A active. */
/**
 * The two datacenters with every Redis pair of the demo as synthesized. `maxLagSeconds`: the demo with
 * that RPO bound on both Redis pairs and no local read replicas (the drill runs each site's primary
 * only, so the other site's server is the one replica the bound counts).
 */
async function setUp(mutation: Mutation, work: string, options: { maxLagSeconds?: number } = {}): Promise<Datacenters> {
  const [demo] = loadEnvironments(ENVIRONMENTS, ['demo']);
  const bound = options.maxLagSeconds;
  const loaded: LoadedEnvironment =
    bound === undefined
      ? demo!
      : { ...demo!, environment: { ...demo!.environment, middleware: { ...demo!.environment.middleware, redisCache: { replicas: 0, maxLagSeconds: bound }, redisSession: { replicas: 0, maxLagSeconds: bound } } } };
  const province = resolveProvince('demo', loaded.environment);
  const pairs = redisPairsOf(province);
  buildTwoDatacenters({ A: pairs.map((p) => p.address.A), B: pairs.map((p) => p.address.B) });
  const certificates = issueSiteCertificates(work, 'redis', { A: pairs.map((p) => p.address.A), B: pairs.map((p) => p.address.B) });
  const dc = new Datacenters(work, province, pairs, synthesizedRedisValues(work, [loaded]), mutation, certificates);
  for (const pair of pairs) await dc.apply('A', pair.address.A, 'A');
  for (const pair of pairs) await dc.apply('B', pair.address.B, 'A');
  for (const pair of pairs) {
    await waitFor(async () => (await replicationState(dc.target(pair.address.B))).linkUp === true, 20, `${pair.role}@${pair.zone} at B did not start replicating`);
  }
  return dc;
}

/**
 * Runs the switchover as an operator would. With `kills`, the run is killed at every fault point it has
 * not been killed at yet (before and after each step, and between each action and its journal line), and
 * started again on its journal each time, until it ends: the outcome must be what one run gives.
 */
async function switchover(dc: Datacenters, activeSite: Site, to: Site, journal: string, extra: { siteLost?: Site; discardDivergent?: boolean; kills?: Set<string> } = {}): Promise<SwitchoverOutcome> {
  const lines: string[] = [];
  const kills = extra.kills;
  let killed = 0;
  for (;;) {
    try {
      const outcome = await executeSwitchover({
        province: { ...dc.province, activeSite },
        kinds: ['redis'],
        to,
        ...(extra.siteLost ? { siteLost: extra.siteLost } : {}),
        execute: true,
        journalDir: journal,
        redis: { password: PASSWORD, tlsCa: dc.ca },
        discardDivergent: extra.discardDivergent ?? false,
        deployer: dc.deployer(),
        print: (line) => lines.push(line),
        ...(kills ? { killAt: (point: string) => !kills.has(point) && kills.add(point) !== undefined } : {}),
      });
      console.log(`switchover ${activeSite} -> ${to}${extra.siteLost ? ` (site ${extra.siteLost} lost)` : ''}: ${outcome.status}${kills ? ` after ${killed} kills and restarts` : ''}\n${lines.join('\n')}`);
      return outcome;
    } catch (error) {
      if (!(error instanceof InjectedFault)) throw error;
      killed++;
      lines.push(`-- ${error.message}; started again on the journal`);
    }
  }
}

/** Planned switchover under a steady writer at the old site: returns acknowledged writes lost. */
async function plannedSwitchover(dc: Datacenters, from: Site, to: Site): Promise<number> {
  const prefix = `planned-${from}${to}`;
  const writer = startWriter(dc.work, dc.certificates.A.ca, from, dc.pairs.map((p) => p.address[from]), prefix);
  await sleep(2000);
  // The first planned switchover is killed at every fault point and resumed each time.
  const kills = from === 'A' ? new Set<string>() : undefined;
  const outcome = expectCompleted(await switchover(dc, from, to, join(dc.work, `journal-${prefix}`), kills ? { kills } : {}));
  if (kills) expect(kills.size).toBeGreaterThan(20);
  await writer.stop();
  let lost = 0;
  for (const pair of dc.pairs) {
    const acked = writer.acknowledged().get(pair.address[from]) ?? [];
    expect(acked.length).toBeGreaterThan(WRITES_PER_SECOND);
    lost += await missingAt(dc.target(pair.address[to]), prefix, acked.map((a) => a.n));
  }
  console.log(`planned ${from} -> ${to}: RTO ${outcome.report.rtoSeconds.toFixed(1)} s, acknowledged writes lost: ${lost}`);
  return lost;
}

/** (b): site A lost mid-write, failover to B, A back. Throws where a broken configuration shows. */
async function siteLoss(dc: Datacenters): Promise<void> {
  // The standby takes no write of its own.
  for (const pair of dc.pairs) {
    const refused = await writeRefused(dc.target(pair.address.B));
    if (!refused) throw new Error(`${pair.role}@${pair.zone}: the standby at B accepted a write (not read-only)`);
    expect(refused).toMatch(/^READONLY/);
  }

  const prefix = 'site-loss';
  const writer = startWriter(dc.work, dc.certificates.A.ca, 'A', dc.pairs.map((p) => p.address.A), prefix);
  await sleep(2000);
  const cutAt = Date.now();
  cutLink();
  setSeatReachable('A', false);
  // Detection bound: B sees the link down within repl-timeout (10 s), not the default 60 s.
  for (const pair of dc.pairs) {
    await waitFor(async () => (await replicationState(dc.target(pair.address.B))).linkUp === false, 15, `${pair.role}@${pair.zone} at B did not notice the cut`);
  }
  const detectedSeconds = (Date.now() - cutAt) / 1000;

  const journal = join(dc.work, 'journal-site-loss');
  // Every run of the site loss is killed at every fault point and resumed each time.
  const kills = new Set<string>();
  const first = await switchover(dc, 'A', 'B', journal, { siteLost: 'A', kills });
  expect(first.status).toBe('waiting');
  const promotedAt = Date.now();
  // B takes writes now.
  for (const pair of dc.pairs) expect(await writeRefused(dc.target(pair.address.B))).toBeUndefined();
  await sleep(1500); // A, cut off, still acknowledges writes: split brain, bounded by what follows
  await writer.stop();

  const acked = writer.acknowledged();
  const expectedDivergent = new Map<string, number>();
  /** Per pair, when the oldest write acknowledged at A and missing at B was acknowledged. */
  const oldestMissing = new Map<string, number>();
  let lostBeforePromotion = 0;
  for (const pair of dc.pairs) {
    const ackedAtA = acked.get(pair.address.A) ?? [];
    const missing = await missingNumbers(dc.target(pair.address.B), prefix, ackedAtA.map((a) => a.n));
    const missingBefore = await missingAt(dc.target(pair.address.B), prefix, ackedAtA.filter((a) => a.at < promotedAt).map((a) => a.n));
    expectedDivergent.set(`${pair.role}@${pair.zone}`, missing.length);
    const missingSet = new Set(missing);
    const times = ackedAtA.filter((a) => missingSet.has(a.n)).map((a) => a.at);
    if (times.length > 0) oldestMissing.set(`${pair.role}@${pair.zone}`, Math.min(...times));
    lostBeforePromotion += missingBefore;
  }

  // A comes back as a datacenter does after a crash: its servers restart with their deployed values.
  for (const pair of dc.pairs) await dc.crash(pair.address.A);
  restoreLink();
  setSeatReachable('A', true);
  for (const pair of dc.pairs) await dc.apply('A', pair.address.A, 'A', true);
  // What A acknowledged survives its crash (append-only file): the divergence below depends on it.
  for (const pair of dc.pairs) {
    const ackedAtA = (acked.get(pair.address.A) ?? []).map((a) => a.n);
    const lostAtA = await missingAt(dc.target(pair.address.A), prefix, ackedAtA);
    if (lostAtA > 0) throw new Error(`${pair.role}@${pair.zone}: site A lost ${lostAtA} of the ${ackedAtA.length} writes it acknowledged when it crashed`);
  }
  for (const pair of dc.pairs) {
    const refused = await writeRefused(dc.target(pair.address.A));
    if (!refused) throw new Error(`${pair.role}@${pair.zone} at A accepted a write after coming back while B is primary (not fenced)`);
    expect(refused).toMatch(/^NOREPLICAS/);
  }

  const second = await switchover(dc, 'A', 'B', journal, { siteLost: 'A', kills });
  expect(second.status).toBe('refused');

  // The fence holds in any order of events: with the link down again, A restarts with its deployed
  // values; its gate cannot ask B, but A's own data holds the fence marker, so it starts fenced.
  cutLink();
  for (const pair of dc.pairs) await dc.crash(pair.address.A);
  for (const pair of dc.pairs) await dc.apply('A', pair.address.A, 'A', true);
  for (const pair of dc.pairs) {
    const refused = await writeRefused(dc.target(pair.address.A));
    if (!refused) {
      const aof = join(dc.work, 'data', pair.address.A, 'appendonlydir');
      const files = existsSync(aof) ? readdirSync(aof).map((f) => `${f} (${readFileSync(join(aof, f)).includes('hsa-dr:fenced') ? 'holds the marker' : 'no marker'})`) : ['no appendonlydir'];
      throw new Error(`${pair.role}@${pair.zone} at A accepted a write after restarting fenced with the link down (the fence did not survive the restart); start output: ${dc.servers.get(pair.address.A)!.server.startOutput() || '(none)'}; ${files.join(', ')}`);
    }
    expect(refused).toMatch(/^NOREPLICAS/);
  }
  restoreLink();
  const divergence = readFileSync(join(journal, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step: string; data?: { divergentKeys?: number; file?: string } })
    .filter((l) => l.step?.startsWith('divergence:'));
  let divergentTotal = 0;
  for (const entry of divergence) {
    const pair = entry.step.slice('divergence:'.length);
    const saved = readFileSync(entry.data!.file!, 'utf8').split('\n').filter(Boolean).length;
    // Exactly the writes only A holds: acknowledged at A, missing at B.
    expect({ pair, divergent: entry.data!.divergentKeys, saved }).toEqual({ pair, divergent: expectedDivergent.get(pair), saved: expectedDivergent.get(pair) });
    divergentTotal += saved;
  }
  expect(divergence).toHaveLength(dc.pairs.length);

  const third = expectCompleted(await switchover(dc, 'A', 'B', journal, { siteLost: 'A', discardDivergent: true, kills }));
  for (const pair of dc.pairs) {
    const state = await replicationState(dc.target(pair.address.A));
    expect({ role: state.role, master: state.masterHost }).toEqual({ role: 'slave', master: pair.address.B });
  }
  // The report bounds the measured loss: every write missing at B was acknowledged at A after the last
  // contact the report names (so "those acknowledged after <lastContactAt>" is true), per pair.
  const bounds: string[] = [];
  for (const reported of third.report.pairs) {
    const oldest = oldestMissing.get(reported.pair);
    expect(reported.lastContactAt).toBeDefined();
    const promotion = new Date(readJournalStep(journal, `promote:${reported.pair}`).promotedAt).getTime();
    if (oldest !== undefined) expect({ pair: reported.pair, missingBeforeLastContact: oldest < new Date(reported.lastContactAt!).getTime() }).toEqual({ pair: reported.pair, missingBeforeLastContact: false });
    bounds.push(`${reported.pair}: reported window ${reported.windowSeconds} s, oldest missing write ${oldest === undefined ? 'none' : `${((promotion - oldest) / 1000).toFixed(1)} s`} before the promotion`);
  }
  console.log(`site loss A -> B, killed at ${kills.size} fault points and resumed; RPO reported vs measured: ${bounds.join('; ')}; RTO from the loss ${third.report.rtoFromLossSeconds?.toFixed(1)} s`);
  console.log(
    `site loss A -> B: B noticed the cut in ${detectedSeconds.toFixed(1)} s; RTO ${third.report.rtoSeconds.toFixed(1)} s; ` +
      `acknowledged at A before the promotion and missing at B (RPO): ${lostBeforePromotion} writes; ` +
      `divergent writes at A found and saved: ${divergentTotal} (${[...expectedDivergent.entries()].map(([p, n]) => `${p} ${n}`).join(', ')})`,
  );
}

/** The data of a step's last record in a journal directory. */
function readJournalStep(journal: string, step: string): { promotedAt: string } {
  const lines = readFileSync(join(journal, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step?: string; data?: { promotedAt: string } });
  return lines.filter((l) => l.step === step).pop()!.data!;
}

const available = namespacesAvailable();
if (!available) {
  test('fails: the site-loss drill needs root and ip netns', () => {
    throw new Error('network namespaces are not available: run the drills as root on Linux with iproute2');
  });
}

(available ? describe : describe.skip)('site loss across two network namespaces', () => {
  afterEach(async () => {
    await tearDownAll();
  });

  test('planned switchover A -> B and failback lose no acknowledged write; losing A is failed over, fenced, and its divergent writes saved', async () => {
    const work = mkdtempSync(join(tmpdir(), 'hsa-site-loss-none-'));
    try {
      const dc = await setUp('none', work);
      expect(await plannedSwitchover(dc, 'A', 'B')).toBe(0);
      expect(await plannedSwitchover(dc, 'B', 'A')).toBe(0);
      await siteLoss(dc);
    } finally {
      await tearDownAll();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('an RPO bound of 3 s by construction: with the link cut under load, the writes acknowledged at A and missing at B stay within the bound; A then refuses writes (the cost); without the bound they do not', async () => {
    const BOUND = 3;
    const measure = async (mutation: Mutation) => {
      const work = mkdtempSync(join(tmpdir(), `hsa-site-loss-bounded-${mutation}-`));
      try {
        const dc = await setUp(mutation, work, { maxLagSeconds: BOUND });
        const prefix = 'bounded';
        const writer = startWriter(dc.work, dc.certificates.A.ca, 'A', dc.pairs.map((p) => p.address.A), prefix);
        await sleep(2000);
        const cutAt = Date.now();
        cutLink();
        await sleep((BOUND + 7) * 1000);
        await writer.stop();
        let worst = 0;
        let lastAcknowledgedAfterCut = 0;
        for (const pair of dc.pairs) {
          const acked = writer.acknowledged().get(pair.address.A) ?? [];
          worst = Math.max(worst, await missingAt(dc.target(pair.address.B), prefix, acked.map((a) => a.n)));
          lastAcknowledgedAfterCut = Math.max(lastAcknowledgedAfterCut, ...acked.map((a) => a.at - cutAt));
        }
        restoreLink();
        return { worst, lastAcknowledgedAfterCutSeconds: lastAcknowledgedAfterCut / 1000 };
      } finally {
        await tearDownAll();
        rmSync(work, { recursive: true, force: true });
      }
    };
    const bounded = await measure('none');
    const unbounded = await measure('no-lag-bound');
    const allowed = (BOUND + 1) * WRITES_PER_SECOND;
    console.log(
      `RPO bound ${BOUND} s at ${WRITES_PER_SECOND} writes/s per pair, link cut for ${BOUND + 7} s: at most ${bounded.worst} writes acknowledged at A missing at B (allowed ${allowed}); ` +
        `A took its last write ${bounded.lastAcknowledgedAfterCutSeconds.toFixed(1)} s after the cut and refused every write after it (the availability cost); ` +
        `without the bound: ${unbounded.worst} missing, the last write taken ${unbounded.lastAcknowledgedAfterCutSeconds.toFixed(1)} s after the cut`,
    );
    expect(bounded.worst).toBeLessThanOrEqual(allowed);
    expect(bounded.lastAcknowledgedAfterCutSeconds).toBeLessThanOrEqual(BOUND + 1.5);
    // The deliberately broken configuration (the bound's lines removed) lets A take writes for the whole cut.
    expect(unbounded.worst).toBeGreaterThan(allowed);
  });

  // Each broken configuration must fail the drill at the check it breaks, not by accident.
  test.each<[Mutation, string]>([
    ['no-aof', 'writes it acknowledged when it crashed'],
    ['writable-standby', 'the standby at B accepted a write'],
    ['no-fencing', 'accepted a write after coming back'],
    ['no-fence-marker', 'the fence did not survive the restart'],
    ['default-repl-timeout', 'did not notice the cut'],
    ['no-tls', 'answers plaintext on 6379'],
  ])('fails with a broken configuration: %s', async (mutation, failure) => {
    const work = mkdtempSync(join(tmpdir(), `hsa-site-loss-${mutation}-`));
    try {
      const error = await setUp(mutation, work).then(siteLoss).then(
        () => undefined,
        (e: Error) => e,
      );
      console.log(`mutation ${mutation}: the drill failed: ${error?.message.split('\n').slice(0, 12).join(' | ')}`);
      expect(error?.message).toContain(failure);
    } finally {
      await tearDownAll();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

