/**
 * Log shipping as synthesized: beside every application a shipper with its project's index, a gateway
 * beside each log service holding the password by reference and the service's CA, the network opened on
 * the gateway's port only, and one switch. The real judges: the log shipping drill runs exactly these
 * configurations with the real collectors (test/drills/log-shipping.test.ts); the rehearsal creates the
 * pods on a real API server.
 */
import { parse } from 'yaml';
import type { JsonObject, StackJson } from '../compliance/types';
import { DEFAULT_LOG_DIRECTORY, LOG_GATEWAY, LOG_GATEWAY_PORT, logGatewayConfig, logIndex } from '../model/log-shipping';
import { resolveProvince } from '../model/platform-model';
import { environmentJson, loadEnvironment, parseJson, synthesizeStacks } from './support/fixtures';

const demo = loadEnvironment('demo');
const model = resolveProvince('demo', demo.environment);
const stacks = synthesizeStacks([demo]);
const resources = (stack: StackJson, type: string) => Object.values(stack.resource?.[type] ?? {});
const named = (stack: StackJson, type: string, name: string) => resources(stack, type).find((r) => (r.metadata as JsonObject).name === name);
const podSpec = (deployment: JsonObject) => ((deployment.spec as JsonObject).template as JsonObject).spec as JsonObject;

test('every application of every unit has a shipper to its project index, and every unit with a log service a gateway beside it', () => {
  for (const unit of model.units) {
    const stack = stacks.get(unit.stackName) as unknown as StackJson;
    expect(unit.logShipping).toBeDefined();
    expect(unit.logShipping!.applications.map((a) => a.application).sort()).toEqual(unit.applications.map((a) => a.name).sort());
    for (const app of unit.applications) {
      const deployment = named(stack, 'kubernetes_deployment_v1', app.name)!;
      const containers = podSpec(deployment).container as JsonObject[];
      const shipper = containers.find((c) => c.name === 'log-shipper')!;
      expect(shipper).toBeDefined();
      const config = parse(String((named(stack, 'kubernetes_config_map_v1', `${app.name}-log-shipper`)!.data as JsonObject)['config.yaml']).replace(/\$\$\{/g, '${')) as JsonObject;
      const receiver = (config.receivers as JsonObject).file_log as JsonObject;
      expect(receiver.resource).toMatchObject({ 'hsa.project': app.project, 'service.name': app.name, 'elasticsearch.index': logIndex(app.project), 'k8s.pod.name': '${env:HSA_POD_NAME}' });
      expect(receiver.include).toEqual([`${DEFAULT_LOG_DIRECTORY}/*.log`]);
      expect(((config.exporters as JsonObject).otlp_http as JsonObject).endpoint).toBe(`http://${LOG_GATEWAY}.hsa-middleware.svc:${LOG_GATEWAY_PORT}`);
      // The application and its shipper share the log directory; the shipper only reads it.
      const mounts = (c: JsonObject) => (c.volume_mount as JsonObject[]).filter((m) => m.mount_path === DEFAULT_LOG_DIRECTORY);
      expect(mounts(containers[0]!)).toHaveLength(1);
      expect(mounts(shipper)).toEqual([{ ...mounts(containers[0]!)[0], read_only: true }]);
      expect((shipper.env as JsonObject[])[0]).toEqual({ name: 'HSA_POD_NAME', value_from: { field_ref: { field_path: 'metadata.name' } } });
    }
    // Settlement writes its events in the same directory: one volume, the event file left to the business monitoring.
    const settlement = unit.logShipping!.applications.find((a) => a.application === 'settlement');
    if (settlement) {
      expect(parse(settlement.config).receivers.file_log.exclude).toEqual(['/var/log/hsa/settlement-events.log', '/var/log/hsa/settlement-events.log.*']);
      const volumes = (podSpec(named(stack, 'kubernetes_deployment_v1', 'settlement')!).volume as JsonObject[]).map((v) => v.name);
      expect(volumes).toContain('business-events');
      expect(volumes).not.toContain('application-logs');
    }

    const gateway = named(stack, 'kubernetes_deployment_v1', LOG_GATEWAY)!;
    expect((gateway.metadata as JsonObject).namespace).toContain('Platform_Middleware_Namespace');
    const [container] = podSpec(gateway).container as JsonObject[];
    expect(String(container!.image)).toMatch(/\/opentelemetry-collector-contrib:0\.150\.0$/);
    expect(container!.env).toEqual([{ name: 'HSA_LOG_PASSWORD', value_from: { secret_key_ref: { name: 'hsa-log-auth', key: 'elasticsearch-password' } } }]);
    expect(podSpec(gateway).volume).toContainEqual({ name: 'ca', secret: { secret_name: 'log-elasticsearch-coordinating-crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    const gatewayYaml = String((named(stack, 'kubernetes_config_map_v1', LOG_GATEWAY)!.data as JsonObject)['config.yaml']);
    expect(gatewayYaml.replace(/\$\$\{/g, '${')).toBe(logGatewayConfig('log'));
    expect(parse(logGatewayConfig('log')).exporters.elasticsearch).toMatchObject({ endpoint: 'https://log-elasticsearch:9200', user: 'elastic', password: '${env:HSA_LOG_PASSWORD}', sending_queue: { enabled: false } });
  }
});

test('the network: each shipping namespace reaches the gateway on its port only, and the middleware namespace admits exactly those namespaces there', () => {
  const stack = stacks.get('demo-core-a') as unknown as StackJson;
  const unit = model.units.find((u) => u.stackName === 'demo-core-a')!;
  const policies = resources(stack, 'kubernetes_network_policy_v1');
  const toGateway = policies.filter((p) => (p.metadata as JsonObject).name === 'allow-to-log-gateway');
  expect(toGateway.map((p) => String((p.metadata as JsonObject).namespace)).length).toBe(new Set(unit.applications.map((a) => a.namespace)).size);
  for (const policy of toGateway) expect(JSON.stringify((policy.spec as JsonObject).egress)).toContain(`"port":"${LOG_GATEWAY_PORT}"`);
  const fromShippers = policies.find((p) => (p.metadata as JsonObject).name === 'allow-from-log-shippers')!;
  const ingress = ((fromShippers.spec as JsonObject).ingress as JsonObject[])[0]!;
  expect((ingress.ports as JsonObject[]).map((p) => p.port)).toEqual([String(LOG_GATEWAY_PORT)]);
  const namespaces = (ingress.from as JsonObject[]).map((f) => ((f.namespace_selector as JsonObject).match_labels as JsonObject)['kubernetes.io/metadata.name']);
  expect(namespaces).toEqual([...new Set(unit.applications.map((a) => a.namespace))].sort());
});

test('a log directory that is not absolute is refused naming the field; logShipping.enabled false ships nothing', () => {
  const json = environmentJson('demo');
  ((json.applications as JsonObject).settlement as JsonObject).logs = { directory: 'logs' };
  expect(() => parseJson(json)).toThrow(/environments\/demo\.json.*applications\.settlement\.logs\.directory.*absolute directory/s);
  const off = environmentJson('demo');
  (off.observability as JsonObject).logShipping = { enabled: false };
  for (const stack of synthesizeStacks([parseJson(off)]).values()) {
    const plain = stack as unknown as StackJson;
    expect(named(plain, 'kubernetes_deployment_v1', LOG_GATEWAY)).toBeUndefined();
    expect(JSON.stringify(plain.resource?.kubernetes_deployment_v1)).not.toContain('log-shipper');
  }
});
