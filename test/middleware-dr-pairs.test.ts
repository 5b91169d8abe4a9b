import type { JsonObject } from '../compliance/types';
import { App, TerraformStack } from 'cdktf';
import { chartSourceOf } from '../constructs/middleware/chart-source';
import { CloudNativePgDrPair } from '../pairs/database/cloudnative-pg-construct';
import { FastdfsDrPair, fastdfsConfigFiles } from '../pairs/fastdfs/fastdfs-construct';
import { IDENTITY_REPLICATION_POLICY, KafkaDrPair } from '../pairs/kafka/kafka-construct';
import { RedisDrPair } from '../pairs/redis/redis-construct';
import { CHART_VERSIONS } from '../model/middleware-model';
import { resolveProvince } from '../model/platform-model';
import { loadEnvironment, parseJson, environmentJson, synthesizeStacks, type SynthesizedStack } from './support/fixtures';

const demo = loadEnvironment('demo');
const activeA = synthesizeStacks([demo]);
const activeB = synthesizeStacks([demo], { activeSite: 'B' });

const releases = (stack: SynthesizedStack) => Object.values(stack.resource.helm_release ?? {});
const release = (stack: SynthesizedStack, name: string) => releases(stack).find((r) => r.name === name)!;
const values = (r: JsonObject) => JSON.parse((r.values as string[])[0]!) as { master: { configuration: string; service: { loadBalancerIP: string } }; auth: JsonObject };
const manifests = (stack: SynthesizedStack, kind: string) => Object.values(stack.resource.kubernetes_manifest ?? {}).filter((m) => (m.manifest as JsonObject).kind === kind);
const hsa = (r: JsonObject) => (r['//'] as JsonObject).hsa as JsonObject;

describe.each([
  ['A', activeA, 'demo-core-a', 'demo-core-b', '10.10.2', '10.20.2'],
  ['B', activeB, 'demo-core-b', 'demo-core-a', '10.20.2', '10.10.2'],
] as const)('with site %s active', (_site, stacks, activeStack, standbyStack, activeNet, standbyNet) => {
  test.each(['redis-cache', 'redis-session'])('%s: the active site is primary, the standby follows the active site\'s address', (role) => {
    const primary = release(stacks.get(activeStack)!, role);
    const standby = release(stacks.get(standbyStack)!, role);
    const octet = role === 'redis-cache' ? 21 : 22;
    expect(values(primary).master.configuration).not.toContain('replicaof');
    expect(values(standby).master.configuration).toContain(`replicaof ${activeNet}.${octet} 6379`);
    expect(values(standby).master.service.loadBalancerIP).toBe(`${standbyNet}.${octet}`);
    expect(hsa(primary)).toMatchObject({ component: 'dr-pair', role, mode: 'primary' });
    expect(hsa(standby)).toMatchObject({ mode: 'standby', source: `${activeNet}.${octet}:6379` });
    // One shared Secret for requirepass and masterauth at both sites.
    expect(values(primary).auth).toEqual(values(standby).auth);
    expect(values(standby).auth).toMatchObject({ existingSecret: 'hsa-redis-auth', existingSecretPasswordKey: 'redis-password' });
  });

  test('kafka: MirrorMaker 2 only at the standby site, mirroring the active site with identity replication and offset sync', () => {
    expect(manifests(stacks.get(activeStack)!, 'KafkaMirrorMaker2')).toEqual([]);
    const [mm2] = manifests(stacks.get(standbyStack)!, 'KafkaMirrorMaker2');
    const spec = (mm2!.manifest as JsonObject).spec as JsonObject;
    expect((mm2!.manifest as JsonObject).apiVersion).toBe('kafka.strimzi.io/v1');
    const mirror = (spec.mirrors as JsonObject[])[0]!;
    expect((mirror.source as JsonObject).bootstrapServers).toBe(`${activeNet}.23:9094`);
    expect((spec.target as JsonObject).bootstrapServers).toBe('hsa-kafka-kafka-bootstrap:9092');
    expect(((mirror.sourceConnector as JsonObject).config as JsonObject)['replication.policy.class']).toBe(IDENTITY_REPLICATION_POLICY);
    expect(((mirror.checkpointConnector as JsonObject).config as JsonObject)['sync.group.offsets.enabled']).toBe('true');
    for (const stack of [activeStack, standbyStack]) expect(manifests(stacks.get(stack)!, 'Kafka')).toHaveLength(1);
  });

  test('fastdfs: both sites in one group, trackers of both sites, the standby with rw=none', () => {
    for (const stack of [activeStack, standbyStack]) {
      const config = Object.values(stacks.get(stack)!.resource.kubernetes_config_map_v1!).find((c) => (c.metadata as JsonObject).name === 'fastdfs-config')!;
      const data = config.data as Record<string, string>;
      expect(data['storage_ids.conf']).toContain(`100001 group1 10.10.2.24 rw=${activeNet === '10.10.2' ? 'both' : 'none'}`);
      expect(data['storage_ids.conf']).toContain(`100002 group1 10.20.2.24 rw=${activeNet === '10.20.2' ? 'both' : 'none'}`);
      expect(data['storage.conf']).toContain('tracker_server = 10.10.2.24:22122\ntracker_server = 10.20.2.24:22122');
      expect(data['tracker.conf']).toContain('use_storage_id = true');
    }
  });
});

test('switching the active site changes only roles and what follows from them', () => {
  const diffs: string[] = [];
  for (const [name, a] of activeA) {
    const b = activeB.get(name)!;
    for (const [type, byName] of Object.entries(a.resource)) {
      for (const [id, body] of Object.entries(byName)) {
        if (JSON.stringify(body) !== JSON.stringify(b.resource[type]?.[id])) diffs.push(`${name} ${type}.${(body.name as string) ?? ((body.metadata as JsonObject)?.name as string) ?? ((body.manifest as JsonObject)?.kind as string)}`);
      }
    }
  }
  expect(diffs.filter((d) => !/helm_release\.(redis-|dns-controller|site-load-balancer|prometheus)|kubernetes_manifest\.(Kafka|KafkaMirrorMaker2)$|kubernetes_service_v1\.mirror-from-core-[ab]-metrics$|kubernetes_config_map_v1\.(fastdfs-config|hsa-dashboard-dr)|kubernetes_stateful_set_v1\.fastdfs-(storage|tracker)/.test(d))).toEqual([]);
  expect(diffs.length).toBeGreaterThanOrEqual(8);
});

test('the standby stack synthesizes with no reference to the active stack', () => {
  for (const stacks of [activeA, activeB]) {
    for (const [name, stack] of stacks) {
      const text = JSON.stringify(stack);
      expect(text).not.toContain('terraform_remote_state');
      for (const other of stacks.keys()) if (other !== name) expect(text).not.toContain(other);
    }
  }
});

test('every data-holding resource refuses destroy', () => {
  for (const stack of activeA.values()) {
    const holders = [
      ...releases(stack).filter((r) => ['redis', 'elasticsearch'].includes(r.chart as string)),
      ...manifests(stack, 'Kafka'),
      ...manifests(stack, 'KafkaNodePool'),
      ...Object.values(stack.resource.kubernetes_stateful_set_v1 ?? {}).filter((s) => ((s.metadata as JsonObject).name as string).endsWith('-storage')),
    ];
    for (const holder of holders) expect(holder.lifecycle).toEqual({ prevent_destroy: true });
  }
});

test('an environment can opt out of prevent_destroy (for throw-away environments)', () => {
  const env = environmentJson();
  env.middleware = { preventDestroy: false };
  const stacks = synthesizeStacks([parseJson(env)]);
  expect(release(stacks.get('demo-core-a')!, 'redis-cache').lifecycle).toEqual({ prevent_destroy: false });
});

test('fastdfsConfigFiles is pure and lists storage ids in site order', () => {
  const unit = resolveProvince('demo', demo.environment, { activeSite: 'B' }).units.find((u) => u.stackName === 'demo-core-a')!;
  expect(fastdfsConfigFiles(unit.middlewarePlan.fastdfs!)['storage_ids.conf']).toBe(
    '# <storage id> <group> <address> <client access mode>\n100001 group1 10.10.2.24 rw=none\n100002 group1 10.20.2.24 rw=both\n',
  );
});

// Found by running the synthesized files with a real FastDFS 6.13.0 (fdfs_trackerd, fdfs_storaged built
// from the upstream tag): without -N both daemonize and the container exits; storaged refuses a thread
// stack below 320 KB, its built-in default being 256 KB.
// Found by the FastDFS drill: a tracker gives a first-time joiner a sync source only among writable
// members, so a standby (rw=none) that joined first left the active site's storage INIT for good; and a
// storage server restarted while the other site was away took 15 s to serve.
type StatefulSetJson = { metadata: { name: string }; spec: { template: { spec: { init_container?: { name: string; command: string[] }[] } } } };
const fastdfsSet = (stacks: typeof activeA, stack: string, name: string) =>
  (Object.values(stacks.get(stack)!.resource.kubernetes_stateful_set_v1 ?? {}) as unknown as StatefulSetJson[]).find((s) => s.metadata.name === name)!;

test('a storage server joins the group for the first time only after the active one, whichever site is active', () => {
  for (const [site, own] of [['a', '10.10.2.24'], ['b', '10.20.2.24']] as const) {
    const init = fastdfsSet(activeA, `demo-core-${site}`, 'fastdfs-storage').spec.template.spec.init_container;
    expect(init).toHaveLength(1);
    const [shell, flag, script] = init![0]!.command;
    expect([shell, flag]).toEqual(['sh', '-c']);
    expect(script).toContain("grep -qx 'sync_old_done=1' /var/fdfs/storage/data/.data_init_flag 2>/dev/null && exit 0");
    // The active one is read from the mounted storage_ids.conf, and this site's own address skips the wait.
    expect(script).toContain(`awk '$2 == "group1" && $4 == "rw=both" { print $3; exit }' /etc/fdfs/storage_ids.conf`);
    expect(script).toContain(`[ "$active" = "${own}" ] && exit 0`);
    expect(script).toContain('fdfs_monitor /etc/fdfs/storage.conf -h "$active:22122" list group1');
  }
});

test('a switchover restarts the FastDFS trackers (they apply the access modes) and not the storage servers', () => {
  for (const stack of ['demo-core-a', 'demo-core-b']) {
    // The spec (and so the pod template): only the toolkit's own annotation in "//" names the role.
    expect(fastdfsSet(activeB, stack, 'fastdfs-storage').spec).toEqual(fastdfsSet(activeA, stack, 'fastdfs-storage').spec);
    expect(fastdfsSet(activeB, stack, 'fastdfs-tracker').spec).not.toEqual(fastdfsSet(activeA, stack, 'fastdfs-tracker').spec);
  }
});

test('FastDFS runs in the foreground with a thread stack fdfs_storaged accepts', () => {
  const unit = resolveProvince('demo', demo.environment).units.find((u) => u.stackName === 'demo-core-a')!;
  expect(fastdfsConfigFiles(unit.middlewarePlan.fastdfs!)['storage.conf']).toContain('thread_stack_size = 512KB');
  const statefulSets = Object.values(activeA.get('demo-core-a')!.resource.kubernetes_stateful_set_v1 ?? {}) as unknown as { spec: { template: { spec: { container: { command?: string[] }[] } } } }[];
  const commands = statefulSets.flatMap((s) => s.spec.template.spec.container.map((c) => c.command)).filter((c) => c?.[0]?.startsWith('fdfs_'));
  expect(commands.length).toBe(2);
  for (const command of commands) expect(command).toContain('-N');
});

describe('plain props that cannot make a pair are refused by the construct, naming it and the fix', () => {
  const placement = () => ({ zone: 'core' as const, site: 'B' as const, namespace: 'm', source: chartSourceOf('https://charts.example', 'registry.example/hsa') });
  const scope = () => new TerraformStack(new App({ outdir: '/nonexistent', stackTraces: false }), 'pairs');

  test('a Redis standby without the active site to replicate from', () => {
    const stack = scope();
    expect(
      () =>
        new RedisDrPair(stack, 'Cache', {
          ...placement(),
          role: 'redis-cache',
          releaseName: 'redis-cache',
          chartVersion: CHART_VERSIONS.redis,
          mode: 'standby',
          address: { host: '10.20.2.21', port: 6379 },
          replicas: 2,
          memoryMiB: 1024,
          storageGiB: 10,
          evictionPolicy: 'allkeys-lru',
          authSecret: 'auth',
          tlsSecret: 'tls',
        }),
    ).toThrow('RedisDrPair pairs/Cache: a standby needs replicationSource');
  });

  test('a Kafka standby without the cluster to mirror, a Kafka cluster without brokers', () => {
    const stack = scope();
    expect(
      () =>
        new KafkaDrPair(stack, 'Kafka', {
          ...placement(),
          clusterName: 'k',
          operatorChartVersion: CHART_VERSIONS.strimzi,
          mode: 'standby',
          address: { host: '10.20.2.23', port: 9094 },
          brokerAddresses: ['10.20.2.31'],
          localAlias: 'core-b',
          sourceAlias: 'core-a',
          storageGiB: 10,
          tlsSecret: 'tls',
          usersSecret: 'users',
          users: [],
        }),
    ).toThrow('KafkaDrPair pairs/Kafka: a standby needs mirrorSource');
    expect(
      () =>
        new KafkaDrPair(scope(), 'Kafka', {
          ...placement(),
          clusterName: 'k',
          operatorChartVersion: CHART_VERSIONS.strimzi,
          mode: 'primary',
          address: { host: '10.20.2.23', port: 9094 },
          brokerAddresses: [],
          localAlias: 'core-b',
          sourceAlias: 'core-b',
          storageGiB: 10,
          tlsSecret: 'tls',
          usersSecret: 'users',
          users: [],
        }),
    ).toThrow('KafkaDrPair pairs/Kafka: brokerAddresses is empty; give one address per broker');
  });

  test('a FastDFS group without an active storage server, and CloudNativePG Clusters with one name', () => {
    const stack = scope();
    const endpoint = { host: '10.20.2.24', port: 22122 };
    expect(
      () =>
        new FastdfsDrPair(stack, 'FastDFS', {
          ...placement(),
          name: 'fastdfs',
          mode: 'standby',
          group: 'group1',
          storageServers: [{ id: 100002, site: 'B', host: endpoint.host, access: 'none' }],
          trackers: [endpoint],
          address: endpoint,
          storageGiB: 10,
        }),
    ).toThrow("FastdfsDrPair pairs/FastDFS: no storage server has access 'both'");
    expect(
      () =>
        new CloudNativePgDrPair(stack, 'Database', {
          ...placement(),
          operatorChartVersion: CHART_VERSIONS.cloudNativePg,
          clusterNames: { A: 'db', B: 'db' },
          self: 'db',
          primary: 'db',
          sourceCluster: 'db',
          mode: 'primary',
          addresses: { A: '10.10.2.25', B: '10.20.2.25' },
          instances: 2,
          storageGiB: 10,
          databases: ['hsa'],
          secrets: { tls: 't', replicationTls: 'r', owner: 'o', switchover: 's', backup: 'b' },
        }),
    ).toThrow('CloudNativePgDrPair pairs/Database: clusterNames.A and clusterNames.B must differ');
  });
});

describe('an RPO bound by construction (middleware.redisSession.maxLagSeconds)', () => {
  const bounded = () => {
    const env = JSON.parse(JSON.stringify(demo.environment)) as typeof demo.environment;
    env.middleware = { ...env.middleware, redisSession: { ...env.middleware?.redisSession, maxLagSeconds: 5 } };
    return { ...demo, environment: env };
  };
  test('the active primary refuses writes while a replica, the other site\'s counted, is more than the bound behind; the standby and the unbounded pair are as before', () => {
    for (const activeSite of ['A', 'B'] as const) {
      const stacks = synthesizeStacks([bounded()], { activeSite });
      const at = (site: 'A' | 'B') => values(release(stacks.get(`demo-core-${site.toLowerCase()}`)!, 'redis-session')).master.configuration;
      const standbySite = activeSite === 'A' ? 'B' : 'A';
      // Two local read replicas (the default) and the other site's server: three must be within 5 s.
      expect(at(activeSite)).toContain('min-replicas-to-write 3\nmin-replicas-max-lag 5');
      // A promoted standby must take writes without the site it lost: no bound there.
      expect(at(standbySite)).not.toContain('min-replicas');
      expect(values(release(stacks.get(`demo-core-${activeSite.toLowerCase()}`)!, 'redis-cache')).master.configuration).not.toContain('min-replicas');
    }
  });
});
