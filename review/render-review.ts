import type { EnvironmentReview, ResourceChange, StackReview } from './plan-diff';

/** GitHub and GitLab cap a comment at 65,536 characters; stay under with room for the footer. */
export const COMMENT_LIMIT = 65_000;
const LIST_LIMIT = 40;

/** Markdown for one pull-request comment, per environment and stack, cut to fit with a summary of the cut. */
export function renderReview(reviews: readonly EnvironmentReview[], blocking: readonly string[], baseLabel: string): string {
  const cut: string[] = [];
  const sections: string[] = [];
  const totals = reviews.flatMap((r) => r.stacks).reduce((t, s) => ({ added: t.added + s.added.length, changed: t.changed + s.changed.length, destroyed: t.destroyed + s.destroyed.length }), { added: 0, changed: 0, destroyed: 0 });
  sections.push(
    `## Plan review against \`${baseLabel}\``,
    '',
    `${reviews.length} environment(s): **${totals.added} to add, ${totals.changed} to change, ${totals.destroyed} to destroy** (a replacement counts as destroy + add).`,
    '',
  );
  if (blocking.length > 0) {
    sections.push(`> [!WARNING]`, `> ${blocking.length} data-holding resource(s) would be destroyed, replaced or lose prevent_destroy. Acknowledge each with \`--allow-destroy '<stack>/<address>'\` (globs allowed) or a line in \`.review-ack\` once you are sure.`, '');
  }
  for (const review of reviews) {
    const lines: string[] = [`### ${review.environment}`, ''];
    if (review.activeSite) lines.push(`**Active site changes: ${review.activeSite.from} -> ${review.activeSite.to}** (switchover, 容灾切换). Run \`npm run runbook -- --env ${review.environment} --to ${review.activeSite.to}\` for the order of deploys.`, '');
    if (review.roleFlips.length > 0) {
      lines.push('DR pairs that change direction (灾备组):', '');
      for (const f of review.roleFlips) lines.push(`- \`${f.stack}\` ${f.role}: ${f.from} -> ${f.to}`);
      lines.push('');
    }
    if (review.driftIntroduced.length > 0) {
      lines.push('A/B drift introduced:', '');
      lines.push(...limited(review.driftIntroduced.map((d) => `- ${d}`), `A/B drift of ${review.environment}`, cut));
      lines.push('');
    }
    if (review.outsideTerraform && review.outsideTerraform.length > 0) {
      lines.push('Changed in the clusters outside Terraform (drift the apply will undo):', '');
      lines.push(...limited(review.outsideTerraform.map((d) => `- ${d}`), `changes outside Terraform in ${review.environment}`, cut));
      lines.push('');
    }
    if (review.outsideTerraform) lines.push('Compliance: judged on the synthesized output (npm run synth), not part of a plan.', '');
    else if (!review.complianceAvailable) lines.push('Compliance: not available for both sides.', '');
    else if (review.findingsAdded.length + review.findingsRemoved.length > 0) {
      lines.push(`Compliance: ${review.findingsAdded.length} finding(s) added, ${review.findingsRemoved.length} removed.`, '');
      lines.push(...limited(review.findingsAdded.map((f) => `- added **${f.ruleId}** (${f.severity}) \`${f.stack}\` ${f.path}: ${f.message}`), `added findings of ${review.environment}`, cut));
      lines.push(...limited(review.findingsRemoved.map((f) => `- removed ${f.ruleId} \`${f.stack}\` ${f.path}`), `removed findings of ${review.environment}`, cut));
      lines.push('');
    } else lines.push('Compliance: no finding added or removed.', '');
    lines.push('| stack | add | change | destroy |', '|---|---|---|---|');
    for (const s of review.stacks) lines.push(`| ${s.stack} | ${s.added.length} | ${s.changed.length} | ${s.destroyed.length} |`);
    lines.push('');
    for (const s of review.stacks) lines.push(...stackDetails(s, cut));
    sections.push(...lines);
  }
  let text = sections.join('\n');
  if (text.length > COMMENT_LIMIT) {
    const footerRoom = 2_000;
    const dropped = text.length - (COMMENT_LIMIT - footerRoom);
    text = `${text.slice(0, COMMENT_LIMIT - footerRoom)}\n\n... ${dropped} characters cut here.`;
    cut.push(`${dropped} characters at the end`);
  }
  if (cut.length > 0) text += `\n\n**Cut to fit one comment:** ${cut.join('; ')}. Run \`npm run review\` locally for everything.\n`;
  return text.endsWith('\n') ? text : `${text}\n`;
}

function stackDetails(s: StackReview, cut: string[]): string[] {
  if (s.added.length + s.changed.length + s.destroyed.length === 0) return [];
  const line = (verb: 'destroy' | 'add' | 'change', c: ResourceChange) =>
    `- ${verb} \`${c.address}\`${c.dataHolding && verb === 'destroy' ? ' **(holds data)**' : ''}${c.protectionRemoved ? ' **(holds data: prevent_destroy removed)**' : ''}${c.replacedBecause ? ` (replaced: ${c.replacedBecause})` : ''}`;
  return [
    `<details><summary>${s.stack}</summary>`,
    '',
    ...limited(s.destroyed.map((c) => line('destroy', c)), `destroyed in ${s.stack}`, cut),
    ...limited(s.added.map((c) => line('add', c)), `added in ${s.stack}`, cut),
    ...limited(s.changed.map((c) => line('change', c)), `changed in ${s.stack}`, cut),
    '',
    '</details>',
    '',
  ];
}

function limited(lines: readonly string[], what: string, cut: string[]): string[] {
  if (lines.length <= LIST_LIMIT) return [...lines];
  cut.push(`${lines.length - LIST_LIMIT} of ${lines.length} ${what}`);
  return [...lines.slice(0, LIST_LIMIT), `- ... and ${lines.length - LIST_LIMIT} more`];
}
