import { k8sCapabilitiesDropped } from '../compliance/rules/k8s-capabilities-dropped';
import { k8sNoHostAccess } from '../compliance/rules/k8s-no-host-access';
import { k8sObjectSize, MAX_DATA_BYTES } from '../compliance/rules/k8s-object-size';
import { k8sNoPrivilegeEscalation } from '../compliance/rules/k8s-no-privilege-escalation';
import { k8sReadOnlyRootFilesystem } from '../compliance/rules/k8s-read-only-root-filesystem';
import { k8sResourceLimits } from '../compliance/rules/k8s-resource-limits';
import { k8sRunAsNonRoot } from '../compliance/rules/k8s-run-as-non-root';
import { hsafMiddlewareByName } from '../compliance/rules/hsaf-middleware-by-name';
import { hsafNoIpInConfig } from '../compliance/rules/hsaf-no-ip-in-config';
import { secNoPlaintextSecrets } from '../compliance/rules/sec-no-plaintext-secrets';
import type { JsonObject, ResourceRuleDefinition, ResourceSubject, RuleOutcome } from '../compliance/types';

/** A hardened container as the toolkit writes it; each test breaks one thing. */
function container(overrides: JsonObject = {}): JsonObject {
  return {
    name: 'app',
    image: 'registry/app:1.0.0',
    resources: { requests: { cpu: '500m', memory: '1024Mi' }, limits: { cpu: '1000m', memory: '2048Mi' } },
    security_context: { run_as_non_root: true, allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ['ALL'] } },
    ...overrides,
  };
}

function deployment(podSpec: JsonObject): ResourceSubject {
  return { stack: 'demo-core-a', path: 'demo-core-a/Platform/Applications/x/Resource', type: 'kubernetes_deployment_v1', config: { spec: { template: { spec: podSpec } } } };
}

function problems(rule: ResourceRuleDefinition, subject: ResourceSubject): string[] {
  const result: RuleOutcome = rule.check(subject);
  return result.status === 'non-compliant' ? result.problems.map((p) => p.message) : [];
}

const good = deployment({ container: [container()] });

describe.each(([
  [k8sRunAsNonRoot, { container: [container({ security_context: { allow_privilege_escalation: false, capabilities: { drop: ['ALL'] } } })] }, 'may run as root'],
  [k8sNoPrivilegeEscalation, { container: [container({ security_context: { run_as_non_root: true, capabilities: { drop: ['ALL'] } } })] }, 'allows privilege escalation'],
  [k8sCapabilitiesDropped, { container: [container({ security_context: { run_as_non_root: true, allow_privilege_escalation: false, capabilities: { drop: ['NET_RAW'] } } })] }, 'does not drop ALL'],
  [k8sResourceLimits, { container: [container({ resources: { requests: { cpu: '1' } } })] }, 'requests.memory'],
  [k8sNoHostAccess, { host_network: true, container: [container()] }, 'host_network'],
  [k8sReadOnlyRootFilesystem, { container: [container({ security_context: { run_as_non_root: true, allow_privilege_escalation: false, capabilities: { drop: ['ALL'] } } })] }, 'writable root filesystem'],
] as const).map(([rule, pod, expected]) => [rule.id, rule, pod, expected] as const))('%s', (_id, rule, badPod, expected) => {
  test('compliant: the hardened deployment the toolkit writes', () => {
    expect(rule.check(good).status).toBe('compliant');
  });

  test(`fails when ${expected}`, () => {
    expect(problems(rule, deployment(badPod as unknown as JsonObject)).join('\n')).toContain(expected);
  });

  test('not applicable to resources without pods', () => {
    expect(rule.check({ stack: 's', path: 'p', type: 'kubernetes_namespace_v1', config: {} }).status).toBe('not-applicable');
  });
});

test('K8S-RunAsNonRoot accepts run_as_non_root set on the pod instead of each container', () => {
  const pod = { security_context: { run_as_non_root: true }, container: [container({ security_context: { allow_privilege_escalation: false } })] };
  expect(k8sRunAsNonRoot.check(deployment(pod)).status).toBe('compliant');
});

describe('K8S-ObjectSize: objects the API server would refuse are caught at synthesis', () => {
  const configMap = (value: string): ResourceSubject => ({ stack: 'demo-core-a', path: 'demo-core-a/x', type: 'kubernetes_config_map_v1', config: { metadata: { name: 'x' }, data: { K: value } } });
  test('ConfigMap data: 1 MiB passes, one byte more fails (keys count, as the API server counts them)', () => {
    expect(k8sObjectSize.check(configMap('x'.repeat(MAX_DATA_BYTES - 1))).status).toBe('compliant');
    expect(problems(k8sObjectSize, configMap('x'.repeat(MAX_DATA_BYTES)))).toEqual(["data is 1,048,577 bytes; the API server refuses more than 1,048,576 bytes"]);
  });
  test('a Helm release whose values exceed the Secret Helm keeps it in fails; an object above etcd\'s limit fails', () => {
    const release: ResourceSubject = { stack: 's', path: 's/x', type: 'helm_release', config: { chart: 'nginx', values: [JSON.stringify({ serverBlock: 'y'.repeat(MAX_DATA_BYTES) })] } };
    expect(problems(k8sObjectSize, release)[0]).toMatch(/^the release's values are 1,048,5\d\d bytes; Helm stores the release in one Secret of at most 1,048,576 bytes$/);
    const manifest: ResourceSubject = { stack: 's', path: 's/x', type: 'kubernetes_manifest', config: { manifest: { kind: 'Kafka', spec: { blob: 'z'.repeat(1.6 * 1024 * 1024) } } } };
    expect(problems(k8sObjectSize, manifest)[0]).toMatch(/etcd stores no object above 1,572,864 bytes/);
  });
});

test('fails K8S-NoHostAccess for a hostPath volume', () => {
  expect(problems(k8sNoHostAccess, deployment({ container: [container()], volume: [{ name: 'docker', host_path: { path: '/var/run/docker.sock' } }] }))[0]).toContain('volume "docker" mounts a hostPath');
});

test('fails K8S-NoPrivilegeEscalation for a privileged container', () => {
  const c = container({ security_context: { allow_privilege_escalation: false, privileged: true } });
  expect(problems(k8sNoPrivilegeEscalation, deployment({ container: [c] }))).toContain('container "app" is privileged');
});

test('init containers are checked too', () => {
  const pod = { container: [container()], init_container: [container({ name: 'init', security_context: {} })] };
  expect(problems(k8sCapabilitiesDropped, deployment(pod))).toEqual(['container "init" does not drop ALL capabilities']);
});

describe('SEC-NoPlaintextSecrets', () => {
  const release = (config: JsonObject): ResourceSubject => ({ stack: 's', path: 'p', type: 'helm_release', config });

  test('compliant: a release that names an existing Secret and sets the password sensitively by reference', () => {
    const subject = release({
      values: [JSON.stringify({ auth: { enabled: true, existingSecret: 'hsa-redis-auth', existingSecretPasswordKey: 'redis-password' } })],
      set_sensitive: [{ name: 'auth.password', value: '${var.redis_password}' }],
    });
    expect(secNoPlaintextSecrets.check(subject).status).toBe('compliant');
  });

  test('fails for a literal password in helm values', () => {
    const subject = release({ values: [JSON.stringify({ auth: { password: 'Hsa@2024' } })] });
    expect(problems(secNoPlaintextSecrets, subject)).toEqual(['plaintext secret at values[0].auth.password']);
  });

  test("compliant: Strimzi's passwordSecret names the Secret and its key; a password beside no secretName is a literal", () => {
    const manifest = (authentication: JsonObject): ResourceSubject => ({ stack: 's', path: 'p', type: 'kubernetes_manifest', config: { manifest: { kind: 'KafkaMirrorMaker2', spec: { target: { authentication } } } } });
    expect(secNoPlaintextSecrets.check(manifest({ type: 'scram-sha-512', username: 'hsa-mirror-maker', passwordSecret: { secretName: 'hsa-kafka-users', password: 'hsa-mirror-maker' } })).status).toBe('compliant');
    expect(problems(secNoPlaintextSecrets, manifest({ type: 'scram-sha-512', username: 'hsa-mirror-maker', password: 'Plain123' }))).toEqual(['plaintext secret at manifest.spec.target.authentication.password']);
  });

  test("compliant: CloudNativePG's certificate fields name Secrets; a PEM key under one is still found", () => {
    const cluster = (certificates: JsonObject): ResourceSubject => ({ stack: 's', path: 'p', type: 'kubernetes_manifest', config: { manifest: { kind: 'Cluster', spec: { certificates } } } });
    expect(secNoPlaintextSecrets.check(cluster({ serverTLSSecret: 'hsa-db-tls', serverCASecret: 'hsa-db-tls', clientCASecret: 'hsa-db-tls', replicationTLSSecret: 'hsa-db-replication-tls' })).status).toBe('compliant');
    expect(problems(secNoPlaintextSecrets, cluster({ serverTLSSecret: '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----' }))).toEqual(['plaintext secret at manifest.spec.certificates.serverTLSSecret']);
    expect(problems(secNoPlaintextSecrets, cluster({ clientSecret: 'oauth-s3cr3t' }))).toEqual(['plaintext secret at manifest.spec.certificates.clientSecret']);
  });

  test('fails for a literal password in a set entry', () => {
    expect(problems(secNoPlaintextSecrets, release({ set: [{ name: 'auth.password', value: 'x1' }] }))).toEqual(['plaintext secret at set "auth.password"']);
  });

  test('fails for a kubernetes Secret with literal data', () => {
    const subject: ResourceSubject = { stack: 's', path: 'p', type: 'kubernetes_secret_v1', config: { data: { password: 'abc' } } };
    expect(problems(secNoPlaintextSecrets, subject)).toContain('plaintext secret at data.password');
  });

  test('fails for a private key anywhere', () => {
    const subject: ResourceSubject = { stack: 's', path: 'p', type: 'kubernetes_config_map_v1', config: { data: { 'tls.pem': '-----BEGIN RSA PRIVATE KEY-----\nMIIE' } } };
    expect(problems(secNoPlaintextSecrets, subject)).toEqual(['plaintext secret at data.tls.pem']);
  });

  test('runtime references ($env://, $secret://) and Terraform expressions are not plaintext', () => {
    const subject: ResourceSubject = { stack: 's', path: 'p', type: 'kubernetes_config_map_v1', config: { data: { api_key: '$env://HOSPITAL_KEY', token: '${var.cluster_token}' } } };
    expect(secNoPlaintextSecrets.check(subject).status).toBe('compliant');
  });
});

describe('HSAF-NoIpInConfig and HSAF-MiddlewareByName', () => {
  const configMap = (data: JsonObject): ResourceSubject => ({ stack: 's', path: 'p', type: 'kubernetes_config_map_v1', config: { data: { HSA_APPLICATION: 'settlement', ...data } } });
  const byName = hsafMiddlewareByName(['demo.hsa.demo.internal']);

  test('compliant: middleware by stable name', () => {
    const subject = configMap({ REDIS_CACHE_HOST: 'redis-cache.core.demo.hsa.demo.internal', NACOS_SERVER_ADDR: 'nacos.core.demo.hsa.demo.internal:8848' });
    expect(hsafNoIpInConfig.check(subject).status).toBe('compliant');
    expect(byName.check(subject).status).toBe('compliant');
  });

  test('fails HSAF-NoIpInConfig for an IPv6 address, and not for a DNS name with a port or a method reference', () => {
    expect(problems(hsafNoIpInConfig, configMap({ REDIS_URL: 'redis://[2001:db8::21]:6379' }))[0]).toContain('REDIS_URL = "redis://[2001:db8::21]:6379" contains an IP address');
    expect(problems(hsafNoIpInConfig, configMap({ REDIS_URL: 'redis://redis-cache.core.demo.hsa.demo.internal:6379', MAPPER: 'Settlement::fromRow' }))).toEqual([]);
  });

  test('fails HSAF-NoIpInConfig for an IP address', () => {
    expect(problems(hsafNoIpInConfig, configMap({ KAFKA_BOOTSTRAP_SERVERS: '10.10.2.23:9092' }))[0]).toContain('KAFKA_BOOTSTRAP_SERVERS = "10.10.2.23:9092" contains an IP address');
  });

  test('fails HSAF-MiddlewareByName for a name outside the platform zone', () => {
    expect(problems(byName, configMap({ REDIS_CACHE_HOST: 'redis.prod.example.com' }))[0]).toContain('is not a name in the platform DNS zone');
  });

  test('not applicable to other resources', () => {
    expect(hsafNoIpInConfig.check({ stack: 's', path: 'p', type: 'kubernetes_service_v1', config: {} }).status).toBe('not-applicable');
  });
});
