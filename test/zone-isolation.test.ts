import { egressPaths, isCidr, zoneGatewayOnly } from '../compliance/rules/zone-gateway-only';
import type { JsonObject, RuleOutcome, StackJson } from '../compliance/types';
import { provinceSubject } from '../compliance/check-province';
import { resolveProvince } from '../model/platform-model';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const demo = loadEnvironment('demo');
const model = resolveProvince('demo', demo.environment);
const stacks = synthesizeStacks([demo]) as unknown as Map<string, StackJson>;
const messages = (result: RuleOutcome) => (result.status === 'non-compliant' ? result.problems.map((p) => p.message) : []);
const check = (s: Map<string, StackJson>) => zoneGatewayOnly.check(provinceSubject(model, s, { edition: '2025' }));

function withExtraPolicy(stackName: string, namespace: string, egress: JsonObject[]): Map<string, StackJson> {
  const copy = new Map(stacks);
  const stack = JSON.parse(JSON.stringify(stacks.get(stackName))) as StackJson;
  stack.resource!.kubernetes_network_policy_v1!.Extra = { metadata: { name: 'extra', namespace }, spec: { pod_selector: {}, policy_types: ['Egress'], egress } };
  copy.set(stackName, stack);
  return copy;
}

test('demo as synthesized: every public-zone path is enumerated, and none reaches the core zone except through the gateway', () => {
  expect(check(stacks).status).toBe('compliant');
  for (const site of ['a', 'b']) {
    const { namespaces, denied, paths } = egressPaths(stacks.get(`demo-public-${site}`)!);
    // Default deny everywhere: the allowed paths below are all the paths there are.
    expect(namespaces.every((n) => denied.has(n))).toBe(true);
    const external = paths.filter((p) => isCidr(p.destination)).map((p) => `${p.namespace} -> ${p.destination}`);
    const gatekeeper = site === 'a' ? '10.10.250.1/32' : '10.20.250.1/32';
    expect(external.filter((e) => e.endsWith(gatekeeper))).toEqual([`hsa-gateway -> ${gatekeeper}`]);
    // The backup namespace reaches the other datacenter's object store (declared in \`backup\`), nothing else of it.
    const store = site === 'a' ? '10.20.0.50/32' : '10.10.0.50/32';
    const apiServer = `${demo.environment.sites[site === 'a' ? 'A' : 'B'].zones.public.apiServer.address}/32`;
    expect(external.filter((e) => e.startsWith('hsa-backup -> ')).sort()).toEqual([`hsa-backup -> ${apiServer}`, `hsa-backup -> ${store}`].sort());
    // Monitoring reaches the receivers' networks (declared in `observability.receiverNetworks`), the public
    // cluster's own nodes (their kubelets, `nodeNetworks`) and, for its probes, the zone's own addresses
    // (checked below with the rest).
    const receivers = demo.environment.observability!.receiverNetworks!;
    const nodes = demo.environment.sites[site === 'a' ? 'A' : 'B'].zones.public.nodeNetworks!;
    const monitoringOutside = [...receivers, ...nodes].map((network) => `hsa-monitoring -> ${network}`);
    expect(external.filter((e) => e.startsWith('hsa-monitoring -> ') && !/-> 10\.(10|20)\.1\.\d+\/32$/.test(e)).sort()).toEqual(monitoringOutside.sort());
    // Everything else leaving the cluster stays in the public zone (its own middleware and load balancers).
    const publicPrefix = /-> 10\.(10|20)\.1\.\d+\/32$/;
    expect(external.filter((e) => !e.endsWith(gatekeeper) && e !== `hsa-backup -> ${store}` && !monitoringOutside.includes(e)).every((e) => publicPrefix.test(e))).toBe(true);
  }
});

test('fails when a public-zone namespace may send to a core-zone address', () => {
  const result = check(withExtraPolicy('demo-public-a', 'proj-ggfw', [{ to: [{ ip_block: { cidr: '10.10.2.0/24' } }] }]));
  expect(messages(result).join('\n')).toMatch(/extra in proj-ggfw allows egress to 10\.10\.2\.0\/24, which covers the core load balancer at site A/);
});

test('fails when anything but the gateway may send to the gatekeeper', () => {
  const result = check(withExtraPolicy('demo-public-b', 'proj-ggfw', [{ to: [{ ip_block: { cidr: '10.20.250.1/32' } }] }]));
  expect(messages(result)).toContain('proj-ggfw may send to the gatekeeper 10.20.250.1; only hsa-gateway may');
});

test('fails for an egress rule without a destination', () => {
  const result = check(withExtraPolicy('demo-public-a', 'hsa-ingress', [{ ports: [{ port: '443', protocol: 'TCP' }] }]));
  expect(messages(result)).toContain('extra in hsa-ingress allows egress to any destination');
});

test('fails for a namespace without default-deny egress', () => {
  const copy = new Map(stacks);
  const stack = JSON.parse(JSON.stringify(stacks.get('demo-public-a'))) as StackJson;
  stack.resource!.kubernetes_namespace_v1!.Loose = { metadata: { name: 'loose' } };
  copy.set('demo-public-a', stack);
  expect(messages(check(copy))).toContain('namespace loose does not deny egress by default');
});
