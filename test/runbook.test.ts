import { CdktfDeployer } from '../switchover/cdktf-deployer';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { resolveProvince } from '../model/platform-model';
import { planSwitchover, type SwitchoverStep } from '../model/switchover';
import { loadEnvironment, PROJECT_ROOT } from './support/fixtures';

const demo = loadEnvironment('demo').environment;

test('the switchover checks every pair before promoting, promotes before deploying, and re-points the old site last', () => {
  const plan = planSwitchover(resolveProvince('demo', demo), 'B');
  const kinds = plan.steps.map((s) => s.kind);
  const last = (kind: SwitchoverStep['kind']) => kinds.lastIndexOf(kind);
  const first = (kind: SwitchoverStep['kind']) => kinds.indexOf(kind);
  expect(kinds[0]).toBe('freeze-writes');
  expect(last('check-caught-up')).toBeLessThan(first('promote'));
  expect(last('promote')).toBeLessThan(first('deploy'));
  expect(first('wait-for-site')).toBeLessThan(last('deploy'));
  expect(last('deploy')).toBeLessThan(first('verify-following'));
  expect(plan.pairs.map((p) => `${p.role}@${p.zone}`)).toEqual(['redis-cache@public', 'redis-session@public', 'redis-cache@core', 'redis-session@core', 'kafka@core', 'fastdfs@core', 'database@core']);
  const deploys = plan.steps.filter((s) => s.kind === 'deploy');
  expect(deploys.map((d) => (d.kind === 'deploy' ? d.command : ''))).toEqual([
    'HSA_ENV=demo HSA_ACTIVE_SITE=B npx cdktf deploy demo-public-b demo-core-b --skip-provider-lock',
    'HSA_ENV=demo HSA_ACTIVE_SITE=B npx cdktf deploy demo-public-a demo-core-a --skip-provider-lock',
  ]);
});

test('failing back is the same procedure the other way', () => {
  const back = planSwitchover(resolveProvince('demo', demo, { activeSite: 'B' }), 'A');
  expect([back.from, back.to]).toEqual(['B', 'A']);
  expect(back.pairs[0]).toEqual({ zone: 'public', role: 'redis-cache', from: '10.20.1.21', to: '10.10.1.21' });
});

test('fails to plan a switchover to the site that is already active', () => {
  expect(() => planSwitchover(resolveProvince('demo', demo), 'A')).toThrow(/site A is already active/);
});

test('npm run runbook prints the ordered steps with the stacks to deploy', () => {
  const result = spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/runbook.ts', '--env', 'demo', '--to', 'B'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('# Switchover of demo: site A -> site B');
  expect(result.stdout).toMatch(/\d+\. Promote redis-cache \(core\) at site B/);
  expect(result.stdout).toContain('$ HSA_ENV=demo HSA_ACTIVE_SITE=B npx cdktf deploy demo-public-b demo-core-b --skip-provider-lock');
});

test('the switchover deployer runs cdktf deploy without asking a registry for provider locks (air-gapped sites)', () => {
  const command = new CdktfDeployer('demo', '/project').describe(['demo-core-b'], 'B');
  expect(command).toBe('HSA_ENV=demo HSA_ACTIVE_SITE=B npx cdktf deploy demo-core-b --auto-approve --skip-provider-lock');
});

test('the runbook includes the business database pair the switchover checks: caught up, promoted by its DBA, followed', () => {
  const plan = planSwitchover(resolveProvince('demo', demo), 'B');
  const database = plan.steps.filter((s) => 'pair' in s && s.pair.role === 'database').map((s) => s.kind);
  expect(database).toEqual(['check-caught-up', 'promote', 'verify-following']);
  expect(plan.pairs).toContainEqual({ zone: 'core', role: 'database', from: '10.10.2.40', to: '10.20.2.40' });
});
