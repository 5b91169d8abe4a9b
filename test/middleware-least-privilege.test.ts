import { middlewareClientPorts, resolveProvince } from '../model/platform-model';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

interface Policy {
  '//': { metadata: { path: string } };
  metadata: { name: string; namespace: string };
  spec: { egress?: { to: { ip_block?: { cidr: string }; namespace_selector?: unknown }[]; ports: { port: string }[] }[]; ingress?: { from: { namespace_selector: { match_labels: Record<string, string> } }[]; ports: { port: string }[] }[] };
}

/** Policies name their namespace by reference: the construct path says which tenant's it is. */
const inNamespace = (policy: Policy, namespace: string) => policy['//'].metadata.path.includes(`/Tenants/${namespace}/`);

const demo = loadEnvironment('demo');
const province = resolveProvince('demo', demo.environment);
const stacks = synthesizeStacks([demo]);

// GB/T 22239-2019 level 3 access control, least privilege: a tenant namespace reaches exactly the
// middleware its applications use (ports and addresses), the middleware namespace admits exactly those.
test.each(province.units.map((u) => u.stackName))('%s: each tenant namespace reaches only the middleware its applications use', (stackName) => {
  const unit = province.units.find((u) => u.stackName === stackName)!;
  const policies = Object.values(stacks.get(stackName)!.resource.kubernetes_network_policy_v1 ?? {}) as unknown as Policy[];
  const admitted = policies.find((p) => p['//'].metadata.path.includes('/Middleware/') && p.metadata.name === 'allow-from-tenants')!;
  for (const tenant of unit.tenants) {
    const roles = [...new Set(unit.applications.filter((a) => a.namespace === tenant.namespace).flatMap((a) => a.catalog.uses))].filter((r) => unit.middleware.includes(r));
    const expectedPorts = [...new Set(roles.flatMap((r) => middlewareClientPorts(r, unit.middlewarePorts)))].sort((a, b) => a - b).map(String);
    const toAddresses = policies.find((p) => inNamespace(p, tenant.namespace) && p.metadata.name === 'allow-to-middleware-addresses');
    if (roles.length === 0) {
      expect({ tenant: tenant.namespace, policy: toAddresses }).toEqual({ tenant: tenant.namespace, policy: undefined });
      continue;
    }
    const ports = toAddresses!.spec.egress![0]!.ports.map((p) => p.port);
    expect({ tenant: tenant.namespace, ports }).toEqual({ tenant: tenant.namespace, ports: expectedPorts });
    const cidrs = toAddresses!.spec.egress![0]!.to.map((t) => t.ip_block!.cidr).sort();
    const expectedCidrs = [...new Set(roles.flatMap((r) => [unit.middlewareVips[r], unit.peerMiddlewareVips[r]]).filter((a): a is string => a !== undefined))].sort().map((a) => `${a}/32`);
    expect({ tenant: tenant.namespace, cidrs }).toEqual({ tenant: tenant.namespace, cidrs: expectedCidrs });
    const rule = admitted.spec.ingress!.find((r) => r.from[0]!.namespace_selector.match_labels['kubernetes.io/metadata.name'] === tenant.namespace);
    const inClusterRoles = roles.filter((r) => r !== 'database');
    if (inClusterRoles.length === 0) expect(rule).toBeUndefined();
    else expect(rule!.ports.map((p) => p.port)).toEqual([...new Set(inClusterRoles.flatMap((r) => middlewareClientPorts(r, unit.middlewarePorts)))].sort((a, b) => a - b).map(String));
  }
  // Nobody else: every rule of the middleware namespace's client policy names one tenant namespace.
  const tenantNamespaces = new Set(unit.tenants.map((t) => t.namespace));
  for (const rule of admitted.spec.ingress ?? []) expect(tenantNamespaces.has(rule.from[0]!.namespace_selector.match_labels['kubernetes.io/metadata.name']!)).toBe(true);
});

test('a development team without applications reaches no middleware', () => {
  const teams = province.units.flatMap((u) => u.tenants.filter((t) => t.kind === 'team' && !u.applications.some((a) => a.namespace === t.namespace)).map((t) => ({ stack: u.stackName, namespace: t.namespace })));
  expect(teams.length).toBeGreaterThan(0);
  for (const team of teams) {
    const policies = Object.values(stacks.get(team.stack)!.resource.kubernetes_network_policy_v1 ?? {}) as unknown as Policy[];
    expect(policies.filter((p) => inNamespace(p, team.namespace) && p.metadata.name.startsWith('allow-to-middleware')).map((p) => p.metadata.name)).toEqual([]);
  }
});
