import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeDrLevel } from '../compliance/dr-level';
import type { DrAttestation, JsonObject, StackJson } from '../compliance/types';
import { loadEnvironmentFile } from '../model/load-environment';
import { resolveProvince, type ProvinceModel } from '../model/platform-model';
import { buildPlatformApp } from '../stacks/platform-app';

const ATTESTED: DrAttestation = { staff7x24: true, lastDrillDate: '2026-09-12', attestedOn: '2026-11-20' };

let model: ProvinceModel;
let plainStacks: Map<string, StackJson>;

beforeAll(() => {
  const loaded = loadEnvironmentFile(join(__dirname, '..', 'environments', 'demo.json'));
  model = resolveProvince('demo', loaded.environment);
  const outdir = mkdtempSync(join(tmpdir(), 'dr-level-'));
  try {
    buildPlatformApp(outdir, [loaded]).synth();
    plainStacks = new Map(model.units.map((u) => [u.stackName, JSON.parse(readFileSync(join(outdir, 'stacks', u.stackName, 'cdk.tf.json'), 'utf8')) as StackJson]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

/** A helm release's first values document, edited in place. */
function editValues(body: JsonObject, edit: (values: JsonObject) => void): void {
  const values = body.values as string[];
  const parsed = JSON.parse(values[0]!) as JsonObject;
  edit(parsed);
  values[0] = JSON.stringify(parsed);
}

/**
 * The demo's stacks as synthesized, minus what a test removes, or with the built configuration changed:
 * the backups written to their own datacenter's store, on another schedule. Annotations stay as built.
 */
function withInfrastructure(options: { skipPair?: string; skipDns?: boolean; skipLb?: boolean; skipBackup?: string; backupOnSite?: boolean; backupSchedule?: string } = {}): Map<string, StackJson> {
  const stacks = new Map<string, StackJson>();
  for (const unit of model.units) {
    const base = JSON.parse(JSON.stringify(plainStacks.get(unit.stackName)!)) as StackJson;
    for (const byName of Object.values(base.resource!)) {
      for (const [name, body] of Object.entries(byName)) {
        const hsa = (body['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
        if (!hsa) continue;
        const drop =
          (hsa.component === 'dr-pair' && options.skipPair === `${String(hsa.zone)}/${String(hsa.role)}`) ||
          (hsa.component === 'dns-controller' && options.skipDns) ||
          (hsa.component === 'site-load-balancer' && options.skipLb) ||
          (hsa.component === 'backup' && options.skipBackup === unit.stackName);
        if (drop) delete byName[name];
        else if (hsa.component === 'backup' && options.backupOnSite) {
          editValues(body, (v) => (((((v.configuration as JsonObject).backupStorageLocation as JsonObject[])[0]!.config as JsonObject).s3Url = unit.site === 'A' ? 'https://10.10.0.50:9000' : 'https://10.20.0.50:9000')));
        } else if (hsa.component === 'backup' && options.backupSchedule) {
          editValues(body, (v) => (((v.schedules as JsonObject).daily as JsonObject).schedule = options.backupSchedule!));
        }
      }
    }
    stacks.set(unit.stackName, base);
  }
  return stacks;
}

/** The demo's stacks with every annotation of `component` changed by `edit`, the resources as built. */
function withAnnotations(component: string, edit: (hsa: JsonObject) => void): Map<string, StackJson> {
  const stacks = withInfrastructure();
  for (const stack of stacks.values()) {
    for (const byName of Object.values(stack.resource!)) {
      for (const body of Object.values(byName)) {
        const hsa = (body['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
        if (hsa?.component === component) edit(hsa);
      }
    }
  }
  return stacks;
}

test('demo with DR pairs, DNS controller, load balancer and attestation reaches level 5, and level 6 is blocked by asynchronous replication', () => {
  const report = computeDrLevel(model, withInfrastructure(), ATTESTED, '2025');
  expect(report.achievedLevel).toBe(5);
  expect(report.blockingNextLevel.map((e) => e.id)).toEqual(['zero-data-loss', 'remote-cluster']);
  expect(report.blockingNextLevel[0]!.evidence).toContain('asynchronous replication');
  expect(report.editionNote).toContain('2025');
});

test('each element missing lowers the level to the one below the level that requires it', () => {
  const cases: [string, Map<string, StackJson>, DrAttestation, number][] = [
    ['no backup built for one stack', withInfrastructure({ skipBackup: 'demo-core-b' }), ATTESTED, 0],
    ['backups kept in their own datacenter', withInfrastructure({ backupOnSite: true }), ATTESTED, 0],
    ['a weekly backup', withInfrastructure({ backupSchedule: '0 2 * * 0' }), ATTESTED, 2],
    ['no 7x24 staff', withInfrastructure(), { ...ATTESTED, staff7x24: false }, 3],
    ['no load balancer at any site', withInfrastructure({ skipLb: true }), ATTESTED, 3],
    ['one replication pair removed (kafka, core zone)', withInfrastructure({ skipPair: 'core/kafka' }), ATTESTED, 4],
    ['no DNS controller', withInfrastructure({ skipDns: true }), ATTESTED, 4],
    ['last drill more than 12 months before the attestation', withInfrastructure(), { ...ATTESTED, lastDrillDate: '2025-10-01' }, 4],
    ['no drill attested', withInfrastructure(), { staff7x24: true }, 4],
  ];
  for (const [what, stacks, attestation, expected] of cases) {
    expect({ what, level: computeDrLevel(model, stacks, attestation, '2007').achievedLevel }).toEqual({ what, level: expected });
  }
});

test('the element that drops the level is named with its evidence', () => {
  const report = computeDrLevel(model, withInfrastructure({ skipPair: 'core/kafka' }), ATTESTED, '2007');
  const missing = report.elements.find((e) => e.id === 'real-time-replication')!;
  expect(missing.met).toBe(false);
  expect(missing.evidence).toContain('kafka in the core zone');
  expect(report.blockingNextLevel.map((e) => e.id)).toContain('real-time-replication');
});

describe('facts are proven from what is built, never taken from an annotation', () => {
  test('annotations that claim more than the resources do change nothing: synchronous pairs, an off-site store, a daily schedule, a replication source', () => {
    const built = computeDrLevel(model, withInfrastructure(), ATTESTED, '2007');
    const claims: [string, Map<string, StackJson>][] = [
      ['every pair synchronous', withAnnotations('dr-pair', (hsa) => (hsa.replication = 'synchronous'))],
      ['the store at the other site, the schedule daily', withAnnotations('backup', (hsa) => Object.assign(hsa, { storeSite: hsa.site === 'A' ? 'B' : 'A', schedule: '0 2 * * *' }))],
      ['another replication source', withAnnotations('dr-pair', (hsa) => hsa.source !== undefined && (hsa.source = '10.99.0.1:1'))],
    ];
    for (const [what, stacks] of claims) {
      const report = computeDrLevel(model, stacks, ATTESTED, '2007');
      expect({ what, elements: report.elements.map((e) => [e.id, e.met, e.evidence]) }).toEqual({ what, elements: built.elements.map((e) => [e.id, e.met, e.evidence]) });
    }
    // And the other way: the annotation says off site and daily, the built release writes to its own
    // datacenter's store weekly: the level drops and the evidence names the address.
    const lying = withInfrastructure({ backupOnSite: true, backupSchedule: '0 2 * * 0' });
    const report = computeDrLevel(model, lying, ATTESTED, '2007');
    expect(report.achievedLevel).toBe(0);
    expect(report.elements.find((e) => e.id === 'offsite-backup-media')!.evidence).toContain("demo-core-a -> 10.10.0.50, in site A's networks");
  });

  test("a standby whose built configuration does not replicate from the active site's address is not a pair, whatever its annotation says", () => {
    const stacks = withInfrastructure();
    const standby = model.units.find((u) => u.zone === 'core' && !u.active)!.stackName;
    for (const body of Object.values(stacks.get(standby)!.resource!.helm_release!)) {
      const hsa = (body['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
      if (hsa?.role === 'redis-cache') editValues(body, (v) => (v.master = JSON.parse(JSON.stringify(v.master ?? {}).replace(/replicaof [\d.]+ \d+/g, '')) as JsonObject));
    }
    const report = computeDrLevel(model, stacks, ATTESTED, '2007');
    expect(report.achievedLevel).toBe(4);
    expect(report.elements.find((e) => e.id === 'real-time-replication')!.evidence).toBe(
      'no real-time replication for redis-cache in the core zone (demo-core-b is marked a standby, but its values hold no "replicaof 10.10.2.21")',
    );
  });

  test('without the datacenters\' networks the off-site store cannot be proven', () => {
    const { siteNetworks: _networks, ...withoutNetworks } = model;
    const report = computeDrLevel(withoutNetworks, withInfrastructure(), ATTESTED, '2007');
    expect(report.achievedLevel).toBe(0);
    expect(report.elements.find((e) => e.id === 'offsite-backup-media')!.evidence).toBe(
      'where the backup stores lie cannot be proven (10.20.0.50, 10.10.0.50): declare sites.A.networks and sites.B.networks, the datacenters\' address ranges',
    );
  });
});

test('an application missing at the standby site drops complete standby processing (level 4)', () => {
  const stacks = withInfrastructure();
  const standbyCore = model.units.find((u) => u.zone === 'core' && !u.active)!.stackName;
  const stack = stacks.get(standbyCore)!;
  const deployments = { ...stack.resource!.kubernetes_deployment_v1 };
  const settlement = Object.keys(deployments).find((k) => k.startsWith('Platform_Applications_settlement_'))!;
  delete deployments[settlement];
  stacks.set(standbyCore, { ...stack, resource: { ...stack.resource, kubernetes_deployment_v1: deployments } });
  const report = computeDrLevel(model, stacks, ATTESTED, '2007');
  expect(report.achievedLevel).toBe(3);
  expect(report.elements.find((e) => e.id === 'standby-processing-complete')!.evidence).toContain('core/settlement');
});

test('backups are judged from what was built: the stacks without one are named, and the evidence says where the backups go', () => {
  const built = computeDrLevel(model, withInfrastructure(), ATTESTED, '2025').elements;
  expect(built.find((e) => e.id === 'offsite-backup-media')!.evidence).toContain('demo-core-a -> https://10.20.0.50:9000/hsa-demo-backup/demo/core-a at site B');
  expect(built.find((e) => e.id === 'daily-full-backup')!.evidence).toContain('"0 2 * * *", kept 30 days');
  const missing = computeDrLevel(model, withInfrastructure({ skipBackup: 'demo-core-b' }), ATTESTED, '2025');
  expect(missing.achievedLevel).toBe(0);
  expect(missing.elements.find((e) => e.id === 'offsite-backup-media')!.evidence).toBe('no backup built for demo-core-b: declare `backup` in the environment');
});

test("the business database's backup counts only where it is built and copied off site", () => {
  const built = computeDrLevel(model, withInfrastructure(), ATTESTED, '2025').elements;
  expect(built.find((e) => e.id === 'daily-full-backup')!.evidence).toContain('the business database (PostgreSQL) backed up by its own job at "0 1 * * *" in demo-core-a, demo-core-b, onto a volume of hsa-middleware');
  // A job whose volume lives in a namespace the stack's off-site backup does not copy keeps the backup on site.
  const stacks = withInfrastructure();
  const jobs = stacks.get('demo-core-a')!.resource!.kubernetes_cron_job_v1!;
  for (const body of Object.values(jobs)) (body.metadata as JsonObject).namespace = 'hsa-scratch';
  const onSite = computeDrLevel(model, stacks, ATTESTED, '2025');
  expect(onSite.achievedLevel).toBe(0);
  expect(onSite.elements.find((e) => e.id === 'offsite-backup-media')!.evidence).toBe(
    "the business database's backup stays on site: demo-core-a keeps it in hsa-scratch, which its off-site backup does not copy",
  );
});

test("each pair's RPO bound is read from the active primary's built configuration, and only where the other site's server counts", () => {
  const loaded = loadEnvironmentFile(join(__dirname, '..', 'environments', 'demo.json'));
  const env = JSON.parse(JSON.stringify(loaded.environment)) as typeof loaded.environment;
  env.middleware = { ...env.middleware, redisSession: { ...env.middleware?.redisSession, maxLagSeconds: 5 } };
  const bounded = resolveProvince('demo', env);
  const outdir = mkdtempSync(join(tmpdir(), 'dr-level-bound-'));
  try {
    buildPlatformApp(outdir, [{ ...loaded, environment: env }]).synth();
    const stacks = new Map(bounded.units.map((u) => [u.stackName, JSON.parse(readFileSync(join(outdir, 'stacks', u.stackName, 'cdk.tf.json'), 'utf8')) as StackJson]));
    const bounds = () => Object.fromEntries(computeDrLevel(bounded, stacks, ATTESTED, '2025').facts.pairs.map((p) => [`${p.role}@${p.zone}`, p.rpoBound?.maxLagSeconds ?? null]));
    expect(bounds()).toEqual({ 'redis-cache@public': null, 'redis-session@public': 5, 'redis-cache@core': null, 'redis-session@core': 5, 'kafka@core': null, 'fastdfs@core': null });
    // A bound that the local replicas alone satisfy bounds nothing across the sites: not counted.
    for (const body of Object.values(stacks.get('demo-core-a')!.resource!.helm_release!)) {
      const hsa = (body['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
      if (hsa?.role === 'redis-session') editValues(body, (v) => ((v.master as JsonObject).configuration = String((v.master as JsonObject).configuration).replace('min-replicas-to-write 3', 'min-replicas-to-write 2')));
    }
    expect(bounds()['redis-session@core']).toBeNull();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
