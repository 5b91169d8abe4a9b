/**
 * The generated alert rules judged by Prometheus's own promtool (Debian's package `prometheus`, installed by
 * .ci/run): `promtool check rules` on every unit's rule file of every province, and `promtool test rules`
 * with input series: each alert fires when it should, with the labels and text it should have, and stays
 * silent when it should not. A deliberately broken rule file must fail both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BACKUP_MAX_AGE_SECONDS, renderRuleFile, VELERO_SCHEDULE, type AlertRule } from '../../model/alert-rules';
import { CADVISOR_JOB, KUBELET_JOB } from '../../model/cluster-monitoring';
import { dashboardQueries, unitDashboards } from '../../model/dashboards';
import { listEnvironments, loadEnvironmentFile } from '../../model/load-environment';
import { unitAlertRules, provinceRuleFiles } from '../../model/observability';
import { resolveProvince, type ProvinceModel } from '../../model/platform-model';
import { ENVIRONMENTS_DIR, environmentJson, parseJson } from '../support/fixtures';

const dir = mkdtempSync(join(tmpdir(), 'hsa-alert-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool did not run (${run.error.message}): install Debian's prometheus package, as .ci/run does`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const province = (name: string): ProvinceModel => {
  const loaded = loadEnvironmentFile(join(ENVIRONMENTS_DIR, `${name}.json`));
  return resolveProvince(loaded.name, loaded.environment);
};

test('promtool check rules accepts every rule file of every province, either site active', () => {
  let files = 0;
  for (const name of listEnvironments(ENVIRONMENTS_DIR)) {
    for (const activeSite of ['A', 'B'] as const) {
      const loaded = loadEnvironmentFile(join(ENVIRONMENTS_DIR, `${name}.json`));
      for (const [stack, text] of provinceRuleFiles(resolveProvince(loaded.name, loaded.environment, { activeSite }))) {
        const file = join(dir, `${stack}-${activeSite}.rules.yml`);
        writeFileSync(file, text);
        const checked = promtool('check', 'rules', file);
        expect({ stack, ...checked }).toEqual({ stack, status: 0, output: expect.stringMatching(/SUCCESS: \d+ rules found/) });
        files += 1;
      }
    }
  }
  expect(files).toBe(listEnvironments(ENVIRONMENTS_DIR).length * 8);
});

test('a broken rule file fails promtool check rules', () => {
  const file = join(dir, 'broken.rules.yml');
  writeFileSync(file, provinceRuleFiles(province('demo')).get('demo-core-b')!.replace('redis_master_link_up{', 'redis_master_link_up{{'));
  expect(promtool('check', 'rules', file).status).not.toBe(0);
});

/** An input series of a promtool test: the metric with its labels, and its values in promtool's notation. */
function series(name: string, labels: Record<string, string>, values: string) {
  return { series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`, values };
}

/** What promtool expects of a firing alert: its labels (the rule's and the series') and its annotations, templates expanded. */
function firing(rule: AlertRule, seriesLabels: Record<string, string>, value: string) {
  const labels: Record<string, string> = { ...seriesLabels, ...rule.labels };
  const expand = (text: string) => text.replace(/\{\{ \$value \}\}/g, value).replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '');
  return {
    exp_labels: { ...seriesLabels, ...rule.labels, alertname: rule.alert },
    exp_annotations: { summary: expand(rule.annotations.summary), description: expand(rule.annotations.description), runbook: expand(rule.annotations.runbook) },
  };
}

test('promtool test rules: each Redis and backup alert fires when it should and stays silent when it should not', () => {
  const demo = province('demo');
  const unit = (stack: string) => demo.units.find((u) => u.stackName === stack)!;
  const rulesOf = (stack: string) => unitAlertRules(demo, unit(stack)).flatMap((g) => g.rules);
  const rule = (stack: string, alert: string, pair?: string) => rulesOf(stack).find((r) => r.alert === alert && (pair === undefined || r.labels.hsa_pair === pair))!;
  const standby = 'demo-core-b';
  const active = 'demo-core-a';
  const pair = 'redis-cache@core';
  const peerHost = unit(active).middlewarePlan.redis.find((r) => r.role === 'redis-cache')!.peerAddress!.host;
  const b = { hsa_pair: pair, hsa_site: 'B' };
  const a = { hsa_pair: pair, hsa_site: 'A' };
  // Each case loads only the generated rules of the pair or backup it is about (a filtered copy of the
  // unit's rule file), so every alert that fires in it is one the case expects.
  const ruleFile = (stack: string, name: string, keep: (r: AlertRule) => boolean) => {
    const file = join(dir, `${name}.rules.yml`);
    writeFileSync(file, renderRuleFile(unitAlertRules(demo, unit(stack)).map((g) => ({ name: g.name, rules: g.rules.filter(keep) })).filter((g) => g.rules.length > 0)));
    return file;
  };
  const standbyRules = ruleFile(standby, 'standby-redis-cache', (r) => r.labels.hsa_pair === pair);
  const activeRules = ruleFile(active, 'active-redis-cache', (r) => r.labels.hsa_pair === pair);
  const backupRules = ruleFile(standby, 'standby-backup', (r) => r.labels.hsa_backup !== undefined);
  const masterInfo = { ...b, role: 'master' };
  const slaveSeries = { ...a, slave_ip: peerHost, slave_port: '6379', slave_state: 'online' };
  const veleroB = { schedule: VELERO_SCHEDULE, hsa_site: 'B' };
  // promtool's notation: `1x7` is eight samples of 1, `5+5x12` thirteen from 5 up by 5, `_x3` three missing.
  const cases = {
    standby: {
      rule_files: [standbyRules],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          input_series: [
            series('redis_master_link_up', { ...b, master_host: peerHost, master_port: '6379' }, '1x7 0x12'),
            series('redis_master_last_io_seconds_ago', b, '1x7 5+5x12'),
            series('redis_up', b, '1x20'),
            series('up', b, '1x20'),
          ],
          alert_rule_test: [
            // Link up: silent; down from 120 s, pending 30 s: firing from 150 s.
            { eval_time: '110s', alertname: 'HsaRedisReplicationLinkDown', exp_alerts: [] },
            { eval_time: '135s', alertname: 'HsaRedisReplicationLinkDown', exp_alerts: [] },
            { eval_time: '180s', alertname: 'HsaRedisReplicationLinkDown', exp_alerts: [firing(rule(standby, 'HsaRedisReplicationLinkDown', pair), { ...b, master_host: peerHost, master_port: '6379' }, '0')] },
            // Last contact beyond the 10 s bound from 150 s (15 s), pending 30 s: firing at 180 s with its value.
            { eval_time: '165s', alertname: 'HsaRedisStandbyBehind', exp_alerts: [] },
            { eval_time: '180s', alertname: 'HsaRedisStandbyBehind', exp_alerts: [firing(rule(standby, 'HsaRedisStandbyBehind', pair), b, '25')] },
            // Up all along: never down, never a split brain (no role=master at all).
            { eval_time: '300s', alertname: 'HsaRedisDown', exp_alerts: [] },
            { eval_time: '300s', alertname: 'HsaRedisSplitBrain', exp_alerts: [] },
          ],
        },
        {
          interval: '15s',
          // The standby turns primary at 45 s while site A stays active in the environment.
          input_series: [series('redis_instance_info', { ...b, role: 'slave' }, '1x2 _x10'), series('redis_instance_info', masterInfo, '_x3 1x10')],
          alert_rule_test: [
            { eval_time: '30s', alertname: 'HsaRedisSplitBrain', exp_alerts: [] },
            { eval_time: '45s', alertname: 'HsaRedisSplitBrain', exp_alerts: [] },
            { eval_time: '90s', alertname: 'HsaRedisSplitBrain', exp_alerts: [firing(rule(standby, 'HsaRedisSplitBrain', pair), {}, '1')] },
          ],
        },
      ],
    },
    active: {
      rule_files: [activeRules],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          // The active primary (2 local replicas and site B's): site B's replica 2 s behind, 20 s behind from
          // 60 s, gone from 120 s (3 connected, then 2).
          input_series: [
            series('redis_connected_slave_lag_seconds', slaveSeries, '2x3 20x3 _x8'),
            series('redis_connected_slaves', a, '3x7 2x12'),
            series('redis_up', a, '0x1 1x18'),
            series('up', a, '1x19'),
          ],
          alert_rule_test: [
            { eval_time: '45s', alertname: 'HsaRedisReplicaBehind', exp_alerts: [] },
            { eval_time: '105s', alertname: 'HsaRedisReplicaBehind', exp_alerts: [firing(rule(active, 'HsaRedisReplicaBehind', pair), {}, '20')] },
            { eval_time: '105s', alertname: 'HsaRedisReplicaMissing', exp_alerts: [] },
            { eval_time: '135s', alertname: 'HsaRedisReplicaMissing', exp_alerts: [] },
            { eval_time: '165s', alertname: 'HsaRedisReplicaMissing', exp_alerts: [firing(rule(active, 'HsaRedisReplicaMissing', pair), a, '2')] },
            // redis_up 0 only in the first 30 s: shorter than the rule's minute.
            { eval_time: '60s', alertname: 'HsaRedisDown', exp_alerts: [] },
          ],
        },
      ],
    },
    backup: {
      rule_files: [backupRules],
      evaluation_interval: '5m',
      tests: [
        {
          interval: '5m',
          // Site B's last successful backup at time 0, then none: too old after 26 h (pending 10 min).
          input_series: [series('velero_backup_last_successful_timestamp', veleroB, '0x340')],
          alert_rule_test: [
            { eval_time: '26h', alertname: 'HsaBackupTooOld', exp_alerts: [] },
            { eval_time: '27h', alertname: 'HsaBackupTooOld', exp_alerts: [firing(rule(standby, 'HsaBackupTooOld'), {}, String(27 * 3600))] },
            { eval_time: '27h', alertname: 'HsaBackupNeverSucceeded', exp_alerts: [] },
          ],
        },
        {
          interval: '5m',
          // No backup of this schedule ever: absent for 26 h.
          input_series: [series('velero_backup_last_successful_timestamp', { schedule: 'another', hsa_site: 'B' }, '0x340')],
          alert_rule_test: [
            { eval_time: '25h', alertname: 'HsaBackupNeverSucceeded', exp_alerts: [] },
            { eval_time: '27h', alertname: 'HsaBackupNeverSucceeded', exp_alerts: [firing(rule(standby, 'HsaBackupNeverSucceeded'), veleroB, '1')] },
          ],
        },
      ],
    },
  };
  expect(BACKUP_MAX_AGE_SECONDS).toBe(26 * 3600);
  const testFiles = Object.entries(cases).map(([name, content]) => {
    const file = join(dir, `${name}.test.yml`);
    writeFileSync(file, stringify(content, { lineWidth: 0 }));
    return file;
  });
  const result = promtool('test', 'rules', ...testFiles);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  expect(result.output.match(/SUCCESS/g)).toHaveLength(3);

  // Deliberately broken: the link alert watching the wrong value stays silent, and the test says so.
  writeFileSync(standbyRules, readFileSync(standbyRules, 'utf8').replace(/redis_master_link_up\{([^}]*)\} == 0/, 'redis_master_link_up{$1} == 2'));
  const broken = promtool('test', 'rules', testFiles[0]!);
  expect(broken.status).not.toBe(0);
  expect(broken.output).toContain('HsaRedisReplicationLinkDown');
});

test('promtool test rules: each Kafka and CloudNativePG alert fires when it should and stays silent when it should not', () => {
  const ningxia = province('ningxia');
  const standby = ningxia.units.find((u) => u.stackName === 'ningxia-core-b')!;
  const rules = unitAlertRules(ningxia, standby).flatMap((g) => g.rules);
  const rule = (alert: string) => rules.find((r) => r.alert === alert)!;
  const ruleFile = (name: string, pair: string) => {
    const file = join(dir, `${name}.rules.yml`);
    writeFileSync(file, renderRuleFile(unitAlertRules(ningxia, standby).map((g) => ({ name: g.name, rules: g.rules.filter((r) => r.labels.hsa_pair === pair) })).filter((g) => g.rules.length > 0)));
    return file;
  };
  const kafka = { hsa_pair: 'kafka@core', hsa_site: 'B' };
  const brokers = { job: 'kafka-brokers', ...kafka };
  const mirror = { job: 'kafka-mirror', ...kafka };
  const database = { job: 'database', hsa_pair: 'database@core', hsa_site: 'B' };
  const task = (status: string) => ({ ...mirror, instance: '10.65.3.7:9404', connector: 'core-a->core-b.MirrorSourceConnector', task: '0', status });
  const cases = {
    kafka: {
      rule_files: [ruleFile('standby-kafka', 'kafka@core')],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          input_series: [
            // Three brokers; the third stops answering at 60 s.
            series('up', { ...brokers, instance: '10.65.3.1:9404' }, '1x25'),
            series('up', { ...brokers, instance: '10.65.3.2:9404' }, '1x25'),
            series('up', { ...brokers, instance: '10.65.3.3:9404' }, '1x3 0x22'),
            series('kafka_server_replicamanager_underreplicatedpartitions', { ...brokers, instance: '10.65.3.1:9404' }, '0x25'),
            // MirrorMaker 2's one worker answers until 75 s.
            series('up', { ...mirror, instance: '10.65.3.7:9404' }, '1x5 0x20'),
            // Its task runs, then fails from 120 s; the replication latency passes 60 s at 120 s.
            series('kafka_connect_connector_task_status', task('running'), '1x7 _x18'),
            series('kafka_connect_connector_task_status', task('failed'), '_x8 1x17'),
            series('kafka_mirror_source_replication_latency_ms_max', { ...mirror, instance: '10.65.3.7:9404', source: 'core-a', target: 'core-b', topic: 'proj-hxjb.settle', partition: '0' }, '500x7 90000x18'),
            // Its task's fetches from site A stop completing after 135 s (the link cut).
            series('kafka_mirror_source_consumer_fetch_total', { ...mirror, instance: '10.65.3.7:9404', flow: 'core-a->core-b', task: 'core-a->core-b.MirrorSourceConnector-0' }, '0+10x9 90x16'),
          ],
          alert_rule_test: [
            { eval_time: '105s', alertname: 'HsaKafkaBrokerDown', exp_alerts: [] },
            { eval_time: '135s', alertname: 'HsaKafkaBrokerDown', exp_alerts: [firing(rule('HsaKafkaBrokerDown'), {}, '2')] },
            { eval_time: '300s', alertname: 'HsaKafkaUnderReplicated', exp_alerts: [] },
            { eval_time: '135s', alertname: 'HsaKafkaMirrorDown', exp_alerts: [] },
            { eval_time: '165s', alertname: 'HsaKafkaMirrorDown', exp_alerts: [firing(rule('HsaKafkaMirrorDown'), {}, '1')] },
            { eval_time: '165s', alertname: 'HsaKafkaMirrorTaskNotRunning', exp_alerts: [] },
            { eval_time: '195s', alertname: 'HsaKafkaMirrorTaskNotRunning', exp_alerts: [firing(rule('HsaKafkaMirrorTaskNotRunning'), { connector: 'core-a->core-b.MirrorSourceConnector', task: '0' }, '1')] },
            { eval_time: '210s', alertname: 'HsaKafkaMirrorLinkDown', exp_alerts: [] },
            { eval_time: '240s', alertname: 'HsaKafkaMirrorLinkDown', exp_alerts: [firing(rule('HsaKafkaMirrorLinkDown'), { flow: 'core-a->core-b' }, '0')] },
            { eval_time: '225s', alertname: 'HsaKafkaMirrorLagging', exp_alerts: [] },
            { eval_time: '255s', alertname: 'HsaKafkaMirrorLagging', exp_alerts: [firing(rule('HsaKafkaMirrorLagging'), {}, '90000')] },
          ],
        },
      ],
    },
    database: {
      rule_files: [ruleFile('standby-database', 'database@core')],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          input_series: [
            series('cnpg_collector_up', database, '1x50'),
            // The WAL receiver stops at 120 s; the replay is 45 s behind from 120 s.
            series('cnpg_pg_replication_is_wal_receiver_up', database, '1x7 0x43'),
            series('cnpg_pg_replication_lag', database, '0x7 45x43'),
            series('cnpg_pg_replication_in_recovery', database, '1x50'),
            series('cnpg_collector_pg_wal_archive_status', { ...database, value: 'ready' }, '2x50'),
          ],
          alert_rule_test: [
            { eval_time: '135s', alertname: 'HsaDatabaseReplicationLinkDown', exp_alerts: [] },
            { eval_time: '165s', alertname: 'HsaDatabaseReplicationLinkDown', exp_alerts: [firing(rule('HsaDatabaseReplicationLinkDown'), {}, '0')] },
            { eval_time: '165s', alertname: 'HsaDatabaseStandbyBehind', exp_alerts: [] },
            { eval_time: '195s', alertname: 'HsaDatabaseStandbyBehind', exp_alerts: [firing(rule('HsaDatabaseStandbyBehind'), {}, '45')] },
            { eval_time: '600s', alertname: 'HsaDatabaseDown', exp_alerts: [] },
            { eval_time: '600s', alertname: 'HsaDatabaseSplitBrain', exp_alerts: [] },
            { eval_time: '600s', alertname: 'HsaDatabaseWalNotArchived', exp_alerts: [] },
          ],
        },
        {
          interval: '15s',
          // Promoted at 45 s while site A stays active; the instance stops answering at 300 s; WAL piles up.
          input_series: [
            series('cnpg_pg_replication_in_recovery', database, '1x2 0x60'),
            series('cnpg_collector_up', database, '1x19 0x40'),
            series('cnpg_collector_pg_wal_archive_status', { ...database, value: 'ready' }, '50x60'),
          ],
          alert_rule_test: [
            { eval_time: '45s', alertname: 'HsaDatabaseSplitBrain', exp_alerts: [] },
            { eval_time: '90s', alertname: 'HsaDatabaseSplitBrain', exp_alerts: [firing(rule('HsaDatabaseSplitBrain'), {}, '0')] },
            { eval_time: '330s', alertname: 'HsaDatabaseDown', exp_alerts: [] },
            { eval_time: '390s', alertname: 'HsaDatabaseDown', exp_alerts: [firing(rule('HsaDatabaseDown'), {}, '1')] },
            { eval_time: '540s', alertname: 'HsaDatabaseWalNotArchived', exp_alerts: [] },
            { eval_time: '660s', alertname: 'HsaDatabaseWalNotArchived', exp_alerts: [firing(rule('HsaDatabaseWalNotArchived'), {}, '50')] },
          ],
        },
      ],
    },
  };
  const testFiles = Object.entries(cases).map(([name, content]) => {
    const file = join(dir, `${name}.test.yml`);
    writeFileSync(file, stringify(content, { lineWidth: 0 }));
    return file;
  });
  const result = promtool('test', 'rules', ...testFiles);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });

  // Deliberately broken: a lag bound of an hour keeps the lag alert silent, and the test says so.
  const databaseRules = join(dir, 'standby-database.rules.yml');
  writeFileSync(databaseRules, readFileSync(databaseRules, 'utf8').replace(/(cnpg_pg_replication_lag\{[^}]*\}\)) > \d+/, '$1 > 3600'));
  const broken = promtool('test', 'rules', testFiles[1]!);
  expect(broken.status).not.toBe(0);
  expect(broken.output).toContain('HsaDatabaseStandbyBehind');
});

test('promtool test rules: each alert of a PostgreSQL outside the clusters (postgres_exporter\'s series) fires when it should and stays silent when it should not', () => {
  const demo = province('demo');
  const standby = demo.units.find((u) => u.stackName === 'demo-core-b')!;
  const groups = unitAlertRules(demo, standby).map((g) => ({ name: g.name, rules: g.rules.filter((r) => r.labels.hsa_pair === 'database@core') })).filter((g) => g.rules.length > 0);
  const rule = (alert: string) => groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!;
  const rules = join(dir, 'outside-database.rules.yml');
  writeFileSync(rules, renderRuleFile(groups));
  const database = { job: 'database', hsa_pair: 'database@core', hsa_site: 'B' };
  const receiver = { ...database, upstream_host: '10.10.2.40', slot_name: '' };
  const cases = {
    rule_files: [rules],
    evaluation_interval: '15s',
    tests: [
      {
        interval: '15s',
        input_series: [
          series('pg_up', database, '1x50'),
          series('pg_replication_is_replica', database, '1x50'),
          // The WAL receiver streams until 120 s, then is gone (the link cut: the exporter no longer serves the
          // series, which Prometheus marks stale at the next scrape); a row saying "starting" (a new receiver connecting) appears.
          series('pg_stat_wal_receiver_received_tli', { ...receiver, status: 'streaming' }, '1x7 stale'),
          series('pg_stat_wal_receiver_received_tli', { ...receiver, status: 'starting' }, '_x8 1x42'),
          // The replay falls 45 s behind from 120 s.
          series('pg_replication_lag_seconds', database, '0x7 45x43'),
          series('pg_stat_archiver_failed_count', database, '3x50'),
        ],
        alert_rule_test: [
          { eval_time: '105s', alertname: 'HsaDatabaseReplicationLinkDown', exp_alerts: [] },
          { eval_time: '135s', alertname: 'HsaDatabaseReplicationLinkDown', exp_alerts: [] },
          { eval_time: '165s', alertname: 'HsaDatabaseReplicationLinkDown', exp_alerts: [firing(rule('HsaDatabaseReplicationLinkDown'), {}, '1')] },
          { eval_time: '165s', alertname: 'HsaDatabaseStandbyBehind', exp_alerts: [] },
          { eval_time: '195s', alertname: 'HsaDatabaseStandbyBehind', exp_alerts: [firing(rule('HsaDatabaseStandbyBehind'), {}, '45')] },
          { eval_time: '600s', alertname: 'HsaDatabaseDown', exp_alerts: [] },
          { eval_time: '600s', alertname: 'HsaDatabaseSplitBrain', exp_alerts: [] },
          // Failures counted before (a constant count) are not failures now.
          { eval_time: '720s', alertname: 'HsaDatabaseWalNotArchived', exp_alerts: [] },
        ],
      },
      {
        interval: '15s',
        // Promoted at 45 s while site A stays active; the server stops answering at 300 s; archiving fails once a minute from the start.
        input_series: [
          series('pg_replication_is_replica', database, '1x2 0x60'),
          series('pg_up', database, '1x19 0x40'),
          series('pg_stat_archiver_failed_count', database, '0+0.25x60'),
        ],
        alert_rule_test: [
          { eval_time: '45s', alertname: 'HsaDatabaseSplitBrain', exp_alerts: [] },
          { eval_time: '90s', alertname: 'HsaDatabaseSplitBrain', exp_alerts: [firing(rule('HsaDatabaseSplitBrain'), {}, '0')] },
          { eval_time: '330s', alertname: 'HsaDatabaseDown', exp_alerts: [] },
          { eval_time: '390s', alertname: 'HsaDatabaseDown', exp_alerts: [firing(rule('HsaDatabaseDown'), {}, '1')] },
          { eval_time: '600s', alertname: 'HsaDatabaseWalNotArchived', exp_alerts: [] },
          { eval_time: '660s', alertname: 'HsaDatabaseWalNotArchived', exp_alerts: [firing(rule('HsaDatabaseWalNotArchived'), {}, '10')] },
        ],
      },
    ],
  };
  const testFile = join(dir, 'outside-database.test.yml');
  writeFileSync(testFile, stringify(cases, { lineWidth: 0 }));
  expect(promtool('test', 'rules', testFile)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });

  // Deliberately broken: the link rule reading any WAL receiver row, not a streaming one, misses the cut.
  writeFileSync(rules, readFileSync(rules, 'utf8').replace(', status="streaming"})', '})'));
  const broken = promtool('test', 'rules', testFile);
  expect(broken.status).not.toBe(0);
  expect(broken.output).toContain('HsaDatabaseReplicationLinkDown');
});

test("promtool test rules: another database product's down alert fires on the blackbox exporter's probe of its own site, not on the other site's", () => {
  const json = environmentJson('demo');
  (json.middleware as Record<string, unknown>).database = { product: 'other', name: 'DM8', port: 5236, check: { command: ['/opt/dm/check.sh'] } };
  const loaded = parseJson(json);
  const other = resolveProvince(loaded.name, loaded.environment);
  const unit = other.units.find((u) => u.stackName === 'demo-core-a')!;
  const groups = unitAlertRules(other, unit).map((g) => ({ name: g.name, rules: g.rules.filter((r) => r.labels.hsa_pair === 'database@core') })).filter((g) => g.rules.length > 0);
  const down = groups.flatMap((g) => g.rules).find((r) => r.alert === 'HsaDatabaseDown')!;
  const rules = join(dir, 'other-database.rules.yml');
  writeFileSync(rules, renderRuleFile(groups));
  const probe = { job: 'probe-tcp_connect', hsa_pair: 'database@core', hsa_site: 'A' };
  const cases = {
    rule_files: [rules],
    evaluation_interval: '15s',
    tests: [
      {
        interval: '15s',
        // Its own server refuses from 120 s; a probe of the other site's answering throughout (the toolkit probes
        // none, but a rule that read any target of the pair would be satisfied by it).
        input_series: [series('probe_success', { ...probe, hsa_target_site: 'A' }, '1x7 0x20'), series('probe_success', { ...probe, hsa_target_site: 'B' }, '1x27')],
        alert_rule_test: [
          { eval_time: '105s', alertname: 'HsaDatabaseDown', exp_alerts: [] },
          { eval_time: '165s', alertname: 'HsaDatabaseDown', exp_alerts: [] },
          { eval_time: '195s', alertname: 'HsaDatabaseDown', exp_alerts: [firing(down, {}, '0')] },
        ],
      },
    ],
  };
  const testFile = join(dir, 'other-database.test.yml');
  writeFileSync(testFile, stringify(cases, { lineWidth: 0 }));
  expect(promtool('test', 'rules', testFile)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  writeFileSync(rules, readFileSync(rules, 'utf8').replace(', hsa_target_site="A"}', '}'));
  expect(promtool('test', 'rules', testFile).status).not.toBe(0);
});

test('promtool test rules: the FastDFS, DNS controller, load balancer, certificate and gateway alerts fire when they should and stay silent when they should not', () => {
  const demo = province('demo');
  const standby = demo.units.find((u) => u.stackName === 'demo-core-b')!;
  const rules = unitAlertRules(demo, standby).flatMap((g) => g.rules);
  const rule = (alert: string) => rules.find((r) => r.alert === alert)!;
  const file = join(dir, 'standby-traffic.rules.yml');
  writeFileSync(file, renderRuleFile(unitAlertRules(demo, standby).filter((g) => /^hsa-(fastdfs|traffic|gateway)-/.test(g.name))));
  const fastdfs = (target: string, port: string) => ({ job: 'probe-tcp_connect', hsa_pair: 'fastdfs@core', hsa_site: 'B', hsa_target_site: target, hsa_port: port, instance: `${target === 'A' ? '10.10.2.24' : '10.20.2.24'}:${port === 'tracker' ? 22122 : 23000}` });
  const probe = (job: string, what: string, extra: Record<string, string> = {}) => ({ job: `probe-${job}`, hsa_probe: what, hsa_site: 'B', ...extra });
  const gateway = { job: 'gateway', hsa_site: 'B', instance: '10.20.9.1:8100' };
  const calls = (consumer: string, code: string) => ({ ...gateway, service: 'settlement', route: 'settlement-route', code, source: 'service', workspace: 'default', consumer });
  const day = 86400;
  const tests = {
    rule_files: [file],
    evaluation_interval: '15s',
    tests: [
      {
        interval: '15s',
        input_series: [
          // Site B's own tracker and storage answer; site A's storage stops answering at 120 s.
          series('probe_success', fastdfs('B', 'tracker'), '1x30'),
          series('probe_success', fastdfs('B', 'storage'), '1x30'),
          series('probe_success', fastdfs('A', 'tracker'), '1x30'),
          series('probe_success', fastdfs('A', 'storage'), '1x7 0x22'),
          // The DNS controller stops answering at 60 s; the load balancer answers throughout.
          series('probe_success', probe('dns_zone', 'dns-controller', { instance: `${standby.dnsVip}:53` }), '1x3 0x26'),
          series('probe_success', probe('tcp_connect', 'load-balancer', { instance: `${standby.ingressVip}:80` }), '1x30'),
          // Redis's certificate expires in 10 days (a warning), Kafka's in 100 (nothing).
          series('probe_ssl_earliest_cert_expiry', probe('tls_certificate', 'certificate', { hsa_endpoint: 'redis-cache@core', instance: '10.20.2.21:6379' }), `${10 * day}x60`),
          series('probe_ssl_earliest_cert_expiry', probe('tls_certificate', 'certificate', { hsa_endpoint: 'kafka@core', instance: '10.20.2.23:9094' }), `${100 * day}x60`),
        ],
        alert_rule_test: [
          { eval_time: '450s', alertname: 'HsaFastdfsDown', exp_alerts: [] },
          { eval_time: '450s', alertname: 'HsaFastdfsUnwatched', exp_alerts: [] },
          { eval_time: '165s', alertname: 'HsaFastdfsPeerUnreachable', exp_alerts: [] },
          { eval_time: '195s', alertname: 'HsaFastdfsPeerUnreachable', exp_alerts: [firing(rule('HsaFastdfsPeerUnreachable'), { hsa_port: 'storage' }, '0')] },
          { eval_time: '105s', alertname: 'HsaDnsControllerDown', exp_alerts: [] },
          { eval_time: '135s', alertname: 'HsaDnsControllerDown', exp_alerts: [firing(rule('HsaDnsControllerDown'), {}, '0')] },
          { eval_time: '450s', alertname: 'HsaLoadBalancerDown', exp_alerts: [] },
          { eval_time: '540s', alertname: 'HsaCertificateExpiresSoon', exp_alerts: [] },
          { eval_time: '660s', alertname: 'HsaCertificateExpiresSoon', exp_alerts: [firing(rule('HsaCertificateExpiresSoon'), { hsa_endpoint: 'redis-cache@core', instance: '10.20.2.21:6379' }, String(10 * day - 660))] },
          { eval_time: '660s', alertname: 'HsaCertificateExpiresVerySoon', exp_alerts: [] },
        ],
      },
      {
        interval: '15s',
        input_series: [
          series('up', gateway, '1x40'),
          // Institution H0001: 10 calls/s, 2 of them 5xx from 60 s (20 %); H0002: 10 calls/s, none failing.
          series('kong_http_requests_total', calls('H0001', '200'), '0+150x40'),
          series('kong_http_requests_total', calls('H0001', '500'), '0x3 0+30x36'),
          series('kong_http_requests_total', calls('H0002', '200'), '0+150x40'),
          // Route latency: every call within 100 ms.
          series('kong_request_latency_ms_bucket', { ...gateway, service: 'settlement', route: 'settlement-route', workspace: 'default', le: '100' }, '0+300x40'),
          series('kong_request_latency_ms_bucket', { ...gateway, service: 'settlement', route: 'settlement-route', workspace: 'default', le: '+Inf' }, '0+300x40'),
        ],
        alert_rule_test: [
          { eval_time: '300s', alertname: 'HsaGatewayInstitutionErrors', exp_alerts: [] },
          { eval_time: '600s', alertname: 'HsaGatewayInstitutionErrors', exp_alerts: [firing(rule('HsaGatewayInstitutionErrors'), { consumer: 'H0001' }, '0.16666666666666666')] },
          { eval_time: '600s', alertname: 'HsaGatewaySlow', exp_alerts: [] },
          { eval_time: '600s', alertname: 'HsaGatewayDown', exp_alerts: [] },
        ],
      },
    ],
  };
  const testFile = join(dir, 'traffic.test.yml');
  writeFileSync(testFile, stringify(tests, { lineWidth: 0 }));
  const result = promtool('test', 'rules', testFile);
  if (result.status !== 0) console.log(result.output);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });

  // Deliberately broken: the peer probe read as this site's own stays silent, and the test says so.
  writeFileSync(file, readFileSync(file, 'utf8').replace(/hsa_target_site="A"/, 'hsa_target_site="B"'));
  const broken = promtool('test', 'rules', testFile);
  expect(broken.status).not.toBe(0);
  expect(broken.output).toContain('HsaFastdfsPeerUnreachable');
});

test("every dashboard query of every province is valid PromQL to Prometheus's own parser (promtool), and a broken one is not", () => {
  // Grafana's variables as Grafana fills them in before it queries.
  const filled = (expr: string) => expr.replace(/\$__rate_interval/g, '1m');
  const check = (name: string, exprs: readonly string[]) => {
    const file = join(dir, `${name}.dashboard-queries.yml`);
    writeFileSync(file, stringify({ groups: [{ name, rules: exprs.map((expr, i) => ({ record: `hsa:dashboard_query:${i}`, expr: filled(expr) })) }] }, { lineWidth: 0 }));
    return promtool('check', 'rules', file);
  };
  let queries = 0;
  for (const name of listEnvironments(ENVIRONMENTS_DIR)) {
    const model = province(name);
    for (const unit of model.units) {
      const exprs = unitDashboards(model, unit).flatMap((dashboard) => dashboardQueries(dashboard.json));
      const checked = check(unit.stackName, exprs);
      expect({ stack: unit.stackName, ...checked }).toEqual({ stack: unit.stackName, status: 0, output: expect.stringMatching(/SUCCESS: \d+ rules found/) });
      queries += exprs.length;
    }
  }
  expect(queries).toBeGreaterThan(100);
  expect(check('broken', ['sum by (job) (rate(up[$__rate_interval])'])).toEqual({ status: 1, output: expect.stringContaining('FAILED') });
});

test('promtool test rules: the memory and volume thresholds (the environment\'s or the defaults) fire above them and not below', () => {
  const ningxia = province('ningxia');
  const standby = ningxia.units.find((u) => u.stackName === 'ningxia-core-b')!;
  const rules = unitAlertRules(ningxia, standby).flatMap((g) => g.rules);
  const rule = (alert: string, pair?: string) => rules.find((r) => r.alert === alert && (pair === undefined || r.labels.hsa_pair === pair))!;
  const file = join(dir, 'thresholds.rules.yml');
  const wanted = ['HsaRedisMemoryHigh', 'HsaKafkaVolumeHigh', 'HsaDatabaseVolumeHigh', 'HsaMonitoringVolumeHigh'];
  writeFileSync(file, renderRuleFile(unitAlertRules(ningxia, standby).map((g) => ({ name: g.name, rules: g.rules.filter((r) => wanted.includes(r.alert)) })).filter((g) => g.rules.length > 0)));
  const redis = standby.middlewarePlan.redis.find((r) => r.role === 'redis-cache')!;
  const cache = { job: 'redis', hsa_pair: 'redis-cache@core', hsa_site: 'B' };
  const session = { job: 'redis', hsa_pair: 'redis-session@core', hsa_site: 'B' };
  const maxBytes = redis.memoryMiB * 1024 * 1024;
  const kafka = standby.middlewarePlan.kafka!;
  const brokerBytes = kafka.storageGiB * 1024 ** 3;
  const cluster = standby.middlewarePlan.database!.product.kind === 'cloudnative-pg' ? standby.middlewarePlan.database!.product.cluster : undefined;
  const databaseBytes = cluster!.storageGiB * 1024 ** 3;
  const monitoringBytes = (ningxia.observability!.storageGiB ?? 50) * 1024 ** 3;
  const tests = {
    rule_files: [file],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          // The cache at 90 % of maxmemory (above 85 %), the session store at 50 %.
          series('redis_memory_used_bytes', cache, `${0.9 * maxBytes}x30`),
          series('redis_memory_max_bytes', cache, `${maxBytes}x30`),
          series('redis_memory_used_bytes', session, `${0.5 * maxBytes}x30`),
          series('redis_memory_max_bytes', session, `${maxBytes}x30`),
          // One broker's partitions add up to 90 % of its volume; the other's to 10 %.
          series('kafka_log_log_size', { job: 'kafka-brokers', hsa_pair: 'kafka@core', hsa_site: 'B', instance: 'b0', topic: 't', partition: '0' }, `${0.6 * brokerBytes}x30`),
          series('kafka_log_log_size', { job: 'kafka-brokers', hsa_pair: 'kafka@core', hsa_site: 'B', instance: 'b0', topic: 't', partition: '1' }, `${0.3 * brokerBytes}x30`),
          series('kafka_log_log_size', { job: 'kafka-brokers', hsa_pair: 'kafka@core', hsa_site: 'B', instance: 'b1', topic: 't', partition: '2' }, `${0.1 * brokerBytes}x30`),
          // The databases at 40 %: silent. Prometheus's blocks and WAL at 95 %.
          series('cnpg_pg_database_size_bytes', { job: 'database', hsa_pair: 'database@core', hsa_site: 'B', datname: 'hsa' }, `${0.4 * databaseBytes}x30`),
          series('prometheus_tsdb_storage_blocks_bytes', { job: 'prometheus', instance: 'localhost:9090' }, `${0.9 * monitoringBytes}x60`),
          series('prometheus_tsdb_wal_storage_size_bytes', { job: 'prometheus', instance: 'localhost:9090' }, `${0.05 * monitoringBytes}x60`),
        ],
        alert_rule_test: [
          { eval_time: '5m', alertname: 'HsaRedisMemoryHigh', exp_alerts: [] },
          { eval_time: '11m', alertname: 'HsaRedisMemoryHigh', exp_alerts: [firing(rule('HsaRedisMemoryHigh', 'redis-cache@core'), {}, '0.9')] },
          { eval_time: '11m', alertname: 'HsaKafkaVolumeHigh', exp_alerts: [firing(rule('HsaKafkaVolumeHigh'), {}, '0.9')] },
          { eval_time: '11m', alertname: 'HsaDatabaseVolumeHigh', exp_alerts: [] },
          { eval_time: '20m', alertname: 'HsaMonitoringVolumeHigh', exp_alerts: [] },
          { eval_time: '31m', alertname: 'HsaMonitoringVolumeHigh', exp_alerts: [firing(rule('HsaMonitoringVolumeHigh'), {}, '0.95')] },
        ],
      },
    ],
  };
  const testFile = join(dir, 'thresholds.test.yml');
  writeFileSync(testFile, stringify(tests, { lineWidth: 0 }));
  const result = promtool('test', 'rules', testFile);
  if (result.status !== 0) console.log(result.output);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  // Deliberately broken: a threshold of 95 % keeps the cache's alert silent, and the test says so.
  writeFileSync(file, readFileSync(file, 'utf8').replace(/(redis_memory_max_bytes\{[^}]*\}\)) > 0\.85/g, '$1 > 0.95'));
  const broken = promtool('test', 'rules', testFile);
  expect(broken.status).not.toBe(0);
  expect(broken.output).toContain('HsaRedisMemoryHigh');
});

test("promtool test rules: the cluster's CPU, memory, disk and volume alerts (nodes and containers, from the kubelets) fire above the thresholds and not below, and a lost kubelet or discovery is named", () => {
  const demo = province('demo');
  const unit = demo.units.find((u) => u.stackName === 'demo-core-a')!;
  const groups = unitAlertRules(demo, unit).filter((g) => g.name === 'hsa-cluster-core-a');
  expect(groups).toHaveLength(1);
  const rule = (alert: string) => groups[0]!.rules.find((r) => r.alert === alert)!;
  const file = join(dir, 'cluster.rules.yml');
  writeFileSync(file, renderRuleFile(groups));
  const GiB = 1024 ** 3;
  const MiB = 1024 ** 2;
  const cadvisor = (labels: Record<string, string>) => ({ job: CADVISOR_JOB, hsa_site: 'A', ...labels });
  const kubelet = (labels: Record<string, string>) => ({ job: KUBELET_JOB, hsa_site: 'A', ...labels });
  const busy = { namespace: 'proj-hxjb', pod: 'settlement-0', container: 'app' };
  const unlimited = { namespace: 'proj-hxjb', pod: 'batch-0', container: 'app' };
  const tests = {
    rule_files: [file],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          series('up', kubelet({ node: 'n1', instance: '10.10.12.11:10250' }), '1x30'),
          series('up', kubelet({ node: 'n2', instance: '10.10.12.12:10250' }), '0x30'),
          // Node n1 busy 4.5 of its 5 cores (90 %, above 80 %); n2 1 of 5.
          series('container_cpu_usage_seconds_total', cadvisor({ node: 'n1', id: '/' }), '0+270x30'),
          series('machine_cpu_cores', cadvisor({ node: 'n1' }), '5x30'),
          series('container_cpu_usage_seconds_total', cadvisor({ node: 'n2', id: '/' }), '0+60x30'),
          series('machine_cpu_cores', cadvisor({ node: 'n2' }), '5x30'),
          // n1's memory at 90 %, n2's at 50 %; n1's root disk at 90 %, n2's at 40 %.
          series('container_memory_working_set_bytes', cadvisor({ node: 'n1', id: '/' }), `${0.9 * 16 * GiB}x30`),
          series('machine_memory_bytes', cadvisor({ node: 'n1' }), `${16 * GiB}x30`),
          series('container_memory_working_set_bytes', cadvisor({ node: 'n2', id: '/' }), `${0.5 * 16 * GiB}x30`),
          series('machine_memory_bytes', cadvisor({ node: 'n2' }), `${16 * GiB}x30`),
          series('container_fs_usage_bytes', cadvisor({ node: 'n1', id: '/', device: '/dev/sda1' }), `${0.9 * 100 * GiB}x30`),
          series('container_fs_limit_bytes', cadvisor({ node: 'n1', id: '/', device: '/dev/sda1' }), `${100 * GiB}x30`),
          series('container_fs_usage_bytes', cadvisor({ node: 'n2', id: '/', device: '/dev/sda1' }), `${0.4 * 100 * GiB}x30`),
          series('container_fs_limit_bytes', cadvisor({ node: 'n2', id: '/', device: '/dev/sda1' }), `${100 * GiB}x30`),
          // A container at 90 % of its 500m CPU limit and of its 512 MiB memory limit; one without limits
          // (quota and limit 0) using 2 cores and 3 GiB: no ratio, no alert.
          series('container_cpu_usage_seconds_total', cadvisor({ node: 'n1', id: '/kubepods/x', ...busy }), '0+27x30'),
          series('container_spec_cpu_quota', cadvisor({ node: 'n1', id: '/kubepods/x', ...busy }), '50000x30'),
          series('container_spec_cpu_period', cadvisor({ node: 'n1', id: '/kubepods/x', ...busy }), '100000x30'),
          series('container_memory_working_set_bytes', cadvisor({ node: 'n1', id: '/kubepods/x', ...busy }), `${0.9 * 512 * MiB}x30`),
          series('container_spec_memory_limit_bytes', cadvisor({ node: 'n1', id: '/kubepods/x', ...busy }), `${512 * MiB}x30`),
          series('container_cpu_usage_seconds_total', cadvisor({ node: 'n2', id: '/kubepods/y', ...unlimited }), '0+120x30'),
          series('container_spec_cpu_quota', cadvisor({ node: 'n2', id: '/kubepods/y', ...unlimited }), '0x30'),
          series('container_spec_cpu_period', cadvisor({ node: 'n2', id: '/kubepods/y', ...unlimited }), '100000x30'),
          series('container_memory_working_set_bytes', cadvisor({ node: 'n2', id: '/kubepods/y', ...unlimited }), `${3 * GiB}x30`),
          series('container_spec_memory_limit_bytes', cadvisor({ node: 'n2', id: '/kubepods/y', ...unlimited }), '0x30'),
          // One volume at 90 %, another at 10 %.
          series('kubelet_volume_stats_used_bytes', kubelet({ node: 'n1', namespace: 'hsa-middleware', persistentvolumeclaim: 'data-redis-0' }), `${9 * GiB}x30`),
          series('kubelet_volume_stats_capacity_bytes', kubelet({ node: 'n1', namespace: 'hsa-middleware', persistentvolumeclaim: 'data-redis-0' }), `${10 * GiB}x30`),
          series('kubelet_volume_stats_used_bytes', kubelet({ node: 'n2', namespace: 'hsa-middleware', persistentvolumeclaim: 'data-redis-1' }), `${1 * GiB}x30`),
          series('kubelet_volume_stats_capacity_bytes', kubelet({ node: 'n2', namespace: 'hsa-middleware', persistentvolumeclaim: 'data-redis-1' }), `${10 * GiB}x30`),
        ],
        alert_rule_test: [
          { eval_time: '9m', alertname: 'HsaKubeletUnreachable', exp_alerts: [] },
          { eval_time: '11m', alertname: 'HsaKubeletUnreachable', exp_alerts: [firing(rule('HsaKubeletUnreachable'), { node: 'n2', instance: '10.10.12.12:10250', job: KUBELET_JOB }, '0')] },
          { eval_time: '20m', alertname: 'HsaClusterMetricsMissing', exp_alerts: [] },
          { eval_time: '14m', alertname: 'HsaNodeCpuHigh', exp_alerts: [] },
          { eval_time: '21m', alertname: 'HsaNodeCpuHigh', exp_alerts: [firing(rule('HsaNodeCpuHigh'), { node: 'n1' }, '0.9')] },
          { eval_time: '21m', alertname: 'HsaNodeMemoryHigh', exp_alerts: [firing(rule('HsaNodeMemoryHigh'), { node: 'n1' }, '0.9')] },
          { eval_time: '21m', alertname: 'HsaNodeDiskHigh', exp_alerts: [firing(rule('HsaNodeDiskHigh'), { node: 'n1', device: '/dev/sda1' }, '0.9')] },
          { eval_time: '21m', alertname: 'HsaContainerCpuHigh', exp_alerts: [firing(rule('HsaContainerCpuHigh'), busy, '0.9')] },
          { eval_time: '9m', alertname: 'HsaContainerMemoryHigh', exp_alerts: [] },
          { eval_time: '11m', alertname: 'HsaContainerMemoryHigh', exp_alerts: [firing(rule('HsaContainerMemoryHigh'), busy, '0.9')] },
          { eval_time: '11m', alertname: 'HsaVolumeHigh', exp_alerts: [firing(rule('HsaVolumeHigh'), { namespace: 'hsa-middleware', persistentvolumeclaim: 'data-redis-0' }, '0.9')] },
        ],
      },
      {
        // No node found at all (the binding or the API server's policy missing): named after 15 minutes.
        interval: '1m',
        input_series: [series('up', { job: 'redis', hsa_site: 'A' }, '1x30')],
        alert_rule_test: [
          { eval_time: '14m', alertname: 'HsaClusterMetricsMissing', exp_alerts: [] },
          { eval_time: '16m', alertname: 'HsaClusterMetricsMissing', exp_alerts: [firing(rule('HsaClusterMetricsMissing'), { job: KUBELET_JOB }, '1')] },
        ],
      },
    ],
  };
  const testFile = join(dir, 'cluster.test.yml');
  writeFileSync(testFile, stringify(tests, { lineWidth: 0 }));
  const result = promtool('test', 'rules', testFile);
  if (result.status !== 0) console.log(result.output);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  // Deliberately broken: the containers' CPU ratio without its guard on a zero quota fires for the
  // container without a limit (a division by zero is +Inf), and the test says so.
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\(max by \(namespace, pod, container\) \(container_spec_cpu_quota\{([^}]*)\}\) > 0\)/, '(max by (namespace, pod, container) (container_spec_cpu_quota{$1}))'));
  const broken = promtool('test', 'rules', testFile);
  expect(broken.status).not.toBe(0);
  expect(broken.output).toContain('HsaContainerCpuHigh');
});
