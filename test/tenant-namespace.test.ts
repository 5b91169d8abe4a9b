import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { JsonObject } from '../compliance/types';
import { TenantNamespace, type TenantNamespaceProps } from '../constructs/tenancy/tenant-namespace';
import { Peer } from '../constructs/tenancy/network-policy-set';
import { resourceAt, synthesizeStack, type SynthesizedStack } from './support/fixtures';

function synth(props: Partial<TenantNamespaceProps> = {}, extra?: (tenant: TenantNamespace) => void): SynthesizedStack {
  return synthesizeStack('t', (stack) => {
    new KubernetesProvider(stack, 'k8s', {});
    const tenant = new TenantNamespace(stack, 'Team', {
      kind: 'team',
      namespace: 'team-settlement',
      displayName: '结算开发组',
      group: 'hsa:settlement-dev',
      quota: { cpu: 8, memoryGiB: 16, pods: 40 },
      ...props,
    });
    extra?.(tenant);
  });
}

const stack = synth();
const policy = (s: SynthesizedStack, id: string) => resourceAt(s, 'kubernetes_network_policy_v1', `t/Team/NetworkPolicies/${id}`);

test('the namespace carries the tenant kind and the display name', () => {
  const ns = resourceAt(stack, 'kubernetes_namespace_v1', 't/Team/Resource');
  expect(ns.metadata).toMatchObject({ name: 'team-settlement', labels: { 'hsa.gov.cn/tenant-kind': 'team' }, annotations: { 'hsa.gov.cn/display-name': '结算开发组' } });
});

test('a team role manages workloads but cannot read Secrets, bound to the team group', () => {
  const role = resourceAt(stack, 'kubernetes_role_v1', 't/Team/Role');
  const rules = role.rule as JsonObject[];
  expect(rules.some((r) => (r.resources as string[]).includes('deployments') && (r.verbs as string[]).includes('create'))).toBe(true);
  expect(rules.some((r) => (r.resources as string[]).includes('secrets'))).toBe(false);
  const binding = resourceAt(stack, 'kubernetes_role_binding_v1', 't/Team/RoleBinding');
  expect(binding.subject).toEqual([{ api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: 'hsa:settlement-dev' }]);
  expect((binding.role_ref as JsonObject).name).toMatch(/^\$\{kubernetes_role_v1\..*\.metadata\[0\]\.name\}$/);
});

test('a project role is read-only except scaling', () => {
  const rules = resourceAt(synth({ kind: 'project', namespace: 'proj-hxjb' }), 'kubernetes_role_v1', 't/Team/Role').rule as JsonObject[];
  const writeVerbs = rules.flatMap((r) => (r.verbs as string[]).filter((v) => !['get', 'list', 'watch'].includes(v)).map((v) => `${(r.resources as string[]).join(',')}:${v}`));
  expect(writeVerbs.sort()).toEqual(['deployments/scale:patch', 'deployments/scale:update']);
});

test('the quota limits requests, limits (twice the requests) and pods', () => {
  const quota = resourceAt(stack, 'kubernetes_resource_quota_v1', 't/Team/Quota');
  expect((quota.spec as JsonObject).hard).toEqual({ 'requests.cpu': '8', 'limits.cpu': '16', 'requests.memory': '16Gi', 'limits.memory': '32Gi', pods: '40' });
});

test('container defaults default to 250m/512Mi requests and 1000m/1024Mi limits, written as the API server stores them', () => {
  const limits = resourceAt(stack, 'kubernetes_limit_range_v1', 't/Team/Limits');
  expect(((limits.spec as JsonObject).limit as JsonObject[])[0]).toEqual({ type: 'Container', default_request: { cpu: '250m', memory: '512Mi' }, default: { cpu: '1', memory: '1Gi' } });
});

test('network: default deny for ingress and egress, then same-namespace and cluster DNS allowed', () => {
  expect((policy(stack, 'DefaultDeny').spec as JsonObject)).toEqual({ pod_selector: {}, policy_types: ['Ingress', 'Egress'] });
  const same = policy(stack, 'AllowSameNamespace').spec as JsonObject;
  expect(same.ingress).toEqual([{ from: [{ pod_selector: {} }] }]);
  const dns = (policy(stack, 'AllowDns').spec as JsonObject).egress as JsonObject[];
  expect(dns[0]!.ports).toEqual([{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }]);
});

test('allowFrom and allowTo a namespace open only that namespace and those ports', () => {
  const s = synth({}, (t) => {
    t.allowFrom('FromIngress', Peer.namespace('hsa-ingress'), [8443, 8080]);
    t.allowTo('ToMiddleware', Peer.namespace('hsa-middleware'), [6379]);
  });
  const from = policy(s, 'FromIngress');
  expect((from.metadata as JsonObject).name).toBe('allow-from-hsa-ingress');
  expect(((from.spec as JsonObject).ingress as JsonObject[])[0]).toEqual({
    from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'hsa-ingress' } } }],
    ports: [{ port: '8080', protocol: 'TCP' }, { port: '8443', protocol: 'TCP' }],
  });
  expect(((policy(s, 'ToMiddleware').spec as JsonObject).policy_types)).toEqual(['Egress']);
});

test('every kind of peer: addresses as /32 blocks, labelled namespaces, anyone (a rule without "from")', () => {
  const s = synth({}, (t) => {
    t.allowTo('ToVips', Peer.addresses(['10.0.0.2', '10.0.0.1', '10.1.0.0/24']), [6379], { name: 'allow-to-vips' });
    t.allowFrom('FromTenants', Peer.labelledNamespaces('hsa.gov.cn/tenant-kind'), [{ port: 53, protocol: 'UDP' }], { name: 'allow-from-tenants' });
    t.allowFrom('FromAnyone', Peer.anyone(), [443], { name: 'allow-from-anyone' });
  });
  expect(((policy(s, 'ToVips').spec as JsonObject).egress as JsonObject[])[0]!.to).toEqual([{ ip_block: { cidr: '10.0.0.1/32' } }, { ip_block: { cidr: '10.0.0.2/32' } }, { ip_block: { cidr: '10.1.0.0/24' } }]);
  expect(((policy(s, 'FromTenants').spec as JsonObject).ingress as JsonObject[])[0]).toEqual({
    from: [{ namespace_selector: { match_expressions: [{ key: 'hsa.gov.cn/tenant-kind', operator: 'Exists' }] } }],
    ports: [{ port: '53', protocol: 'UDP' }],
  });
  expect(((policy(s, 'FromAnyone').spec as JsonObject).ingress as JsonObject[])[0]).toEqual({ ports: [{ port: '443', protocol: 'TCP' }] });
});

test('refused: an empty port list (it would admit every port) and a peer without a default name given none', () => {
  expect(() => synth({}, (t) => t.allowFrom('Open', Peer.namespace('x'), []))).toThrow(/allow-from-x: no ports given; an empty port list admits every port/);
  expect(() => synth({}, (t) => t.allowTo('Vips', Peer.addresses(['10.0.0.1']), [80]))).toThrow(/needs a name \(options.name\)/);
});
