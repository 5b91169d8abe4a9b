import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStackResources } from '../compliance/check-resources';
import { K8S_PACK } from '../compliance/packs';
import { atSeverity, type ResourceRule, type StackJson } from '../compliance/types';
import { suppressRule } from '../constructs/suppressions';
import { synthesizeAndCheck } from '../pipeline/synthesize-and-check';
import { buildPlatform } from '../stacks/platform-app';
import { resourcesOf } from '../synthesized/json';
import { recordedSuppressions } from '../synthesized/suppressions';
import { environmentJson, parseJson, withTempDir } from './support/fixtures';

/** A stack with one deliberately weak deployment (root allowed, no limits), synthesized; the checks read only its JSON. */
function weakStack(outdir: string) {
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
  const synthesized = (): StackJson => {
    app.synth();
    return JSON.parse(readFileSync(join(outdir, 'stacks', 'weak', 'cdk.tf.json'), 'utf8')) as StackJson;
  };
  return { deployment, synthesized };
}

let outdir: string;
beforeEach(() => {
  outdir = mkdtempSync(join(tmpdir(), 'on-output-'));
});
afterEach(() => rmSync(outdir, { recursive: true, force: true }));

test('the K8S pack runs on the synthesized JSON and names rule, stack, construct path, address, problem and fix', () => {
  const findings = checkStackResources('weak', weakStack(outdir).synthesized(), K8S_PACK);
  expect(findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['K8S-RunAsNonRoot', 'K8S-NoPrivilegeEscalation', 'K8S-CapabilitiesDropped', 'K8S-ResourceLimits', 'K8S-ReadOnlyRootFilesystem']));
  const finding = findings.find((f) => f.ruleId === 'K8S-ResourceLimits')!;
  expect(finding).toMatchObject({ stack: 'weak', path: 'weak/Legacy', address: 'kubernetes_deployment_v1.Legacy', severity: 'error' });
  expect(finding.message).toContain('container "legacy" has no limits.cpu');
  expect(finding.fix).toContain('resources.limits');
});

test('the pack, not the rule, sets the severity', () => {
  const findings = checkStackResources('weak', weakStack(outdir).synthesized(), K8S_PACK);
  expect(findings.find((f) => f.ruleId === 'K8S-ReadOnlyRootFilesystem')!.severity).toBe('warning');
  const stricter = K8S_PACK.map((rule) => atSeverity(rule, 'error'));
  expect(new Set(checkStackResources('weak', weakStack(outdir).synthesized(), stricter).map((f) => f.severity))).toEqual(new Set(['error']));
});

test('a suppression is written into the synthesized resource; the check reads it from there and keeps the finding with its reason', () => {
  const { deployment, synthesized } = weakStack(outdir);
  suppressRule(deployment, 'K8S-ReadOnlyRootFilesystem', '遗留系统需写本地目录，已评审 (CHG-2026-118)');
  const json = synthesized();
  const comment = Object.values(json.resource!.kubernetes_deployment_v1!)[0]!['//'] as { compliance_suppressions?: unknown };
  expect(comment.compliance_suppressions).toEqual([{ rule: 'K8S-ReadOnlyRootFilesystem', reason: '遗留系统需写本地目录，已评审 (CHG-2026-118)' }]);
  const suppressed = checkStackResources('weak', json, K8S_PACK).filter((f) => f.suppressed);
  expect(suppressed.map((f) => f.ruleId)).toEqual(['K8S-ReadOnlyRootFilesystem']);
  expect(suppressed[0]!.suppressed!.reason).toContain('CHG-2026-118');
});

test('a recorded suppression whose reason is too short suppresses nothing', () => {
  const json = weakStack(outdir).synthesized();
  const body = Object.values(json.resource!.kubernetes_deployment_v1!)[0]!;
  body['//'] = { ...(body['//'] as object), compliance_suppressions: [{ rule: 'K8S-RunAsNonRoot', reason: 'legacy' }] };
  expect(checkStackResources('weak', json, K8S_PACK).filter((f) => f.suppressed)).toEqual([]);
});

test('fails to suppress without a reason of at least 10 characters', () => {
  const { deployment } = weakStack(outdir);
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
  expect(checkStackResources('weak', weakStack(outdir).synthesized(), [crashing])).toEqual([expect.objectContaining({ ruleId: 'TEST-Crash', message: 'rule crashed: boom' })]);
});

describe('suppressions declared in the environment file', () => {
  test('land in the output of exactly the resources they cover, and the synthesis reads them from there', () => {
    const env = environmentJson('demo');
    env.compliance = {
      ...(env.compliance as object),
      suppressions: [{ ruleId: 'K8S-ReadOnlyRootFilesystem', path: '*/Platform/Applications/basic-info', reason: '影像缓存写本地目录，已评审 (CHG-2026-201)' }],
    };
    withTempDir((dir) => {
      const build = buildPlatform(dir, [parseJson(env)]);
      const [result] = synthesizeAndCheck(build);
      const covered: string[] = [];
      for (const unit of build.provinces[0]!.model.units) {
        const json = JSON.parse(readFileSync(join(dir, 'stacks', unit.stackName, 'cdk.tf.json'), 'utf8')) as StackJson;
        for (const resource of resourcesOf(unit.stackName, json)) {
          if (recordedSuppressions(resource.config).length > 0) covered.push(resource.path);
        }
      }
      expect(covered.length).toBeGreaterThan(0);
      expect(covered.every((path) => /^demo-core-[ab]\/Platform\/Applications\/basic-info\//.test(path))).toBe(true);
      expect(result!.errors).toBe(0);
    });
  });
});
