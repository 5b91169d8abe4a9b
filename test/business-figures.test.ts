/**
 * Business monitoring (业务实时监控) as synthesized and the figures service's arithmetic. The real judge is
 * the drill (test/drills/business-monitoring.test.ts): the real OpenTelemetry Collector with exactly the
 * synthesized configuration reads generated settlement lines through rotations and restarts, and the
 * figures served must equal the count and the sum exactly.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { APPLICATION_ATTRIBUTE as PLAN_ATTRIBUTE, collectorConfig, FIGURES_PORT } from '../business/business-plan';
import { FIGURES_JS, transpileFiguresServer } from '../business/figures-js';
import { amountInFen, APPLICATION_ATTRIBUTE, dayOf, Figures, yuan, type CountedEvent } from '../business/figures-server';
import type { JsonObject, StackJson } from '../compliance/types';
import { resolveProvince } from '../model/platform-model';
import { environmentJson, loadEnvironment, parseJson, synthesizeStacks } from './support/fixtures';

test('the deployed figures-server.js is the transpilation of its source (npm run figures-js), and both sides name the application alike', () => {
  expect(readFileSync(FIGURES_JS, 'utf8')).toBe(transpileFiguresServer());
  expect(APPLICATION_ATTRIBUTE).toBe(PLAN_ATTRIBUTE);
  // It runs on a stock Node image from a ConfigMap: nothing but Node's own modules.
  const requires = [...readFileSync(FIGURES_JS, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  expect(requires.every((name) => name!.startsWith('node:'))).toBe(true);
});

test('amounts are summed exactly in fen; what is not a number of yuan with at most two decimals is refused', () => {
  expect(amountInFen('12.30')).toBe(1230n);
  expect(amountInFen(12.3)).toBe(1230n);
  expect(amountInFen('0.1')).toBe(10n);
  expect(amountInFen('-5.05')).toBe(-505n);
  expect(amountInFen(100)).toBe(10000n);
  for (const bad of ['12.345', '1e3', '', 'abc', ' ', null, undefined, Number.NaN, '12,30']) expect(amountInFen(bad)).toBeUndefined();
  // 0.1 + 0.2 a million times, as floats would not.
  let fen = 0n;
  for (let i = 0; i < 1_000_000; i += 1) fen += amountInFen('0.1')! + amountInFen('0.2')!;
  expect(yuan(fen)).toBe('300000.00');
  expect(yuan(-505n)).toBe('-5.05');
  expect(dayOf('2026-12-06 09:30:00')).toBe('2026-12-06');
  expect(dayOf('2026-12-06T01:30:00+08:00')).toBe('2026-12-06');
  expect(dayOf('06/12/2026')).toBeUndefined();
});

test('each event is counted once by application and id; events the declaration does not allow are refused by reason', () => {
  const figures = new Figures({
    applications: { settlement: { fields: { id: 'serialNo', type: 'bizType', institution: 'org.code', amount: 'amount', time: 'settleTime' }, types: { '11': '普通门诊结算' }, byInstitution: true } },
    retainDays: 40,
  });
  const event = (serialNo: string, extra: Record<string, unknown> = {}) => ({ serialNo, bizType: '11', org: { code: 'H001' }, amount: '10.01', settleTime: '2026-12-06 10:00:00', ...extra });
  const read = (application: string | undefined, e: Record<string, unknown>) => figures.read(application, e);
  const counted = read('settlement', event('S1')) as CountedEvent;
  expect(counted).toEqual({ application: 'settlement', id: 'S1', day: '2026-12-06', type: '11', institution: 'H001', fen: '1001' });
  expect(figures.accept(counted)).toBe(true);
  expect(figures.accept(read('settlement', event('S1')) as CountedEvent)).toBe(false);
  expect(figures.accept(read('settlement', event('S2', { amount: 5 })) as CountedEvent)).toBe(true);
  expect(read('other', event('S3'))).toEqual({ rejected: 'application' });
  expect(read('settlement', event('S3', { bizType: '99' }))).toEqual({ rejected: 'type' });
  expect(read('settlement', event('S3', { amount: '1.001' }))).toEqual({ rejected: 'amount' });
  expect(read('settlement', event('S3', { settleTime: 'today' }))).toEqual({ rejected: 'time' });
  expect(read('settlement', { bizType: '11' })).toEqual({ rejected: 'id' });
  expect(figures.day('2026-12-06')).toEqual([{ application: 'settlement', day: '2026-12-06', businessType: '11', businessName: '普通门诊结算', institution: 'H001', count: 2, amount: '15.01' }]);
  expect(figures.duplicates.get('settlement')).toBe(1);
});

test('an application declaring its events gets a collector beside it with exactly the planned configuration, and its site a figures service only its namespace and Prometheus reach', () => {
  const demo = loadEnvironment('demo');
  const model = resolveProvince('demo', demo.environment);
  const stacks = synthesizeStacks([demo]) as unknown as Map<string, StackJson>;
  for (const site of ['a', 'b'] as const) {
    const stack = stacks.get(`demo-core-${site}`)!;
    const unit = model.units.find((u) => u.stackName === `demo-core-${site}`)!;
    const deployment = Object.values(stack.resource!.kubernetes_deployment_v1!).find((d) => (d.metadata as JsonObject).name === 'settlement')!;
    const pod = ((deployment.spec as JsonObject).template as JsonObject).spec as JsonObject;
    const containers = pod.container as JsonObject[];
    // The log shipper beside it too (test/log-shipping.test.ts).
    expect(containers.map((c) => c.name)).toEqual(['settlement', 'event-collector', 'log-shipper']);
    expect(containers[1]!.image).toBe('registry.demo.hsa.internal/hsa/opentelemetry-collector-contrib:0.165.0');
    // The application and its collector share the event file's directory.
    const mounts = (c: JsonObject) => (c.volume_mount as JsonObject[]).map((m) => `${String(m.name)}:${String(m.mount_path)}`);
    expect(mounts(containers[0]!)).toContain('business-events:/var/log/hsa');
    expect(mounts(containers[1]!)).toContain('business-events:/var/log/hsa');
    const config = Object.values(stack.resource!.kubernetes_config_map_v1!).find((c) => (c.metadata as JsonObject).name === 'settlement-event-collector')!;
    const yaml = (config.data as Record<string, string>)['config.yaml']!;
    expect(yaml).toBe(collectorConfig('settlement', '/var/log/hsa/settlement-events.log', `http://hsa-figures.hsa-business.svc:${FIGURES_PORT}`, '/var/lib/hsa-otelcol'));
    expect(parse(yaml)).toMatchObject({ receivers: { file_log: { start_at: 'beginning', storage: 'file_storage' } }, exporters: { otlp_http: { sending_queue: { storage: 'file_storage' } } } });
    const figures = Object.values(stack.resource!.kubernetes_config_map_v1!).find((c) => (c.metadata as JsonObject).name === 'hsa-figures')!;
    // Terraform writes `$${` as `${` (cdktf escapes the template syntax): what reaches the pod is the file as it is.
    expect((figures.data as Record<string, string>)['figures-server.js']!.replace(/\$\$\{/g, '${')).toBe(readFileSync(FIGURES_JS, 'utf8'));
    expect(JSON.parse((figures.data as Record<string, string>)['config.json']!)).toEqual(JSON.parse(JSON.stringify(unit.business!.figuresConfig)));
    const policies = Object.values(stack.resource!.kubernetes_network_policy_v1!);
    const admit = policies.find((p) => (p.metadata as JsonObject).name === 'allow-from-senders-and-readers')!;
    expect(JSON.stringify(admit)).toContain('"proj-hxjb"');
    expect(JSON.stringify(admit)).toContain('"hsa-monitoring"');
    expect(policies.some((p) => (p.metadata as JsonObject).name === 'allow-to-hsa-business' && JSON.stringify(p).includes('"4318"'))).toBe(true);
  }
  // The public zone declares no events: nothing of it there.
  expect(JSON.stringify(stacks.get('demo-public-a'))).not.toContain('hsa-figures');
});

test('a bad declaration of business events is refused, naming the file and the field', () => {
  const json = environmentJson('demo');
  const settlement = (json.applications as JsonObject).settlement as JsonObject;
  settlement.businessEvents = { file: 'settlement.log', fields: { id: 'serialNo', type: 'bizType', institution: 'orgCode', amount: 'amount', time: 'settleTime' }, types: { '11': '门诊' } };
  expect(() => parseJson(json)).toThrow(/environments\/demo\.json.*applications\.settlement\.businessEvents\.file.*expected an absolute file path/s);
  settlement.businessEvents = { file: '/var/log/hsa/s.log', fields: { id: 'serialNo', type: 'bizType', institution: 'orgCode', amount: 'amount' }, types: { '11': '门诊' } };
  expect(() => parseJson(json)).toThrow(/applications\.settlement\.businessEvents\.fields\.time/);
  settlement.businessEvents = { file: '/var/log/hsa/s.log', fields: { id: 'serialNo', type: 'bizType', institution: 'orgCode', amount: 'amount', time: 't' }, types: {} };
  expect(() => parseJson(json)).toThrow(/applications\.settlement\.businessEvents\.types.*at least one business type/s);
});
