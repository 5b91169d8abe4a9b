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
  expect(settlement.plugins.map((p) => p.name)).toEqual(['key-auth', 'jwt', 'acl']);
  expect(settlement.plugins[2]!.config).toMatchObject({ allow: ['route-settlement'] });
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
  expect(core.consumers).toEqual([]);
});

test('synthesized: credentials are read at deploy time from the institutions\' Secrets, never written', () => {
  const stack = synthesizeStacks([demo]).get('demo-public-a')!;
  const configSecret = Object.values(stack.resource.kubernetes_secret_v1!)[0]!;
  const kong = (configSecret.data as JsonObject)['kong.yml'] as string;
  expect(kong.startsWith('${jsonencode(')).toBe(true);
  expect(kong).toContain('data.kubernetes_secret_v1.Platform_Traffic_Gateway_Credentials_hospital-0001');
  const sources = Object.values((stack.data as Record<string, Record<string, JsonObject>>).kubernetes_secret_v1!).map((d) => (d.metadata as JsonObject).name);
  expect(sources.sort()).toEqual(['gw-bank-icbc', 'gw-hospital-0001', 'gw-pharmacy-0107']);
});
