/**
 * A kind of DR pair added from outside the toolkit, through its public registration only: the test-only
 * "echo" kind (test/support/pair-kinds/echo/) brings its environment part, planner, construct and
 * switchover driver, and is run against two fake servers on loopback. Nothing else in the toolkit knows it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { registerPairKind, unregisterPairKind, pairKindNames } from '../pairs/registry';
import { resolveProvince } from '../model/platform-model';
import { EnvironmentError } from '../model/load-environment';
import { executeSwitchover, type Deployer } from '../switchover/execute-switchover';
import { JOURNAL_FILE } from '../switchover/journal';
import type { Site } from '../model/topology';
import { echoPairKind } from './support/pair-kinds/echo';
import { echoCommand, echoRole, EchoServer } from './support/pair-kinds/echo/echo-server';
import { environmentJson, parseJson, PROJECT_ROOT, resourceAt, synthesizeStacks } from './support/fixtures';
import { obsEveryPairAlerted } from '../compliance/rules/obs-every-pair-alerted';
import { provinceSubject } from '../compliance/check-province';
import type { StackJson } from '../compliance/types';

const KIND_DIR = join(PROJECT_ROOT, 'test', 'support', 'pair-kinds', 'echo');

let servers: Record<Site, EchoServer>;
const address = (site: Site) => `127.0.0.1:${servers[site].port}`;

/** demo.json with the echo pair declared in the core zone at the fake servers. */
function echoEnvironment() {
  const json = environmentJson('demo');
  const middleware = (json.middleware ?? {}) as Record<string, unknown>;
  json.middleware = { ...middleware, kinds: { echo: { zones: { core: { A: address('A'), B: address('B') } } } } };
  return json;
}

beforeAll(async () => {
  registerPairKind(echoPairKind);
  servers = { A: await EchoServer.start(), B: await EchoServer.start() };
});

afterAll(async () => {
  unregisterPairKind('echo');
  await Promise.all(Object.values(servers).map((server) => server.stop()));
});

test('the kind touches nothing outside its folder: it imports the toolkit through its public entry point only', () => {
  const files = readdirSync(KIND_DIR).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThanOrEqual(5);
  const outside = files.flatMap((file) =>
    [...readFileSync(join(KIND_DIR, file), 'utf8').matchAll(/from '(\.[^']+)'/g)]
      .map((m) => normalize(join(KIND_DIR, m[1]!)))
      .filter((target) => dirname(target) !== KIND_DIR && target !== PROJECT_ROOT + '/index' && target !== join(PROJECT_ROOT, 'index'))
      .map((target) => `${file} -> ${relative(PROJECT_ROOT, target)}`),
  );
  expect(outside).toEqual([]);
  // No toolkit source names it (the docs may): the registration is the test's one line.
  const mentions = spawnSync('git', ['grep', '-l', '-i', '-e', 'echoPairKind', '-e', 'pair-kinds/echo', '--', '*.ts', '*.js', ':!test/'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  expect(mentions.status).toBe(1); // git grep: no match
  expect(mentions.stdout).toBe('');
});

test('registration adds the kind to the switchover and refuses a second of the same name or a built-in name', () => {
  expect(pairKindNames()).toEqual(['redis', 'kafka', 'fastdfs', 'database', 'echo']);
  expect(() => registerPairKind(echoPairKind)).toThrow('a DR pair kind named "echo" is registered already');
  expect(() => registerPairKind({ ...echoPairKind, name: 'redis' })).toThrow('a DR pair kind named "redis" is registered already');
  expect(() => registerPairKind({ ...echoPairKind, name: 'Echo!' })).toThrow('expected 1-31 lowercase letters');
});

test("the environment's part is checked by the kind's own schema, naming the file and the field", () => {
  const bad = echoEnvironment();
  ((bad.middleware as Record<string, Record<string, Record<string, Record<string, Record<string, string>>>>>).kinds!.echo!.zones!.core!).B = 'not-an-address';
  expect(() => parseJson(bad)).toThrow(EnvironmentError);
  expect(() => parseJson(bad)).toThrow(/environments\/demo\.json.*middleware\.kinds\.echo\.zones\.core\.B.*expected "<IPv4 address>:<port>"/s);
  const unknown = environmentJson('demo');
  unknown.middleware = { ...(unknown.middleware as object), kinds: { nosuch: {} } };
  expect(() => parseJson(unknown)).toThrow(/middleware\.kinds\.nosuch.*no DR pair kind named "nosuch" is registered; registered: echo/s);
});

test('the model plans it once per unit; the construct renders the plan in the middleware namespace, beside the built-in pairs', () => {
  const loaded = parseJson(echoEnvironment());
  const province = resolveProvince(loaded.name, loaded.environment);
  const plans = province.units.map((u) => `${u.zone}-${u.site}: ${JSON.stringify(u.middlewarePlan.kinds.echo ?? null)}`);
  expect(plans).toEqual([
    'public-A: null',
    'public-B: null',
    `core-A: {"name":"echo-pair","mode":"primary","address":"${address('A')}","peer":"${address('B')}"}`,
    `core-B: {"name":"echo-pair","mode":"standby","address":"${address('B')}","peer":"${address('A')}"}`,
  ]);
  const stacks = synthesizeStacks([loaded]);
  const role = resourceAt(stacks.get('demo-core-b')!, 'kubernetes_config_map_v1', 'demo-core-b/Platform/Middleware/echo/Role');
  expect(role.data).toEqual({ mode: 'standby', address: address('B'), follows: address('A') });
  expect((role.metadata as Record<string, unknown>).namespace).toBe('${kubernetes_namespace_v1.Platform_Middleware_Namespace_D57E9179.metadata[0].name}');
  // The middleware namespace admits the other site's server on the kind's port, both ways.
  const peerPolicy = JSON.stringify(stacks.get('demo-core-b')!.resource.kubernetes_network_policy_v1);
  expect(peerPolicy).toContain(String(servers.A.port));
  expect(Object.keys(stacks.get('demo-public-a')!.resource.kubernetes_config_map_v1 ?? {}).some((key) => key.includes('echo'))).toBe(false);
});

test('the switchover drives the kind through the one interface: dry run, then every step against the fake servers', async () => {
  const loaded = parseJson(echoEnvironment());
  const province = resolveProvince(loaded.name, loaded.environment);
  // What a deploy of the synthesized role does: the servers take the roles the plan gives them.
  const deployer: Deployer = {
    describe: (stacks, active) => `deploy ${stacks.join(' ')} with site ${active} active`,
    async deploy(stacks, active) {
      const after = resolveProvince(loaded.name, loaded.environment, { activeSite: active });
      for (const unit of after.units.filter((u) => stacks.includes(u.stackName))) {
        const plan = unit.middlewarePlan.kinds.echo as { mode: string; address: string; peer: string } | undefined;
        if (!plan) continue;
        await echoCommand(plan.address, plan.mode === 'primary' ? 'UNFENCE' : `FOLLOW ${plan.peer}`);
      }
    },
  };
  // The starting state: A primary with writes, B following it.
  await echoCommand(address('B'), `FOLLOW ${address('A')}`);
  for (let i = 0; i < 25; i++) await echoCommand(address('A'), 'WRITE');

  const printed: string[] = [];
  const common = { province, to: 'B' as const, kinds: ['echo'], discardDivergent: false, deployer, print: (line: string) => printed.push(line) };
  const journalDir = mkdtempSync(join(tmpdir(), 'hsa-echo-switchover-'));
  try {
    expect(await executeSwitchover({ ...common, execute: false, journalDir })).toEqual({ status: 'dry-run' });
    expect(printed.slice(1).map((line) => line.split('\n')[0])).toEqual([
      '1. Check both sites answer: site A primary, site B replicating or mirroring every pair',
      '2. Fence echo@core at site A',
      "3. Wait until echo@core at site B has site A's offset",
      '4. Promote echo@core at site B',
      '5. Refuse to re-point site A while it holds unsaved or unacknowledged writes (--discard-divergent)',
      "6. Deploy site B's stacks with site B active",
      '7. Verify echo@core at site B takes writes',
      "8. Deploy site A's stacks with site B active",
      '9. Verify echo@core at site A follows site B',
    ]);

    printed.length = 0;
    const outcome = await executeSwitchover({ ...common, execute: true, journalDir });
    expect(outcome.status).toBe('completed');
    if (outcome.status !== 'completed') return;
    expect(outcome.report.pairs.map((p) => p.pair)).toEqual(['echo@core']);
    expect(outcome.report.pairs[0]!.rtoSeconds).toBeGreaterThan(0);
    // The servers: B primary with A's 25 writes and the check's one, A following it at the same offset.
    expect(await echoRole(address('B'))).toEqual({ role: 'primary', offset: 26, fenced: false });
    expect(await echoRole(address('A'))).toEqual({ role: 'replica', following: address('B'), offset: 26 });
    const journal = readFileSync(join(journalDir, JOURNAL_FILE), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { step?: string; status?: string })
      .filter((line) => line.step !== undefined && line.step !== 'report');
    expect(journal.map((line) => `${line.status} ${line.step}`)).toEqual([
      'done check',
      'done fence:echo@core',
      'done caught-up:echo@core',
      'done promote:echo@core',
      'done acknowledge-divergence',
      'done deploy:B',
      'done writable:echo@core',
      'done deploy:A',
      'done following:echo@core',
    ]);
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
  }
});

test("the kind's check refuses a run whose servers do not stand as the environment says (B primary, A following it)", async () => {
  const loaded = parseJson(echoEnvironment());
  const province = resolveProvince(loaded.name, loaded.environment);
  const journalDir = mkdtempSync(join(tmpdir(), 'hsa-echo-switchover-'));
  try {
    const deployer: Deployer = { describe: () => 'nothing', deploy: () => Promise.reject(new Error('must not deploy')) };
    const outcome = await executeSwitchover({ province, to: 'B', kinds: ['echo'], execute: true, journalDir, discardDivergent: false, deployer, print: () => undefined });
    expect(outcome).toEqual({ status: 'refused', reason: `echo@core at B does not follow ${address('A')}` });
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
  }
});

test("its monitoring joins the site's: its scrape job and alerts in the unit's Prometheus; without one, a deployed pair fails compliance, named", () => {
  const loaded = parseJson(echoEnvironment());
  const province = resolveProvince(loaded.name, loaded.environment);
  const coreB = province.units.find((u) => u.zone === 'core' && u.site === 'B')!;
  expect(coreB.monitoring!.scrapeJobs.find((job) => job.name === 'echo')!.targets).toEqual([{ address: `echo-pair.hsa-middleware.svc:${servers.B.port}`, labels: { hsa_pair: 'echo@core', hsa_site: 'B' } }]);
  expect(coreB.monitoring!.ruleGroups.find((group) => group.name === 'hsa-echo-core-b')!.rules.map((rule) => rule.alert)).toEqual(['EchoPairDown']);
  const check = (model: typeof province) => {
    const stacks = synthesizeStacks([parseJson(echoEnvironment())]) as unknown as Map<string, StackJson>;
    const outcome = obsEveryPairAlerted.check(provinceSubject(model, stacks, { edition: '2025' }));
    return outcome.status === 'non-compliant' ? outcome.problems.map((p) => p.message) : [];
  };
  expect(check(province)).toEqual([]);
  // The same kind registered without its monitoring: its pairs alert nobody, and compliance says which.
  unregisterPairKind('echo');
  const { monitoring: _monitoring, ...unwatched } = echoPairKind;
  registerPairKind(unwatched);
  try {
    const bare = resolveProvince(loaded.name, parseJson(echoEnvironment()).environment);
    expect(check(bare)).toEqual(['the DR pair echo@core at site A has no alert', 'the DR pair echo@core at site B has no alert']);
  } finally {
    unregisterPairKind('echo');
    registerPairKind(echoPairKind);
  }
});
