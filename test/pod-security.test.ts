import { k8sPodSecurityRestricted } from '../compliance/rules/k8s-pod-security-restricted';
import type { JsonObject } from '../compliance/types';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const namespace = (labels: JsonObject) => ({ stack: 's', path: 's/ns', type: 'kubernetes_namespace_v1', config: { metadata: { name: 'proj-x', labels } } });

test('every tenant namespace of every demo stack enforces restricted (and warns and audits at it)', () => {
  let tenants = 0;
  for (const stack of synthesizeStacks([loadEnvironment('demo')]).values()) {
    for (const body of Object.values(stack.resource.kubernetes_namespace_v1 ?? {})) {
      const labels = (body.metadata as JsonObject).labels as JsonObject;
      if (labels['hsa.gov.cn/tenant-kind'] === undefined) continue;
      tenants++;
      expect(labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' });
    }
  }
  expect(tenants).toBeGreaterThan(4);
});

test('K8S-PodSecurityRestricted: compliant with restricted, not applicable to platform namespaces', () => {
  expect(k8sPodSecurityRestricted.check(namespace({ 'hsa.gov.cn/tenant-kind': 'project', 'pod-security.kubernetes.io/enforce': 'restricted' })).status).toBe('compliant');
  expect(k8sPodSecurityRestricted.check(namespace({ 'hsa.gov.cn/platform-component': 'hsa-middleware' })).status).toBe('not-applicable');
});

test('K8S-PodSecurityRestricted: fails for a tenant namespace without the label, or at baseline', () => {
  const none = k8sPodSecurityRestricted.check(namespace({ 'hsa.gov.cn/tenant-kind': 'team' }));
  expect(none.status === 'non-compliant' ? none.problems[0]!.message : '').toContain('tenant namespace proj-x enforces Pod Security Admission nothing');
  const baseline = k8sPodSecurityRestricted.check(namespace({ 'hsa.gov.cn/tenant-kind': 'team', 'pod-security.kubernetes.io/enforce': 'baseline' }));
  expect(baseline.status).toBe('non-compliant');
});
