/**
 * Backups built from the model (#15), read from the synthesized demo output. The chart accepts the
 * values in `npm run conformance` (vmware-tanzu/velero rendered at its pinned version, values schema
 * included); the commands the hooks run are restore-verified with real servers by the restore drill.
 */
import { computeDrLevel } from '../compliance/dr-level';
import type { StackJson } from '../compliance/types';
import { REDIS_BACKUP_SCRIPT } from '../pairs/redis/redis-backup';
import { databaseBackupJobCommand, POSTGRESQL_BACKUP_SCRIPT, vendorBackupSteps } from '../pairs/database/database-backup';
import { DATABASE_BACKUP_MOUNT, hourBefore, REDIS_HOOK_BACKUP_FILE } from '../model/backup-plan';
import { resolveProvince } from '../model/platform-model';
import { redisStartupGate } from '../pairs/redis/redis-plan';
import { environmentJson, loadEnvironment, parseJson, synthesizeStacks, type SynthesizedStack } from './support/fixtures';

interface VeleroValues {
  credentials: { existingSecret: string };
  deployNodeAgent: boolean;
  configuration: { backupStorageLocation: { bucket: string; prefix: string; config: { s3Url: string } }[]; defaultVolumesToFsBackup: boolean };
  schedules: Record<string, { schedule: string; template: { ttl: string; includedNamespaces: string[]; storageLocation: string } }>;
}

const stacks = synthesizeStacks([loadEnvironment('demo')]);
const releases = (stack: SynthesizedStack, chart: string) => Object.values(stack.resource.helm_release ?? {}).filter((r) => r.chart === chart);

test('every cluster backs up its middleware namespace daily, objects and volumes, to the other datacenter\'s store, with credentials from an existing Secret', () => {
  const seen: string[] = [];
  for (const [name, stack] of stacks) {
    const [velero] = releases(stack, 'velero');
    expect(velero).toBeDefined();
    const values = JSON.parse((velero!.values as string[])[0]!) as VeleroValues;
    const otherSite = name.endsWith('-a') ? '10.20.0.50' : '10.10.0.50';
    const [location] = values.configuration.backupStorageLocation;
    expect(location!.config.s3Url).toBe(`https://${otherSite}:9000`);
    expect(location!.prefix).toBe(name.replace(/^demo-(\w+)-(\w)$/, 'demo/$1-$2'));
    expect(values.credentials.existingSecret).toBe('hsa-backup-s3');
    expect(values.deployNodeAgent).toBe(true);
    expect(values.configuration.defaultVolumesToFsBackup).toBe(true);
    expect(values.schedules.daily).toEqual({ disabled: false, schedule: '0 2 * * *', template: { ttl: '720h0m0s', includedNamespaces: ['hsa-middleware'], storageLocation: 'offsite', defaultVolumesToFsBackup: true } });
    // The backup namespace reaches the API server and the store only.
    const policies = Object.entries(stack.resource.kubernetes_network_policy_v1 ?? {})
      .filter(([address]) => address.startsWith('Platform_Backup_'))
      .map(([, policy]) => policy);
    expect(policies.map((p) => (p.metadata as { name: string }).name).sort()).toEqual(['allow-cluster-dns', 'allow-from-monitoring', 'allow-same-namespace', 'allow-to-api-server', 'allow-to-offsite-store', 'default-deny']);
    seen.push(name);
  }
  expect(seen.sort()).toEqual(['demo-core-a', 'demo-core-b', 'demo-public-a', 'demo-public-b']);
});

test("each Redis primary dumps and checks its data before Velero copies its volume, with the restore drill's script unchanged", () => {
  let hooks = 0;
  for (const stack of stacks.values()) {
    for (const release of releases(stack, 'redis')) {
      const values = JSON.parse((release.values as string[])[0]!) as { master: { podAnnotations: Record<string, string> } };
      const annotations = values.master.podAnnotations;
      expect(annotations['pre.hook.backup.velero.io/on-error']).toBe('Fail');
      const [shell, flag, script] = JSON.parse(annotations['pre.hook.backup.velero.io/command']!) as string[];
      expect([shell, flag]).toEqual(['/bin/bash', '-c']);
      expect(script!.endsWith(REDIS_BACKUP_SCRIPT)).toBe(true);
      expect(script).toContain(`BACKUP_FILE=${REDIS_HOOK_BACKUP_FILE}`);
      hooks++;
    }
  }
  expect(hooks).toBe(8);
});

test('backups are not attested any more: the old attestation fields are refused with the way forward; a weekly schedule is refused', () => {
  const attested = environmentJson();
  (attested.compliance as { attestation: Record<string, unknown> }).attestation.dailyFullBackup = true;
  expect(() => parseJson(attested)).toThrow(/compliance\.attestation\.dailyFullBackup: received true; expected: nothing: dailyFullBackup is no longer attested, the toolkit builds the daily off-site backup from `backup`/);
  const weekly = environmentJson();
  (weekly.backup as { schedule: string }).schedule = '0 2 * * 0';
  expect(() => parseJson(weekly)).toThrow(/backup\.schedule: received "0 2 \* \* 0"; expected a cron schedule that runs at least once a day/);
  const byName = environmentJson();
  ((byName.backup as { stores: { A: { endpoint: string } } }).stores.A.endpoint = 'https://s3.example.internal');
  expect(() => parseJson(byName)).toThrow(/backup\.stores\.A\.endpoint: received "https:\/\/s3\.example\.internal"; expected an S3 endpoint at an IPv4 address/);
});

interface CronJobBody {
  metadata: { name: string; namespace: string };
  spec: {
    schedule: string;
    concurrency_policy: string;
    job_template: { spec: { template: { spec: { container: { image: string; command: string[]; env: { name: string; value?: string; value_from?: { secret_key_ref: { name: string; key: string } } }[]; volume_mount: { mount_path: string }[] }[]; volume: { persistent_volume_claim: { claim_name: string } }[] } } } };
  };
}

interface VendorContainer {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value?: string; value_from?: { secret_key_ref: { name: string; key: string } } }[];
  volume_mount: { name: string; mount_path: string }[];
  security_context: { read_only_root_filesystem: boolean };
}
interface VendorJobBody {
  spec: { job_template: { spec: { template: { spec: { init_container: VendorContainer[]; container: VendorContainer[] } } } } };
}

describe('the business database (middleware.database) is backed up at each site where it is used', () => {
  const jobs = (stack: SynthesizedStack) => Object.values(stack.resource.kubernetes_cron_job_v1 ?? {}) as unknown as CronJobBody[];

  test('daily, an hour before Velero, with the restore drill\'s PostgreSQL script, this site\'s own database instance, the role from an existing Secret, onto a volume Velero copies off site', () => {
    for (const site of ['a', 'b']) {
      const stack = stacks.get(`demo-core-${site}`)!;
      const [job] = jobs(stack);
      expect(job).toBeDefined();
      expect(job!.spec.schedule).toBe('0 1 * * *');
      expect(job!.spec.concurrency_policy).toBe('Forbid');
      const pod = job!.spec.job_template.spec.template.spec;
      const container = pod.container[0]!;
      expect(container.command).toEqual(databaseBackupJobCommand(DATABASE_BACKUP_MOUNT));
      expect(container.command[2]).toContain(POSTGRESQL_BACKUP_SCRIPT);
      expect(container.image).toBe('registry.demo.hsa.internal/hsa/postgresql:17.6.0-debian-12-r4');
      const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? e.value_from!.secret_key_ref]));
      // This site's own instance (the stable name would lead both sites to the active one).
      expect(env).toEqual({ PGHOST: site === 'a' ? '10.10.2.40' : '10.20.2.40', PGPORT: '5432', PGUSER: { name: 'hsa-db-backup', key: 'username' }, PGPASSWORD: { name: 'hsa-db-backup', key: 'password' } });
      expect(container.volume_mount[0]!.mount_path).toBe(DATABASE_BACKUP_MOUNT);
      const claim = Object.values(stack.resource.kubernetes_persistent_volume_claim_v1 ?? {}).find((c) => (c.metadata as { name: string }).name === 'database-backup')!;
      expect(claim).toMatchObject({ lifecycle: { prevent_destroy: true }, spec: { resources: { requests: { storage: '100Gi' } } } });
      // The namespace the job and its volume live in is the one Velero's daily schedule backs up, volumes included.
      expect(job!.metadata.namespace).toContain('Platform_Middleware_Namespace');
      const velero = JSON.parse((releases(stack, 'velero')[0]!.values as string[])[0]!) as VeleroValues;
      expect(velero.schedules.daily!.template.includedNamespaces).toEqual(['hsa-middleware']);
    }
    // The public zone uses no database: no job there.
    expect(jobs(stacks.get('demo-public-a')!)).toEqual([]);
  });

  test('none without a backup target or without a declared database; settings and port from the environment', () => {
    const withoutBackup = environmentJson('demo');
    delete withoutBackup.backup;
    expect(jobs(synthesizeStacks([parseJson(withoutBackup)]).get('demo-core-a')!)).toEqual([]);
    const configured = environmentJson('demo');
    (configured.middleware as { database: object }).database = { product: 'postgresql', port: 15432, backup: { credentialsSecret: 'pg-backup', volumeGiB: 500 } };
    (configured.backup as { schedule?: string }).schedule = '30 0 * * *';
    const stack = synthesizeStacks([parseJson(configured)]).get('demo-core-a')!;
    const [job] = jobs(stack);
    expect(job!.spec.schedule).toBe('30 23 * * *');
    const env = job!.spec.job_template.spec.template.spec.container[0]!.env;
    expect(env.find((e) => e.name === 'PGPORT')!.value).toBe('15432');
    expect(env.find((e) => e.name === 'PGPASSWORD')!.value_from!.secret_key_ref.name).toBe('pg-backup');
  });

  /** The demo with its database declared as another product, with `backup` as given (none when undefined). */
  const vendorDemo = (backup?: object) => {
    const env = environmentJson('demo');
    (env.middleware as { database: object }).database = { product: 'other', name: 'DM8', port: 5236, check: { command: ['/opt/hsa/dm-check'] }, ...(backup ? { backup } : {}) };
    return parseJson(env);
  };
  const level = (loaded: ReturnType<typeof parseJson>) => {
    const model = resolveProvince('demo', loaded.environment);
    return computeDrLevel(model, synthesizeStacks([loaded]) as unknown as Map<string, StackJson>, loaded.environment.compliance?.attestation, '2025');
  };

  test('another product: its vendor tool, as its DBA declares it, between the toolkit\'s prepare and keep steps; level 5 with it', () => {
    const loaded = vendorDemo({ image: { name: 'dm8-tools', tag: '8.1.3.62' }, command: ['/opt/dmdbms/bin/hsa-backup'], credentialsSecret: 'dm-backup' });
    const stack = synthesizeStacks([loaded]).get('demo-core-b')!;
    const [job] = jobs(stack) as unknown as VendorJobBody[];
    const pod = job!.spec.job_template.spec.template.spec;
    const steps = vendorBackupSteps(DATABASE_BACKUP_MOUNT);
    expect(pod.init_container.map((c) => [c.name, c.image, c.command])).toEqual([
      ['prepare', 'registry.demo.hsa.internal/hsa/os-shell:12-debian-12-r33', steps.prepare],
      ['backup', 'registry.demo.hsa.internal/hsa/dm8-tools:8.1.3.62', ['/opt/dmdbms/bin/hsa-backup']],
    ]);
    expect(pod.container.map((c) => [c.name, c.command])).toEqual([['keep', steps.keep]]);
    const tool = pod.init_container[1]!;
    expect(Object.fromEntries(tool.env.map((e) => [e.name, e.value ?? e.value_from!.secret_key_ref]))).toEqual({
      HSA_DB_HOST: '10.20.2.40',
      HSA_DB_PORT: '5236',
      HSA_DB_USER: { name: 'dm-backup', key: 'username' },
      HSA_DB_PASSWORD: { name: 'dm-backup', key: 'password' },
      HSA_BACKUP_DIR: `${DATABASE_BACKUP_MOUNT}/work`,
    });
    // Every step mounts the backup volume; the tool has a scratch /tmp, its root stays read-only.
    for (const container of [...pod.init_container, ...pod.container]) expect(container.volume_mount[0]!.mount_path).toBe(DATABASE_BACKUP_MOUNT);
    expect(tool.volume_mount[1]).toEqual({ name: 'scratch', mount_path: '/tmp' });
    expect(tool.security_context.read_only_root_filesystem).toBe(true);
    expect((job as unknown as { '//': { hsa: object } })['//'].hsa).toEqual({ component: 'database-backup', zone: 'core', site: 'B', product: 'DM8', schedule: '0 1 * * *', namespace: 'hsa-middleware' });
    const report = level(loaded);
    expect(report.achievedLevel).toBe(5);
    expect(report.elements.find((e) => e.id === 'daily-full-backup')!.evidence).toContain('the business database (DM8) backed up by its own job at "0 1 * * *" in demo-core-a, demo-core-b');
  });

  test('another product without a backup: no job, and the level drops below 5 naming the element and the stacks', () => {
    const loaded = vendorDemo();
    expect(jobs(synthesizeStacks([loaded]).get('demo-core-a')!)).toEqual([]);
    const report = level(loaded);
    expect(report.achievedLevel).toBe(2);
    const daily = report.elements.find((e) => e.id === 'daily-full-backup')!;
    expect(daily.met).toBe(false);
    expect(daily.evidence).toBe('no backup of the business database built for demo-core-a (DM8), demo-core-b (DM8): declare middleware.database.backup (for a product other than PostgreSQL, its backup tool\'s image and command)');
  });

  test('an hour before a daily schedule; a schedule without a numeric hour is kept as it is', () => {
    expect(hourBefore('0 2 * * *')).toBe('0 1 * * *');
    expect(hourBefore('15 0 * * *')).toBe('15 23 * * *');
    expect(hourBefore('0 */12 * * *')).toBe('0 */12 * * *');
  });
});

test('fails if a Redis password goes on a command line, where the process list shows it: redis-cli reads REDISCLI_AUTH', () => {
  const gate = redisStartupGate({ role: 'redis-cache', mode: 'primary', peerAddress: { host: 'redis-cache.core.demo', port: 6379 } }).join('\n');
  for (const script of [REDIS_BACKUP_SCRIPT, gate]) {
    expect(script).toContain('REDISCLI_AUTH="$REDIS_PASSWORD" ');
    expect(script).not.toMatch(/redis-cli[^\n]* -a /);
  }
  const text = JSON.stringify([...stacks.values()]);
  expect(text).not.toMatch(/redis-cli[^"]* -a /);
});
