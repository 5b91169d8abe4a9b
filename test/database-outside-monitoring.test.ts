/**
 * The business database outside the clusters is watched (#27): demo's `product: postgresql` gets a
 * postgres_exporter at each site, reading that site's server as the monitoring role of an existing Secret
 * over TLS, scraped by the site's Prometheus; its alerts are the database team's; another product is
 * probed. The real judges: the conformance procedure renders the values with the real chart, the
 * rehearsal deploys them, promtool runs the rules' unit tests and the external database alerting drill
 * runs the real exporter against real PostgreSQL servers (test/drills/).
 */
import { obsEveryPairAlerted } from '../compliance/rules/obs-every-pair-alerted';
import { provinceSubject } from '../compliance/check-province';
import type { JsonObject, StackJson } from '../compliance/types';
import { unitAlertRules, unitProbes, unitScrapeJobs } from '../model/observability';
import { resolveProvince } from '../model/platform-model';
import { environmentJson, loadEnvironment, parseJson, synthesizeStacks } from './support/fixtures';

const demo = loadEnvironment('demo');
const model = resolveProvince('demo', demo.environment);
const stacks = synthesizeStacks([demo]);

function exporterRelease(stack: StackJson): (JsonObject & { values: string[] }) | undefined {
  return Object.values(stack.resource?.helm_release ?? {}).find((r) => r.chart === 'prometheus-postgres-exporter') as (JsonObject & { values: string[] }) | undefined;
}

test("each core site runs postgres_exporter on its own site's server, logging in from the Secret, over TLS, with the WAL receiver's collector", () => {
  for (const site of ['A', 'B'] as const) {
    const unit = model.units.find((u) => u.zone === 'core' && u.site === site)!;
    const stack = stacks.get(unit.stackName) as unknown as StackJson;
    const release = exporterRelease(stack)!;
    expect(release).toMatchObject({ name: 'hsa-db-exporter', version: '8.0.0', namespace: expect.stringContaining('Platform_Middleware') });
    const values = JSON.parse(release.values[0]!) as { config: { datasource: JsonObject; extraArgs: string[] }; service: JsonObject; image: JsonObject };
    expect(values.config.datasource).toEqual({
      host: unit.middlewareVips.database,
      port: '5432',
      database: 'postgres',
      sslmode: 'require',
      userSecret: { name: 'hsa-db-monitor', key: 'username' },
      passwordSecret: { name: 'hsa-db-monitor', key: 'password' },
    });
    expect(values.config.extraArgs).toEqual(['--collector.stat_wal_receiver']);
    expect(values.service).toEqual({ port: 9187, targetPort: 9187 });
    expect(values.image).toEqual({ registry: 'registry.demo.hsa.internal', repository: 'hsa/postgres-exporter', tag: 'v0.19.1' });
    // No password anywhere in the values: only the Secret's name.
    expect(release.values[0]).not.toMatch(/"password"\s*:/);
    expect(unitScrapeJobs(unit).find((job) => job.name === 'database')).toEqual({
      name: 'database',
      namespace: 'hsa-middleware',
      port: 9187,
      targets: [{ address: 'hsa-db-exporter.hsa-middleware.svc:9187', labels: { hsa_pair: 'database@core', hsa_site: site } }],
    });
    // The standby site has the replication alerts; both have the down and archiving ones.
    const alerts = unitAlertRules(model, unit).flatMap((g) => g.rules).filter((r) => r.labels.hsa_pair === 'database@core');
    expect(alerts.map((r) => r.alert)).toEqual(site === model.activeSite ? ['HsaDatabaseDown', 'HsaDatabaseWalNotArchived'] : ['HsaDatabaseDown', 'HsaDatabaseWalNotArchived', 'HsaDatabaseReplicationLinkDown', 'HsaDatabaseStandbyBehind', 'HsaDatabaseSplitBrain']);
    for (const rule of alerts) expect(rule.labels.team).toBe('database');
  }
  // The public zone has no database: no exporter there.
  for (const unit of model.units.filter((u) => u.zone === 'public')) expect(exporterRelease(stacks.get(unit.stackName) as unknown as StackJson)).toBeUndefined();
});

test('the environment chooses the Secret and sslmode; an unknown sslmode is refused naming the file and the field', () => {
  const json = environmentJson('demo');
  const database = ((json.middleware as JsonObject).database as JsonObject);
  database.monitoring = { credentialsSecret: 'dba-monitor', sslMode: 'disable' };
  const own = parseJson(json);
  const unit = resolveProvince('demo', own.environment).units.find((u) => u.zone === 'core' && u.site === 'B')!;
  const stack = synthesizeStacks([own]).get(unit.stackName) as unknown as StackJson;
  const values = JSON.parse(exporterRelease(stack)!.values[0]!) as { config: { datasource: JsonObject } };
  expect(values.config.datasource).toMatchObject({ sslmode: 'disable', userSecret: { name: 'dba-monitor', key: 'username' } });
  database.monitoring = { sslMode: 'prefer' };
  expect(() => parseJson(json)).toThrow(/environments\/demo\.json.*middleware\.database\.monitoring\.sslMode/s);
});

test('without observability nothing reads the exporter: none is deployed', () => {
  const json = environmentJson('demo');
  delete json.observability;
  const without = synthesizeStacks([parseJson(json)]);
  for (const stack of without.values()) expect(exporterRelease(stack as unknown as StackJson)).toBeUndefined();
});

test("another product is probed at its site's address, and OBS-EveryPairAlerted names a database pair whose alerts are gone", () => {
  const json = environmentJson('demo');
  (json.middleware as JsonObject).database = { product: 'other', name: 'DM8', port: 5236, check: { command: ['/opt/dm/check.sh'] } };
  const other = parseJson(json);
  const otherModel = resolveProvince('demo', other.environment);
  const unit = otherModel.units.find((u) => u.zone === 'core' && u.site === 'A')!;
  expect(unitProbes(unit)).toContainEqual({ module: 'tcp_connect', address: `${unit.middlewareVips.database}:5236`, labels: { hsa_pair: 'database@core', hsa_site: 'A', hsa_target_site: 'A' } });
  const down = unitAlertRules(otherModel, unit).flatMap((g) => g.rules).find((r) => r.labels.hsa_pair === 'database@core')!;
  expect(down.alert).toBe('HsaDatabaseDown');
  expect(down.annotations.summary).toContain('DM8');
  const otherStacks = synthesizeStacks([other]);
  for (const stack of otherStacks.values()) expect(exporterRelease(stack as unknown as StackJson)).toBeUndefined();

  // The demo as synthesized complies; with the database pair's alerts removed from core-b's monitoring, the rule names it.
  const check = (s: Map<string, StackJson>) => {
    const outcome = obsEveryPairAlerted.check(provinceSubject(model, s, { edition: '2025' }));
    return outcome.status === 'non-compliant' ? outcome.problems.map((p) => `${p.stack}: ${p.message}`) : [];
  };
  const asSynthesized = stacks as unknown as Map<string, StackJson>;
  expect(check(asSynthesized)).toEqual([]);
  const copy = new Map(asSynthesized);
  const stack = JSON.parse(JSON.stringify(asSynthesized.get('demo-core-b'))) as StackJson;
  const monitoring = Object.values(stack.resource!.helm_release!).find((r) => r.name === 'prometheus')!;
  const comment = monitoring['//'] as { hsa: { alerted: { pairs: string[] } } };
  comment.hsa.alerted.pairs = comment.hsa.alerted.pairs.filter((p) => p !== 'database@core');
  copy.set('demo-core-b', stack);
  expect(check(copy)).toEqual(['demo-core-b: the DR pair database@core at site B has no alert']);
});
