import type { JsonObject } from '../compliance/types';
import { platformZoneName, renderZoneFile, zoneRecords } from '../model/dns-zone';
import { planLoadBalancer, renderNginxConfig, servedByBothSites } from '../model/load-balancer';
import { resolveProvince } from '../model/platform-model';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const demo = loadEnvironment('demo').environment;
const activeA = resolveProvince('demo', demo);
const activeB = resolveProvince('demo', demo, { activeSite: 'B' });

describe('DNS controller zone', () => {
  test('stable names answer with the active site and change with it: records only', () => {
    const a = zoneRecords(activeA, 'core');
    const b = zoneRecords(activeB, 'core');
    expect(a.map((r) => r.name)).toEqual(b.map((r) => r.name));
    expect(a.find((r) => r.name === 'redis-cache.core.demo.hsa.demo.internal')!.address).toBe('10.10.2.21');
    expect(b.find((r) => r.name === 'redis-cache.core.demo.hsa.demo.internal')!.address).toBe('10.20.2.21');
    expect(b.find((r) => r.name === 'settlement.core.demo.hsa.demo.internal')!.address).toBe('10.20.2.10');
  });

  test('every name used in application configuration has a record', () => {
    const names = new Set(zoneRecords(activeA, 'core').map((r) => r.name));
    for (const app of activeA.units.find((u) => u.stackName === 'demo-core-a')!.applications) {
      for (const [key, value] of Object.entries(app.config)) {
        if (/_(HOST|ADDR|SERVERS|SERVER|URL)$/.test(key) && value.includes(platformZoneName(activeA, 'core'))) {
          expect(names).toContain(value.replace(/^https?:\/\//, '').split(/[:/]/)[0]);
        }
      }
    }
  });

  test('the zone file is deterministic, and its SOA serial changes when records change', () => {
    const serial = (text: string) => /SOA \S+ \S+ \( (\d+) /.exec(text)![1];
    expect(renderZoneFile(activeA, 'core')).toBe(renderZoneFile(resolveProvince('demo', demo), 'core'));
    expect(serial(renderZoneFile(activeA, 'core'))).not.toBe(serial(renderZoneFile(activeB, 'core')));
    expect(renderZoneFile(activeA, 'core')).toContain('$TTL 30');
  });

  test('the DNS controller release serves the zone file in every cluster, the same in A and B', () => {
    const stacks = synthesizeStacks([loadEnvironment('demo')]);
    const zoneOf = (stack: string) => {
      const release = Object.values(stacks.get(stack)!.resource.helm_release!).find((r) => r.name === 'dns-controller')!;
      expect(((release['//'] as JsonObject).hsa as JsonObject).component).toBe('dns-controller');
      return JSON.parse((release.values as string[])[0]!) as { zoneFiles: unknown[]; servers: { plugins: { name: string }[] }[] };
    };
    expect(zoneOf('demo-core-a').zoneFiles).toEqual(zoneOf('demo-core-b').zoneFiles);
    expect(zoneOf('demo-core-a').servers[0]!.plugins.map((p) => p.name)).toContain('file');
  });
});

describe('site load balancer', () => {
  const coreA = activeA.units.find((u) => u.stackName === 'demo-core-a')!;
  const coreB = activeA.units.find((u) => u.stackName === 'demo-core-b')!;
  const members = (unit: typeof coreA, app: string, flow: 'active-only' | 'both' = 'active-only') =>
    planLoadBalancer(activeA, unit, flow).groups.find((g) => g.name === app)!.members.map((m) => `${m.site}:${m.standby ? 'standby' : 'working'}`);

  test('JR/T 0209 mapping: query and compute from both sites, account only from the active site, flow as chosen', () => {
    expect([servedByBothSites('query', 'active-only'), servedByBothSites('compute', 'active-only'), servedByBothSites('account', 'both')]).toEqual([true, true, false]);
    expect([servedByBothSites('flow', 'active-only'), servedByBothSites('flow', 'both')]).toEqual([false, true]);
  });

  test('account type: the active site works, the other stands by, seen from either site', () => {
    expect(members(coreA, 'basic-info')).toEqual(['A:working', 'B:standby']);
    expect(members(coreB, 'basic-info')).toEqual(['B:standby', 'A:working']);
  });

  test('compute type: both sites work', () => {
    expect(members(coreA, 'intelligent-supervision')).toEqual(['A:working', 'B:working']);
  });

  test('flow type follows traffic.flowTypeServing', () => {
    expect(members(coreA, 'settlement')).toEqual(['A:working', 'B:standby']);
    expect(members(coreA, 'settlement', 'both')).toEqual(['A:working', 'B:working']);
  });

  test('nginx: standby members are backup, failed requests retry on the next member, peers reach local members only', () => {
    const conf = renderNginxConfig(planLoadBalancer(activeA, coreA, 'active-only'));
    expect(conf).toContain('server 127.0.0.1:8082 backup max_fails=1 fail_timeout=10s;');
    expect(conf).toContain('proxy_next_upstream error timeout http_502 http_503 http_504;');
    expect(conf).toMatch(/listen 8081 ssl;[\s\S]*ssl_verify_client on;[\s\S]*proxy_pass http:\/\/settlement-local;/);
    // The hop to the other site: verified TLS to the name B's certificate carries, at B's peer listener.
    expect(conf).toMatch(/upstream peer-site \{\n\s+server 10\.20\.2\.10:8081;/);
    expect(conf).toMatch(/listen 127\.0\.0\.1:8082;[\s\S]*proxy_pass https:\/\/peer-site;[\s\S]*proxy_ssl_verify on;[\s\S]*proxy_ssl_name lb-b\.core\.demo\.hsa\.demo\.internal;/);
    expect(conf).toMatch(/location \/settlement\/ \{\n\s+proxy_pass http:\/\/settlement;/);
  });
});
