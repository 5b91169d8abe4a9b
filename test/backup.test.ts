/**
 * Backups built from the model (#15), read from the synthesized demo output. The chart accepts the
 * values in `npm run conformance` (vmware-tanzu/velero rendered at its pinned version, values schema
 * included); the commands the hooks run are restore-verified with real servers by the restore drill.
 */
import { REDIS_BACKUP_SCRIPT } from '../model/backup-commands';
import { REDIS_HOOK_BACKUP_FILE } from '../model/backup-plan';
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
    expect(policies.map((p) => (p.metadata as { name: string }).name).sort()).toEqual(['allow-cluster-dns', 'allow-same-namespace', 'allow-to-api-server', 'allow-to-offsite-store', 'default-deny']);
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
