import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, Aspects, TerraformStack } from 'cdktf';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8S_PACK } from '../compliance/packs';
import { FindingCollector, ResourceRulesAspect } from '../compliance/resource-rules-aspect';
import { suppressRule } from '../compliance/suppressions';
import type { ResourceRule } from '../compliance/types';

/** A stack with one deliberately weak deployment: root allowed, no limits. */
function weakStack(outdir: string, rules: readonly ResourceRule[]) {
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, 'weak');
  new KubernetesProvider(stack, 'k8s', {});
  const deployment = new DeploymentV1(stack, 'Legacy', {
    metadata: { name: 'legacy', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'legacy' } },
      template: { metadata: { labels: { app: 'legacy' } }, spec: { container: [{ name: 'legacy', image: 'legacy:1.0.0' }] } },
    },
  });
  const collector = new FindingCollector();
  Aspects.of(stack).add(new ResourceRulesAspect(rules, collector));
  return { app, deployment, collector };
}

let outdir: string;
beforeEach(() => {
  outdir = mkdtempSync(join(tmpdir(), 'aspect-'));
});
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

test('the K8S pack runs as an Aspect at synth time and names rule, stack, path, problem and fix', () => {
  const { app, collector } = weakStack(outdir, K8S_PACK);
  app.synth();
  const ids = collector.findings.map((f) => f.ruleId);
  expect(ids).toEqual(expect.arrayContaining(['K8S-RunAsNonRoot', 'K8S-NoPrivilegeEscalation', 'K8S-CapabilitiesDropped', 'K8S-ResourceLimits', 'K8S-ReadOnlyRootFilesystem']));
  const finding = collector.findings.find((f) => f.ruleId === 'K8S-ResourceLimits')!;
  expect(finding).toMatchObject({ stack: 'weak', path: 'weak/Legacy', severity: 'error' });
  expect(finding.message).toContain('container "legacy" has no limits.cpu');
  expect(finding.fix).toContain('resources.limits');
});

test('a suppression keeps the finding in the report with its reason and writes it into the synthesized resource', () => {
  const { app, deployment, collector } = weakStack(outdir, K8S_PACK);
  suppressRule(deployment, 'K8S-ReadOnlyRootFilesystem', '遗留系统需写本地目录，已评审 (CHG-2026-118)');
  app.synth();
  const suppressed = collector.findings.filter((f) => f.suppressed);
  expect(suppressed.map((f) => f.ruleId)).toEqual(['K8S-ReadOnlyRootFilesystem']);
  expect(suppressed[0]!.suppressed!.reason).toContain('CHG-2026-118');
  const json = JSON.parse(readFileSync(join(outdir, 'stacks', 'weak', 'cdk.tf.json'), 'utf8')) as { resource: Record<string, Record<string, Record<string, { compliance_suppressions?: unknown }>>> };
  const comment = Object.values(json.resource.kubernetes_deployment_v1!)[0]!['//']!;
  expect(comment.compliance_suppressions).toEqual([{ rule: 'K8S-ReadOnlyRootFilesystem', reason: '遗留系统需写本地目录，已评审 (CHG-2026-118)' }]);
});

test('fails to suppress without a reason of at least 10 characters', () => {
  const { deployment } = weakStack(outdir, K8S_PACK);
  expect(() => suppressRule(deployment, 'K8S-RunAsNonRoot', 'legacy')).toThrow(/expected at least 10 characters/);
});

test('a rule that crashes is reported as a finding, not swallowed', () => {
  const crashing: ResourceRule = {
    id: 'TEST-Crash',
    severity: 'warning',
    description: 'always throws',
    check() {
      throw new Error('boom');
    },
  };
  const { app, collector } = weakStack(outdir, [crashing]);
  app.synth();
  expect(collector.findings).toEqual([expect.objectContaining({ ruleId: 'TEST-Crash', message: 'rule crashed: boom' })]);
});
