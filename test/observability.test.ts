/**
 * The observability the model generates, read back (the real judges are promtool and the live drill in
 * test/drills/): the environment's receivers are checked like every field, Alertmanager routes each team to
 * its receiver, and every DR pair with alerts and every backup has its alerts at both sites.
 */
import { parse } from 'yaml';
import { renderAlertmanagerConfig } from '../model/alertmanager-config';
import { listEnvironments } from '../model/load-environment';
import { unitAlertRules, unitProbes, unitScrapeJobs } from '../model/observability';
import { resolveProvince } from '../model/platform-model';
import { ENVIRONMENTS_DIR, environmentJson, loadEnvironment, parseJson } from './support/fixtures';

test('a receiver that is not a URL is refused, naming the file and the field', () => {
  const json = environmentJson('demo');
  json.observability = { receivers: { default: { webhook: 'https://oncall.example.internal/x' }, teams: { middleware: { webhook: 'oncall' } } } };
  expect(() => parseJson(json)).toThrow(/environments\/demo\.json.*observability\.receivers\.teams\.middleware\.webhook.*expected an http:\/\/ or https:\/\/ URL/s);
  json.observability = { receivers: { default: { webhook: 'https://x.example/y' }, teams: { dba: { webhook: 'https://x.example/z' } } } };
  expect(() => parseJson(json)).toThrow(/observability\.receivers\.teams/);
});

test("Alertmanager routes each team's alerts to its receiver and the rest to the default", () => {
  const config = parse(renderAlertmanagerConfig({ receivers: { default: { webhook: 'https://d.example/a' }, teams: { middleware: { webhook: 'https://m.example/b', sendResolved: false } } } })) as {
    route: { receiver: string; routes: { matchers: string[]; receiver: string }[] };
    receivers: { name: string; webhook_configs: { url: string; send_resolved: boolean }[] }[];
  };
  expect(config.route.receiver).toBe('default');
  expect(config.route.routes).toEqual([{ matchers: ['team="middleware"'], receiver: 'middleware' }]);
  expect(config.receivers).toEqual([
    { name: 'default', webhook_configs: [{ url: 'https://d.example/a', send_resolved: true }] },
    { name: 'middleware', webhook_configs: [{ url: 'https://m.example/b', send_resolved: false }] },
  ]);
});

const EXPECTED_ALERTS = {
  redis: { standby: ['HsaRedisDown', 'HsaRedisMemoryHigh', 'HsaRedisUnwatched', 'HsaRedisReplicationLinkDown', 'HsaRedisStandbyBehind', 'HsaRedisSplitBrain'], primary: ['HsaRedisDown', 'HsaRedisMemoryHigh', 'HsaRedisUnwatched', 'HsaRedisReplicaMissing', 'HsaRedisReplicaBehind'] },
  kafka: { standby: ['HsaKafkaBrokerDown', 'HsaKafkaUnderReplicated', 'HsaKafkaVolumeHigh', 'HsaKafkaMirrorDown', 'HsaKafkaMirrorLinkDown', 'HsaKafkaMirrorTaskNotRunning', 'HsaKafkaMirrorLagging'], primary: ['HsaKafkaBrokerDown', 'HsaKafkaUnderReplicated', 'HsaKafkaVolumeHigh'] },
  fastdfs: { standby: ['HsaFastdfsDown', 'HsaFastdfsUnwatched', 'HsaFastdfsPeerUnreachable'], primary: ['HsaFastdfsDown', 'HsaFastdfsUnwatched', 'HsaFastdfsPeerUnreachable'] },
  database: { standby: ['HsaDatabaseDown', 'HsaDatabaseWalNotArchived', 'HsaDatabaseVolumeHigh', 'HsaDatabaseReplicationLinkDown', 'HsaDatabaseStandbyBehind', 'HsaDatabaseSplitBrain'], primary: ['HsaDatabaseDown', 'HsaDatabaseWalNotArchived', 'HsaDatabaseVolumeHigh'] },
} as const;

test('every Redis, Kafka, FastDFS and CloudNativePG pair has its alerts at both sites, and a scrape target with the labels they select on; every backed-up cluster its backup alerts, in every province', () => {
  for (const name of listEnvironments(ENVIRONMENTS_DIR)) {
    const loaded = loadEnvironment(name);
    const province = resolveProvince(loaded.name, loaded.environment);
    for (const unit of province.units) {
      const rules = unitAlertRules(province, unit).flatMap((g) => g.rules);
      const targets: Record<string, string>[] = [...unitScrapeJobs(unit).flatMap((job) => job.targets.map((t) => ({ job: job.name, ...t.labels }))), ...unitProbes(unit).map((p) => ({ job: `probe-${p.module}`, ...p.labels }))];
      const pairs: { pair: string; kind: keyof typeof EXPECTED_ALERTS; mode: 'primary' | 'standby' }[] = [
        ...unit.middlewarePlan.redis.filter((p) => p.peerAddress).map((p) => ({ pair: `${p.role}@${unit.zone}`, kind: 'redis' as const, mode: p.mode })),
        ...(unit.middlewarePlan.kafka ? [{ pair: `kafka@${unit.zone}`, kind: 'kafka' as const, mode: unit.middlewarePlan.kafka.mode }] : []),
        ...(unit.middlewarePlan.fastdfs ? [{ pair: `fastdfs@${unit.zone}`, kind: 'fastdfs' as const, mode: unit.middlewarePlan.fastdfs.mode }] : []),
        ...(unit.middlewarePlan.database?.product.kind === 'cloudnative-pg' ? [{ pair: `database@${unit.zone}`, kind: 'database' as const, mode: unit.middlewarePlan.database.product.cluster.mode }] : []),
      ];
      for (const { pair, kind, mode } of pairs) {
        const alerts = rules.filter((r) => r.labels.hsa_pair === pair).map((r) => r.alert);
        expect({ name, stack: unit.stackName, pair, alerts }).toEqual({ name, stack: unit.stackName, pair, alerts: [...EXPECTED_ALERTS[kind][mode]] });
        // Each alert selects on labels some scrape target of this site carries.
        for (const rule of rules.filter((r) => r.labels.hsa_pair === pair)) {
          expect(rule.expr).toContain(`hsa_pair="${pair}", hsa_site="${unit.site}"`);
        }
        expect(targets.some((t) => t.hsa_pair === pair && t.hsa_site === unit.site)).toBe(true);
      }
      expect(rules.filter((r) => r.labels.hsa_backup !== undefined).length).toBe(unit.backupPlan ? 2 : 0);
      expect(targets.some((t) => t.job === 'velero' && t.hsa_site === unit.site)).toBe(unit.backupPlan !== undefined);
      for (const rule of rules) expect(rule.annotations.runbook.length).toBeGreaterThan(20);
    }
  }
});
