import { resolveProvince, serviceDnsName } from '../model/platform-model';
import { loadEnvironment } from './support/fixtures';

const demo = loadEnvironment('demo');
const model = resolveProvince('demo', demo.environment);

test('four units in a fixed order, named <env>-<zone>-<site>', () => {
  expect(model.units.map((u) => u.stackName)).toEqual(['demo-public-a', 'demo-public-b', 'demo-core-a', 'demo-core-b']);
});

test('the active site comes from the file, or from the --active-site preview', () => {
  expect(model.units.filter((u) => u.active).map((u) => u.site)).toEqual(['A', 'A']);
  const switched = resolveProvince('demo', demo.environment, { activeSite: 'B' });
  expect(switched.activeSite).toBe('B');
  expect(switched.units.filter((u) => u.active).map((u) => u.stackName)).toEqual(['demo-public-b', 'demo-core-b']);
  expect(switched.units.find((u) => u.stackName === 'demo-core-a')!.activeIngressVip).toBe('10.20.2.10');
});

test('tenants and applications land in their own zone only', () => {
  const coreA = model.units.find((u) => u.stackName === 'demo-core-a')!;
  const publicA = model.units.find((u) => u.stackName === 'demo-public-a')!;
  expect(coreA.tenants.map((t) => t.namespace)).toEqual(['proj-hxjb', 'proj-znjk', 'team-platform']);
  expect(publicA.tenants.map((t) => t.namespace)).toEqual(['proj-ggfw', 'team-platform']);
  expect(publicA.applications.map((a) => a.name)).toEqual(['public-service-hall', 'mobile-service']);
  expect(coreA.applications.every((a) => a.catalog.zone === 'core')).toBe(true);
});

test('application configuration reaches middleware by stable DNS names of its own zone', () => {
  const settlement = model.units.find((u) => u.stackName === 'demo-core-a')!.applications.find((a) => a.name === 'settlement')!;
  expect(settlement.config.REDIS_CACHE_HOST).toBe(serviceDnsName('redis-cache', 'core', 'demo', 'hsa.demo.internal'));
  expect(settlement.config.REDIS_SESSION_HOST).toBe('redis-session.core.demo.hsa.demo.internal');
  expect(settlement.config.KAFKA_BOOTSTRAP_SERVERS).toBe('kafka.core.demo.hsa.demo.internal:9094');
  expect(settlement.config.SETTLEMENT_BATCH_SIZE).toBe('500');
  expect(Object.keys(settlement.config)).toEqual([...Object.keys(settlement.config)].sort());
});

test('only HSA_SITE and capacity differ between the datacenters', () => {
  for (const zone of ['public', 'core'] as const) {
    const [a, b] = (['A', 'B'] as const).map((site) => model.units.find((u) => u.zone === zone && u.site === site)!);
    expect(b!.applications.map((x) => x.name)).toEqual(a!.applications.map((x) => x.name));
    a!.applications.forEach((appA, i) => {
      const appB = b!.applications[i]!;
      const { HSA_SITE: siteA, ...restA } = appA.config;
      const { HSA_SITE: siteB, ...restB } = appB.config;
      expect([siteA, siteB]).toEqual(['A', 'B']);
      expect(restB).toEqual(restA);
      expect(appB.image).toBe(appA.image);
    });
  }
});

test('the middleware a zone runs is what its applications use', () => {
  expect(model.units.find((u) => u.stackName === 'demo-public-a')!.middleware).toEqual(['redis-cache', 'redis-session', 'nacos', 'log']);
  expect(model.units.find((u) => u.stackName === 'demo-core-b')!.middleware).toEqual(['redis-cache', 'redis-session', 'kafka', 'fastdfs', 'nacos', 'xxl-job', 'log', 'database']);
});
