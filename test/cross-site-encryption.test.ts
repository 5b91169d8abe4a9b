/**
 * What crosses the datacenter link (#13): read from the synthesized demo output, as a reviewer would.
 * Redis and Kafka servers started from these values are checked by the drills (TLS handshake, SCRAM
 * logins, ACLs); the charts and CRDs accept them in `npm run conformance`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutput } from '../compliance/check-output';
import { secCrossSiteEncrypted } from '../compliance/rules/sec-cross-site-encrypted';
import type { JsonObject } from '../compliance/types';
import { KAFKA_SYSTEM_USERS } from '../pairs/kafka/kafka-plan';
import { buildPlatformApp } from '../stacks/platform-app';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: JsonObject & {
    kafka?: { listeners: { name: string; type: string; tls: boolean; authentication?: { type: string } }[]; authorization?: { type: string } };
    mirrors?: { source: { tls?: unknown; authentication?: { username: string } } }[];
    authorization?: { acls: { resource: { type: string; name?: string; patternType?: string }; operations: string[] }[] };
  };
}

interface Stack {
  resource: { kubernetes_manifest?: Record<string, { manifest: Manifest }>; helm_release?: Record<string, { chart: string; values: string[] }> };
}

let work: string;
let outdir: string;
const stacks = () => ['demo-core-a', 'demo-core-b', 'demo-public-a', 'demo-public-b'].map((name) => ({ name, file: join(outdir, 'stacks', name, 'cdk.tf.json') }));
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Stack;
const manifests = (stack: Stack, kind: string) => Object.values(stack.resource.kubernetes_manifest ?? {}).map((m) => m.manifest).filter((m) => m.kind === kind);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cross-site-'));
  outdir = join(work, 'cdktf.out');
  buildPlatformApp(outdir, [loadEnvironment('demo')]).synth();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('0 plaintext cross-site listeners: Kafka outside the cluster is TLS + SCRAM with ACLs, MirrorMaker 2 reads over TLS as its own user, Redis is TLS only', () => {
  let externalListeners = 0;
  let redisReleases = 0;
  for (const { file } of stacks()) {
    const stack = read(file);
    for (const kafka of manifests(stack, 'Kafka')) {
      for (const listener of kafka.spec.kafka!.listeners) {
        expect(listener.authentication).toEqual({ type: 'scram-sha-512' });
        if (listener.type === 'internal') continue;
        externalListeners++;
        expect(listener.tls).toBe(true);
      }
      expect(kafka.spec.kafka!.authorization).toEqual({ type: 'simple' });
    }
    for (const mirror of manifests(stack, 'KafkaMirrorMaker2').flatMap((m) => m.spec.mirrors!)) {
      expect(mirror.source.tls).toBeDefined();
      expect(mirror.source.authentication?.username).toBe(KAFKA_SYSTEM_USERS.mirrorMaker);
    }
    for (const release of Object.values(stack.resource.helm_release ?? {}).filter((r) => r.chart === 'redis')) {
      redisReleases++;
      const values = JSON.parse(release.values[0]!) as { tls: { enabled: boolean; existingSecret: string }; commonConfiguration: string };
      expect(values.tls).toMatchObject({ enabled: true, existingSecret: 'hsa-redis-tls' });
      expect(values.commonConfiguration).toMatch(/^tls-replication yes$/m);
    }
  }
  expect({ externalListeners, redisReleases }).toEqual({ externalListeners: 2, redisReleases: 8 });
});

test('Kafka users: one per project that uses Kafka, on its own topic and group prefix only; MirrorMaker 2 and the switchover apart', () => {
  const users = manifests(read(stacks()[0]!.file), 'KafkaUser');
  expect(users.map((u) => u.metadata.name).sort()).toEqual(['hsa-mirror-maker', 'hsa-switchover', 'proj-hxjb', 'proj-znjk']);
  const hxjb = users.find((u) => u.metadata.name === 'proj-hxjb')!;
  expect(hxjb.spec.authorization!.acls.map((a) => a.resource)).toEqual([
    { type: 'topic', name: 'hxjb.', patternType: 'prefix' },
    { type: 'group', name: 'hxjb.', patternType: 'prefix' },
  ]);
  // No project may delete or alter: only the switchover deletes (to rebuild a site clean).
  for (const user of users.filter((u) => u.metadata.name.startsWith('proj-'))) {
    expect(user.spec.authorization!.acls.flatMap((a) => a.operations)).not.toContain('Delete');
  }
  // The password is the user's key in the existing users Secret: nothing secret in the resource.
  expect(hxjb.spec.authentication).toEqual({ type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: 'hsa-kafka-users', key: 'proj-hxjb' } } } });
});

describe('SEC-CrossSiteEncrypted', () => {
  const manifest = (kind: string, spec: JsonObject) => ({ stack: 's', path: 's/x', type: 'kubernetes_manifest', config: { manifest: { kind, spec } } as JsonObject });
  const problems = (result: ReturnType<typeof secCrossSiteEncrypted.check>) => (result.status === 'non-compliant' ? result.problems.map((p) => p.message) : [result.status]);

  test('fails for a plaintext or unauthenticated external Kafka listener and a cluster without authorization', () => {
    const spec = { kafka: { listeners: [{ name: 'plain', port: 9092, type: 'internal', tls: false }, { name: 'external', port: 9094, type: 'loadbalancer', tls: false }] } };
    expect(problems(secCrossSiteEncrypted.check(manifest('Kafka', spec)))).toEqual([
      'listener "external" (loadbalancer, port 9094) is plaintext',
      'listener "external" (loadbalancer, port 9094) has no authentication',
      'the cluster has no authorization: every authenticated client may read and write every topic',
    ]);
  });

  test('fails for a MirrorMaker 2 source read without TLS or login', () => {
    expect(problems(secCrossSiteEncrypted.check(manifest('KafkaMirrorMaker2', { mirrors: [{ source: { alias: 'core-a', bootstrapServers: '10.10.2.23:9094' } }] })))).toEqual([
      'mirror source "core-a" (10.10.2.23:9094) is read without TLS',
      'mirror source "core-a" (10.10.2.23:9094) is read without a login',
    ]);
  });

  const loadBalancer = (serverBlock: string) => ({ stack: 's', path: 's/x', type: 'helm_release', config: { chart: 'nginx', values: [JSON.stringify({ serverBlock })] } as JsonObject });

  test("the demo's site load balancers pass: the peer listener is mutual TLS and the other site is reached over verified TLS only", () => {
    let releases = 0;
    for (const { file } of stacks()) {
      for (const release of Object.values(read(file).resource.helm_release ?? {}).filter((r) => r.chart === 'nginx')) {
        releases++;
        expect(JSON.parse(release.values[0]!)).toMatchObject({ tls: { enabled: true, existingSecret: 'hsa-lb-tls' } });
        expect(secCrossSiteEncrypted.check({ stack: 's', path: 's/x', type: 'helm_release', config: release as unknown as JsonObject }).status).toBe('compliant');
      }
    }
    expect(releases).toBe(4);
  });

  test('fails for a load balancer that reaches the other site in plaintext, serves it without TLS or a client certificate, or does not verify it', () => {
    // The configuration of the landed main before the link was encrypted: the other site a plain member.
    const plaintext = [
      'upstream settlement {', '    server settlement.proj-hxjb.svc.cluster.local:80 max_fails=1 fail_timeout=10s;', '    server 10.20.2.10:8081 backup max_fails=1 fail_timeout=10s;', '}',
      'upstream settlement-local {', '    server settlement.proj-hxjb.svc.cluster.local:80;', '}',
      'server {', '    listen 8080;', '    location /settlement/ {', '        proxy_pass http://settlement;', '    }', '}',
      'server {', '    listen 8081;', '    location = /healthz { return 200 "ok\\n"; }', '    location /settlement/ {', '        proxy_pass http://settlement-local;', '    }', '}',
    ].join('\n');
    expect(problems(secCrossSiteEncrypted.check(loadBalancer(plaintext)))).toEqual([
      'location /settlement/ -> http://settlement (10.20.2.10:8081) is plaintext to an address outside the cluster',
      'listener 8081 for the other site is plaintext',
      'listener 8081 for the other site asks for no client certificate: anyone reaching the address is served',
    ]);
    const unverified = ['upstream peer-site {', '    server 10.20.2.10:8081;', '}', 'server {', '    listen 127.0.0.1:8082;', '    location / {', '        proxy_pass https://peer-site;', '    }', '}'].join('\n');
    expect(problems(secCrossSiteEncrypted.check(loadBalancer(unverified)))).toEqual([
      "location / -> https://peer-site (10.20.2.10:8081) does not verify the other site's certificate",
      "location / -> https://peer-site (10.20.2.10:8081) presents no client certificate: the other site's listener refuses it",
    ]);
  });

  test('fails for a Redis release without TLS', () => {
    const release = { stack: 's', path: 's/x', type: 'helm_release', config: { chart: 'redis', values: [JSON.stringify({ commonConfiguration: 'appendonly yes\n' })] } as JsonObject };
    expect(problems(secCrossSiteEncrypted.check(release))).toEqual([
      "tls.enabled is not true: clients and the other site's replica talk to Redis in plaintext",
      'commonConfiguration lacks "tls-replication yes": replication would not use TLS',
    ]);
  });

  test("fails for a CloudNativePG replica streaming without verified TLS or a client certificate; ningxia's Clusters pass", () => {
    const cluster = (externalClusters: JsonObject[]) => ({ stack: 's', path: 's/x', type: 'kubernetes_manifest', config: { manifest: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', spec: { externalClusters } } } as JsonObject });
    expect(problems(secCrossSiteEncrypted.check(cluster([{ name: 'hsa-db-a', connectionParameters: { host: '10.64.2.40', sslmode: 'require' } }])))).toEqual([
      'external cluster "hsa-db-a" (10.64.2.40) is reached with sslmode require: not verified TLS',
      'external cluster "hsa-db-a" (10.64.2.40) is reached without a client certificate',
    ]);
    for (const stack of synthesizeStacks([loadEnvironment('ningxia')]).values()) {
      for (const [path, body] of Object.entries(stack.resource.kubernetes_manifest ?? {})) {
        expect({ path, status: secCrossSiteEncrypted.check({ stack: 'ningxia', path, type: 'kubernetes_manifest', config: body }).status }).not.toEqual({ path, status: 'non-compliant' });
      }
    }
  });

  test('values written as YAML are read as JSON ones are; a text that is neither is a finding, not a crash', () => {
    const release = (values: string[]) => ({ stack: 's', path: 's/x', type: 'helm_release', config: { chart: 'redis', values } as JsonObject });
    expect(problems(secCrossSiteEncrypted.check(release(['tls:\n  enabled: false\n'])))).toEqual(problems(secCrossSiteEncrypted.check(release([JSON.stringify({ tls: { enabled: false } })]))));
    expect(problems(secCrossSiteEncrypted.check(release(['just a line of text'])))).toEqual(['values[0] is neither JSON nor YAML: TLS cannot be checked']);
  });

  test('npm run check on a copy whose Kafka external listener was made plaintext fails, naming the file and the resource', () => {
    expect(checkOutput(outdir).filter((f) => f.severity === 'error' && !f.suppressed)).toEqual([]);
    const { file } = stacks()[1]!;
    const stack = read(file);
    const kafka = manifests(stack, 'Kafka')[0]!;
    kafka.spec.kafka!.listeners.find((l) => l.type === 'loadbalancer')!.tls = false;
    writeFileSync(file, JSON.stringify(stack));
    const errors = checkOutput(outdir).filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.file.replace(/^.*cdktf\.out\//, '')} ${f.path.split(' ')[1]}: ${f.message}`)).toEqual([
      'SEC-CrossSiteEncrypted stacks/demo-core-b/cdk.tf.json (demo-core-b/Platform/Middleware/Kafka/Resource): listener "external" (loadbalancer, port 9094) is plaintext',
    ]);
  });
});
