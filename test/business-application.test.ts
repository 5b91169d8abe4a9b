import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { JsonObject } from '../compliance/types';
import { BusinessApplication, type BusinessApplicationProps } from '../constructs/apps/business-application';
import { resourceAt, synthesizeStack, type SynthesizedStack } from './support/fixtures';

function synth(props: Partial<BusinessApplicationProps> = {}): SynthesizedStack {
  return synthesizeStack('s', (stack) => {
    new KubernetesProvider(stack, 'k8s', {});
    new BusinessApplication(stack, 'Settlement', {
      namespace: { namespaceName: 'proj-hxjb' },
      name: 'settlement',
      image: 'registry.demo/hsa/settlement:2.3.1',
      version: '2.3.1',
      replicas: 3,
      requests: { cpuMilli: 1000, memoryMiB: 2048 },
      limits: { cpuMilli: 2000, memoryMiB: 4096 },
      config: { HSA_SITE: 'A', REDIS_CACHE_HOST: 'redis-cache.core.demo.hsa.demo.internal' },
      ...props,
    });
  });
}

const stack = synth();
const deployment = resourceAt(stack, 'kubernetes_deployment_v1', 's/Settlement/Resource');
const spec = deployment.spec as JsonObject;
const pod = (spec.template as JsonObject).spec as JsonObject;
const container = (pod.container as JsonObject[])[0]!;

test('rolling update that never drops below the desired count', () => {
  expect(spec.strategy).toEqual({ type: 'RollingUpdate', rolling_update: { max_surge: '25%', max_unavailable: '0' } });
  expect(spec.replicas).toBe('3');
  expect(deployment.lifecycle).toEqual({ ignore_changes: ['spec[0].replicas'] });
});

test('hardened pod and container security context (NSA/CISA)', () => {
  expect(pod.security_context).toMatchObject({ run_as_non_root: true, run_as_user: '10001', seccomp_profile: { type: 'RuntimeDefault' } });
  expect(pod.automount_service_account_token).toBe(false);
  expect(container.security_context).toEqual({
    run_as_non_root: true,
    allow_privilege_escalation: false,
    privileged: false,
    read_only_root_filesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(container.volume_mount).toEqual([{ name: 'tmp', mount_path: '/tmp' }]);
});

test('requests, limits and probes on the default HSAF actuator paths and port 8080', () => {
  // As the API server stores them (model/quantity.ts): any other form shows as a change in every plan.
  expect(container.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } });
  expect((container.readiness_probe as JsonObject).http_get).toEqual({ path: '/actuator/health/readiness', port: '8080' });
  expect((container.liveness_probe as JsonObject).http_get).toEqual({ path: '/actuator/health/liveness', port: '8080' });
  expect(container.port).toEqual([{ name: 'http', container_port: 8080, protocol: 'TCP' }]);
});

test('configuration comes from its ConfigMap, and a change of it rolls the pods', () => {
  const configMap = resourceAt(stack, 'kubernetes_config_map_v1', 's/Settlement/Config');
  expect(configMap.data).toEqual({ HSA_SITE: 'A', REDIS_CACHE_HOST: 'redis-cache.core.demo.hsa.demo.internal' });
  expect(((container.env_from as JsonObject[])[0]!.config_map_ref as JsonObject).name).toMatch(/^\$\{kubernetes_config_map_v1\./);
  const hash = (s: SynthesizedStack) =>
    ((((resourceAt(s, 'kubernetes_deployment_v1', 's/Settlement/Resource').spec as JsonObject).template as JsonObject).metadata as JsonObject).annotations as JsonObject)['hsa.gov.cn/config-hash'];
  expect(hash(synth({ config: { HSA_SITE: 'B' } }))).not.toBe(hash(stack));
});

test('Service, PodDisruptionBudget (one pod at a time) and autoscaler', () => {
  const service = resourceAt(stack, 'kubernetes_service_v1', 's/Settlement/Service');
  expect((service.spec as JsonObject).port).toEqual([{ name: 'http', port: 80, target_port: 'http', protocol: 'TCP' }]);
  expect((resourceAt(stack, 'kubernetes_pod_disruption_budget_v1', 's/Settlement/DisruptionBudget').spec as JsonObject).max_unavailable).toBe('1');
  const hpa = resourceAt(stack, 'kubernetes_horizontal_pod_autoscaler_v2', 's/Settlement/Autoscaler').spec as JsonObject;
  expect([hpa.min_replicas, hpa.max_replicas]).toEqual([3, 6]);
  expect(((hpa.metric as JsonObject[])[0]!.resource as JsonObject).target).toEqual({ type: 'Utilization', average_utilization: 70 });
});

test('defaults: port 8080, probes, maxReplicas 2x, target CPU 70%; overrides are honoured', () => {
  const custom = synth({ port: 9090, maxReplicas: 10, targetCpuUtilizationPercent: 50, readinessPath: '/ready' });
  const hpa = resourceAt(custom, 'kubernetes_horizontal_pod_autoscaler_v2', 's/Settlement/Autoscaler').spec as JsonObject;
  expect(hpa.max_replicas).toBe(10);
  expect(((hpa.metric as JsonObject[])[0]!.resource as JsonObject).target).toEqual({ type: 'Utilization', average_utilization: 50 });
  const c = ((((resourceAt(custom, 'kubernetes_deployment_v1', 's/Settlement/Resource').spec as JsonObject).template as JsonObject).spec as JsonObject).container as JsonObject[])[0]!;
  expect((c.readiness_probe as JsonObject).http_get).toEqual({ path: '/ready', port: '9090' });
});
