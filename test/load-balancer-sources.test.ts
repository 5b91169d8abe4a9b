import { loadEnvironment, synthesizeStacks } from './support/fixtures';

interface Rule {
  from?: { ip_block?: { cidr: string }; namespace_selector?: { match_labels: Record<string, string> } }[];
  ports: { port: string }[];
}
interface Policy {
  '//': { metadata: { path: string } };
  metadata: { name: string };
  spec: { ingress?: Rule[] };
}

const stacks = synthesizeStacks([loadEnvironment('demo')]);
const listeners = (stack: string) =>
  (Object.values(stacks.get(stack)!.resource.kubernetes_network_policy_v1!) as unknown as Policy[]).find((p) => p['//'].metadata.path.includes('/Traffic/IngressNamespace/') && p.metadata.name === 'allow-listeners')!.spec.ingress!;
const describe_ = (rules: Rule[]) =>
  rules.map((r) => ({
    ports: r.ports.map((p) => p.port).join(','),
    from: r.from === undefined ? 'anyone' : r.from.map((f) => f.ip_block?.cidr ?? f.namespace_selector!.match_labels['kubernetes.io/metadata.name']).join(' '),
  }));

// GB/T 22239-2019 level 3 boundary protection: behind the gatekeeper, the core zone's load balancer is
// not open to whatever can route to it.
test('core zone: the load balancer admits its gatekeeper and the zone\'s own callers on the listener, the other site\'s egress addresses on the peer listener, nobody else', () => {
  expect(describe_(listeners('demo-core-a'))).toEqual([
    { ports: '8080', from: '10.10.250.2/32' },
    { ports: '8080', from: 'hsa-gateway proj-hxjb proj-znjk team-platform' },
    { ports: '8081', from: '10.20.12.0/24' },
  ]);
  for (const stack of ['demo-core-a', 'demo-core-b']) expect(listeners(stack).every((rule) => rule.from !== undefined)).toBe(true);
});

test('public zone: clients from anywhere on the listener, only the other site on the peer listener', () => {
  expect(describe_(listeners('demo-public-b'))).toEqual([
    { ports: '8080', from: 'anyone' },
    { ports: '8081', from: '10.10.11.0/24' },
  ]);
});
