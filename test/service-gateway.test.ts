import type { JsonObject } from '../compliance/types';
import { kongConfig, type KongDeclarativeConfig } from '../model/gateway-config';
import { resolveProvince } from '../model/platform-model';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const demo = loadEnvironment('demo');
const province = resolveProvince('demo', demo.environment);
const unit = (name: string) => province.units.find((u) => u.stackName === name)!;
const placeholder = (id: string, field: string) => `<${id}:${field}>`;
const config = (name: string): KongDeclarativeConfig => kongConfig(province, unit(name), province.gateway!, placeholder);

test('public zone: each site forwards every route through its own gatekeeper (网闸), and the two differ', () => {
  const targets = (name: string) => config(name).upstreams.map((u) => u.targets[0]!.target);
  expect(new Set(targets('demo-public-a'))).toEqual(new Set(['10.10.250.1:9443']));
  expect(new Set(targets('demo-public-b'))).toEqual(new Set(['10.20.250.1:9443']));
});

test('public zone: institutions are consumers with their own credentials, rate limit, address filter and routes', () => {
  const consumers = config('demo-public-a').consumers;
  const hospital = consumers.find((c) => c.username === 'hospital-0001')!;
  expect(hospital.keyauth_credentials).toEqual([{ key: '<hospital-0001:key>' }]);
  expect(hospital.acls).toEqual([{ group: 'route-insured' }, { group: 'route-settlement' }]);
  expect(hospital.plugins).toEqual([
    { name: 'rate-limiting', config: { minute: 1200, policy: 'local', limit_by: 'consumer' } },
    { name: 'ip-restriction', config: { allow: ['10.88.0.0/16'] } },
  ]);
  const bank = consumers.find((c) => c.username === 'bank-icbc')!;
  expect(bank.jwt_secrets).toEqual([{ key: '<bank-icbc:issuer>', algorithm: 'RS256', rsa_public_key: '<bank-icbc:rsa-public-key>', secret: '<bank-icbc:rsa-public-key>' }]);
  expect(bank.plugins![1]).toEqual({ name: 'ip-restriction', config: { allow: ['10.90.12.0/24'], deny: ['10.90.12.66/32'] } });
  // Key OR JWT: both plugins fall back to an anonymous consumer that is refused.
  expect(consumers.find((c) => c.username === 'anonymous')!.plugins![0]!.name).toBe('request-termination');
});

test('routes check the ACL, circuit breaking takes a failing target out, statistics per route and consumer', () => {
  const public_ = config('demo-public-a');
  const settlement = public_.services.find((s) => s.name === 'settlement')!;
  expect(settlement.plugins.map((p) => p.name)).toEqual(['key-auth', 'jwt', 'acl', 'request-transformer']);
  expect(settlement.plugins[2]!.config).toMatchObject({ allow: ['route-settlement'] });
  // Through the gatekeeper with the link key; a caller's own header of that name is removed first.
  expect(settlement.plugins[3]!.config).toEqual({ remove: { headers: ['x-hsa-gateway-key'] }, add: { headers: ['x-hsa-gateway-key:<_link:key>'] } });
  expect(public_.upstreams.find((u) => u.name === 'settlement')!.healthchecks.passive.unhealthy).toEqual({ http_failures: 5, tcp_failures: 5, timeouts: 5 });
  expect(public_.plugins[0]).toMatchObject({ name: 'prometheus', config: { per_consumer: true, status_code_metrics: true } });
});

test('core zone: only the gatekeeper of the same site may call; routes reach applications by stable name', () => {
  const core = config('demo-core-b');
  expect(core.plugins.find((p) => p.name === 'ip-restriction')!.config).toEqual({ allow: ['10.20.250.2/32'] });
  expect(core.upstreams.map((u) => u.targets[0]!.target).sort()).toEqual([
    'basic-info.core.demo.hsa.demo.internal:80',
    'mid-insured.core.demo.hsa.demo.internal:80',
    'settlement.core.demo.hsa.demo.internal:80',
  ]);
  // Only the public gateways, by the link key (rendered in the pod), and never past the core gateway.
  expect(core.consumers).toEqual([{ username: 'public-gateway', keyauth_credentials: [{ key: '<_link:key>' }] }]);
  expect(core.plugins.find((p) => p.name === 'key-auth')!.config).toEqual({ key_names: ['x-hsa-gateway-key'], hide_credentials: true });
});

test('synthesized: no credential is read by Terraform; the pod renders them from the institutions\' Secrets', () => {
  const stack = synthesizeStacks([demo]).get('demo-public-a')!;
  // Nothing in Terraform's state holds a credential: no Secret data source, no Secret resource.
  expect((stack.data as Record<string, unknown> | undefined)?.kubernetes_secret_v1).toBeUndefined();
  expect(stack.resource.kubernetes_secret_v1).toBeUndefined();
  const template = Object.values(stack.resource.kubernetes_config_map_v1!).find((c) => (c.metadata as JsonObject).name === 'kong-declarative-template')!;
  const kong = (template.data as JsonObject)['kong.yml'] as string;
  expect(kong).toContain('"{hsa-credential://hospital-0001/key}"');
  const gateway = Object.values(stack.resource.helm_release!).find((r) => r.name === 'gateway')!;
  const values = JSON.parse((gateway.values as string[])[0]!) as {
    env: { declarative_config: string };
    deployment: { initContainers: { command: string[]; volumeMounts: { name: string; mountPath: string }[] }[]; userDefinedVolumes: { name: string; secret?: { secretName: string } }[]; userDefinedVolumeMounts: { name: string }[] };
  };
  expect(values.env.declarative_config).toBe('/kong_rendered/kong.yml');
  const secrets = values.deployment.userDefinedVolumes.filter((v) => v.secret).map((v) => v.secret!.secretName);
  expect(secrets.sort()).toEqual(['gw-bank-icbc', 'gw-hospital-0001', 'gw-pharmacy-0107', 'hsa-gateway-link']);
  // Only the init container mounts the credentials; the proxy mounts the rendered file.
  expect(values.deployment.initContainers[0]!.volumeMounts.filter((m) => m.name.startsWith('credential-') || m.name === 'gateway-link').length).toBe(4);
  expect(values.deployment.userDefinedVolumeMounts.map((m) => m.name)).toEqual(['declarative-rendered']);
});
