import { environmentJson, parseJson, synthesizeStacks } from './support/fixtures';

/**
 * One port table (model/middleware-model.ts PORTS, the database's from the environment): a database on
 * another port reaches every place that names it, not only the switchover's check.
 */
test('a business database declared on port 15432 is reached on 15432 by the applications, Nacos, XXL-JOB and the network policies', () => {
  const env = environmentJson('demo');
  const middleware = env.middleware as { database: { product: string; port?: number } };
  middleware.database = { ...middleware.database, port: 15432 };
  const text = [...synthesizeStacks([parseJson(env)]).values()].map((stack) => JSON.stringify(stack)).join('\n');
  // Where the default port still appears, with some context (empty when the declared port is used everywhere).
  expect(text.match(/.{0,60}(:5432\b|"DB_PORT":"5432"|"port":"5432").{0,20}/g) ?? []).toEqual([]);
  expect(text).toContain('"DB_PORT":"15432"');
  expect(text).toMatch(/jdbc:postgresql:\/\/database\.core\.[^"]*:15432\/nacos/);
  expect(text).toMatch(/jdbc:postgresql:\/\/database\.core\.[^"]*:15432\/xxl_job/);
  expect(text).toContain('"port":"15432"');
});

test('the load balancer reaches a project namespace only on its applications\' catalog ports, and a project without applications not at all', () => {
  const env = environmentJson('demo');
  const applications = env.applications as Record<string, unknown>;
  delete applications['intelligent-supervision']; // znjk's only application
  const stacks = synthesizeStacks([parseJson(env)]);
  const core = stacks.get('demo-core-a')!;
  const policies = Object.values(core.resource.kubernetes_network_policy_v1 ?? {}) as { metadata: { name: string; namespace: string }; spec: { ingress?: { ports: { port: string }[] }[] } }[];
  const fromLoadBalancer = policies.filter((p) => p.metadata.name === 'allow-from-hsa-ingress' && p.metadata.namespace.includes('proj-'));
  const namespaces = fromLoadBalancer.map((p) => p.metadata.namespace);
  expect(namespaces.some((n) => n.includes('proj-hxjb'))).toBe(true);
  expect(namespaces.some((n) => n.includes('proj-znjk'))).toBe(false);
  expect(new Set(fromLoadBalancer.flatMap((p) => p.spec.ingress!.flatMap((rule) => rule.ports.map((port) => port.port))))).toEqual(new Set(['8080']));
});
