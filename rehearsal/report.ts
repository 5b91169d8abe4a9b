/**
 * The rehearsal's results as Markdown for docs/deploy-rehearsal.md, and the verdict: every stack
 * initialized, validated and applied, every second plan empty, no pod refused, every destroy of a data
 * holder refused, every switchover plan exactly what the review of the two syntheses says, and a second
 * concurrent deploy stopped by the state lock with the state intact.
 */
import type { ProvinceResult } from './rehearse';

export interface RehearsedVersions {
  readonly tofu: string;
  readonly kubernetes: string;
  readonly providers: readonly string[];
}

function failures(result: ProvinceResult): string[] {
  const found: string[] = [];
  for (const s of result.stacks) {
    if (!s.init || !s.validate || !s.applied) found.push(`${s.stack} (site ${s.activeSite} active): ${!s.init ? 'init' : !s.validate ? 'validate' : 'apply'} failed${s.error ? `: ${s.error.split('\n').slice(-3).join(' ')}` : ''}`);
    for (const change of s.secondPlanChanges) found.push(`${s.stack} (site ${s.activeSite} active): second plan not empty: ${change}`);
  }
  for (const refusal of result.pods.refused) found.push(`pod refused: ${refusal}`);
  for (const d of result.destroyRefusals.notRefused) found.push(`destroy not refused: ${d}`);
  for (const w of [...result.accessReviews.wrong, ...result.accessReviews.grantingNobody]) found.push(`access review: ${w}`);
  for (const s of result.switchover) {
    for (const a of s.planNotInReview) found.push(`${s.stack} to ${s.to}: plan changes ${a}, which the review does not name`);
    for (const a of s.reviewNotInPlan) found.push(`${s.stack} to ${s.to}: the review names ${a}, which the plan does not change`);
  }
  for (const p of result.planReviews) {
    if (p.exit !== 0) found.push(`npm run review -- --plan exited ${p.exit}`);
    for (const f of p.missing) found.push(`npm run review -- --plan does not name the flip ${f}`);
    for (const f of p.extra) found.push(`npm run review -- --plan names a flip the syntheses do not: ${f}`);
  }
  if (result.concurrentDeploy && !(result.concurrentDeploy.secondRefused && result.concurrentDeploy.stateIntact)) found.push(`concurrent deploy: ${result.concurrentDeploy.message}`);
  return found;
}

export function rehearsalPassed(results: readonly ProvinceResult[]): boolean {
  return results.length > 0 && results.every((r) => failures(r).length === 0 && r.stacks.length > 0);
}

export function renderRehearsal(results: readonly ProvinceResult[], versions: RehearsedVersions): string {
  const lines = [
    `OpenTofu ${versions.tofu}, ${versions.providers.join(', ')}, kube-apiserver and kube-controller-manager ${versions.kubernetes}; no registry reachable (own network namespace); deploy identity \`hsa-deployer\` (docs/deployer-rbac.yaml).`,
    '',
    '| province | stack deploys (init / validate / apply) | second plans empty | pods created / refused | destroys refused | switchover plans = review | concurrent deploy | time |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const count = (f: (s: ProvinceResult['stacks'][number]) => boolean) => r.stacks.filter(f).length;
    const total = r.stacks.length;
    const exact = r.switchover.filter((s) => s.planNotInReview.length === 0 && s.reviewNotInPlan.length === 0).length;
    const concurrent = r.concurrentDeploy ? `${r.concurrentDeploy.secondRefused ? 'second refused' : 'NOT refused'}, state ${r.concurrentDeploy.stateIntact ? 'intact' : 'CHANGED'} (${r.concurrentDeploy.resources} resources)` : 'local backend';
    lines.push(
      `| ${r.environment} | ${count((s) => s.init)} / ${count((s) => s.validate)} / ${count((s) => s.applied)} of ${total} | ${count((s) => s.applied && s.secondPlanChanges.length === 0)} of ${total} | ${r.pods.created} / ${r.pods.refused.length} (${r.pods.workloads} workloads) | ${r.destroyRefusals.refused} of ${r.destroyRefusals.tried} | ${exact} of ${r.switchover.length} | ${concurrent} | ${Math.round(r.seconds)} s |`,
    );
  }
  lines.push('');
  for (const r of results) {
    lines.push(`**${r.environment}**: resources per stack after the first deploy: ${r.stacks.filter((s) => s.resources > 0).slice(0, 4).map((s) => `${s.stack} ${s.resources}`).join(', ')}.`);
    if (r.switchover.length > 0) lines.push(`Switchover plans (resources changed): ${r.switchover.map((s) => `${s.stack} to ${s.to}: ${s.planned}`).join(', ')}.`);
    for (const p of r.planReviews) lines.push(`\`npm run review -- --plan\` on the real plans: exit ${p.exit}, DR pairs flipping: ${p.flips.join('; ') || 'none'}.`);
    lines.push(`ServiceAccounts bound to the toolkit's own ClusterRoles (${r.accessReviews.bindings.length} bindings), asked of the API server (SubjectAccessReview): ${r.accessReviews.checked - r.accessReviews.wrong.length} of ${r.accessReviews.checked} answers as the roles say (each granted verb allowed; secrets, pods, pods/exec, nodes/proxy refused); ${r.accessReviews.bindings.length - r.accessReviews.grantingNobody.length} of ${r.accessReviews.bindings.length} bindings name a ServiceAccount a pod runs as.`);
    if (r.webhooksRemoved.length > 0) lines.push(`Admission webhooks removed before each deploy (served by operator pods, which never run here): ${r.webhooksRemoved.join(', ')}.`);
    if (r.changes.length > 0) lines.push(`Changed in the rehearsal's copy of the project: ${r.changes.join('; ')}.`);
    const found = failures(r);
    lines.push(found.length === 0 ? 'All checks passed.' : `Failures:\n${found.map((f) => `- ${f}`).join('\n')}`);
    lines.push('');
  }
  return lines.join('\n');
}
