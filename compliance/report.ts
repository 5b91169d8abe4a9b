import type { ProvinceCompliance } from './check-province';

/** Machine-readable report (`reports/<env>.compliance.json`): deterministic, for reviews and audits. */
export function renderJsonReport(result: ProvinceCompliance): string {
  const { drLevel } = result;
  return `${JSON.stringify(
    {
      environment: result.envName,
      errors: result.errors,
      warnings: result.warnings,
      drLevel: {
        edition: drLevel.edition,
        editionNote: drLevel.editionNote,
        achieved: drLevel.achievedLevel,
        required: drLevel.requiredLevel,
        blockingNextLevel: drLevel.blockingNextLevel.map((e) => e.id),
        elements: drLevel.elements.map((e) => ({ id: e.id, level: e.level, nameZh: e.nameZh, met: e.met, evidence: e.evidence })),
        rpoBounds: drLevel.facts.pairs.map((p) => ({ pair: `${p.role}@${p.zone}`, replication: p.replication, maxLagSeconds: p.rpoBound?.maxLagSeconds ?? null })),
      },
      findings: result.findings,
    },
    null,
    2,
  )}\n`;
}

/** Human-readable report (`reports/<env>.compliance.md`). */
export function renderMarkdownReport(result: ProvinceCompliance): string {
  const { drLevel } = result;
  const lines = [
    `# Compliance report: ${result.envName}`,
    '',
    `**GB/T 20988 disaster-recovery level (灾难恢复等级): ${drLevel.achievedLevel}** (required: ${drLevel.requiredLevel}) — ${drLevel.editionNote}.`,
    '',
  ];
  if (drLevel.blockingNextLevel.length > 0) {
    lines.push(`What keeps it from level ${drLevel.achievedLevel + 1}:`, '');
    for (const e of drLevel.blockingNextLevel) lines.push(`- **${e.nameZh}** (${e.id}, level ${e.level}): ${e.evidence}`);
    lines.push('');
  }
  lines.push('| level | element | met | evidence |', '|---|---|---|---|');
  for (const e of drLevel.elements) lines.push(`| ${e.level} | ${e.nameZh} (${e.id}) | ${e.met ? 'yes' : '**no**'} | ${escape(e.evidence)} |`);
  lines.push('', '## RPO bound of each DR pair', '', '| pair | replication | writes a site loss can leave missing | proven by |', '|---|---|---|---|');
  for (const p of drLevel.facts.pairs) {
    const bound = p.rpoBound ? `at most ${p.rpoBound.maxLagSeconds} s of them` : 'not bounded: what the link had not carried (asynchronous)';
    lines.push(`| ${p.role}@${p.zone} | ${p.replication} | ${bound} | ${escape(p.rpoBound?.proof ?? p.proof)} |`);
  }
  lines.push('', `## Findings: ${result.errors} error(s), ${result.warnings} warning(s)`, '');
  if (result.findings.length === 0) lines.push('No findings.');
  else {
    lines.push('| rule | severity | stack | path | problem | fix |', '|---|---|---|---|---|---|');
    for (const f of result.findings) {
      const severity = f.suppressed ? `suppressed (${escape(f.suppressed.reason)})` : f.severity;
      lines.push(`| ${f.ruleId} | ${severity} | ${f.stack} | ${escape(f.path)} | ${escape(f.message)} | ${escape(f.fix)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Short lines for the terminal: unsuppressed findings, errors first. */
export function renderConsoleFindings(result: ProvinceCompliance): string[] {
  return result.findings
    .filter((f) => !f.suppressed)
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))
    .map((f) => `${f.severity} ${f.ruleId} [${f.stack}] ${f.path}: ${f.message} — fix: ${f.fix}`);
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
