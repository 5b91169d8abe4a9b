import { firstDeployStep, FirstDeployError, renderFirstDeploy } from '../review/first-deploy';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

const stacks = synthesizeStacks([loadEnvironment('demo')]);

test('a core stack with Strimzi custom resources applies the operator release first, and every custom resource waits for it', () => {
  const step = firstDeployStep('demo-core-b', stacks.get('demo-core-b')!);
  expect(step.crdReleases).toEqual(['helm_release.Platform_Middleware_Kafka_Operator_DE862311']);
  // Kafka, its node pool, MirrorMaker 2 and four KafkaUsers (MirrorMaker 2, the switchover, two projects).
  expect(step.customResources).toHaveLength(7);
  const commands = renderFirstDeploy('demo', [step]);
  expect(commands).toContain('terraform -chdir=cdktf.out/stacks/demo-core-b apply -input=false -target=helm_release.Platform_Middleware_Kafka_Operator_DE862311\n');
  // The whole stack is deployed after the CRDs are in.
  expect(commands.indexOf('-target=')).toBeLessThan(commands.indexOf('npx cdktf deploy demo-core-b'));
});

test('a stack without custom resources deploys in one step', () => {
  const step = firstDeployStep('demo-public-a', stacks.get('demo-public-a')!);
  expect(step.crdReleases).toEqual([]);
  expect(renderFirstDeploy('demo', [step])).not.toContain('-target=');
});

test('fails when a custom resource does not depend on the release that installs its CRD', () => {
  const stack = JSON.parse(JSON.stringify(stacks.get('demo-core-a')!)) as { resource: { kubernetes_manifest: Record<string, { depends_on?: string[] }> } };
  for (const manifest of Object.values(stack.resource.kubernetes_manifest)) delete manifest.depends_on;
  expect(() => firstDeployStep('demo-core-a', stack)).toThrow(FirstDeployError);
  expect(() => firstDeployStep('demo-core-a', stack)).toThrow('does not depend on a CRD release');
});
