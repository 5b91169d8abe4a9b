import { resourcesOf, type StackJson } from '../synthesized/json';
import { recordedSuppressions } from '../synthesized/suppressions';
import type { Finding, ResourceRule, RuleOutcome } from './types';

/** A finding on one resource, with its Terraform address (`<type>.<name>`) for someone editing the JSON. */
export type ResourceFinding = Finding & { readonly address: string };

/**
 * Runs resource rules on every resource of one synthesized stack, reading nothing but its JSON. A finding
 * is suppressed only where the resource itself records the suppression with its reason
 * (`"//".compliance_suppressions`), so the same output gives the same findings wherever it is checked.
 */
export function checkStackResources(stackName: string, stack: StackJson, rules: readonly ResourceRule[]): ResourceFinding[] {
  const findings: ResourceFinding[] = [];
  for (const resource of resourcesOf(stackName, stack)) {
    const subject = { stack: stackName, path: resource.path, type: resource.type, config: resource.config };
    const suppressions = recordedSuppressions(resource.config);
    for (const rule of rules) {
      const result = runRule(() => rule.check(subject));
      if (result.status !== 'non-compliant') continue;
      const suppression = suppressions.find((s) => s.rule === rule.id);
      for (const problem of result.problems) {
        findings.push({
          ruleId: rule.id,
          severity: rule.severity,
          stack: stackName,
          path: resource.path,
          message: problem.message,
          fix: problem.fix,
          address: `${resource.type}.${resource.name}`,
          ...(suppression ? { suppressed: { reason: suppression.reason } } : {}),
        });
      }
    }
  }
  return findings;
}

/** A rule that throws is reported as an error finding of its own, never swallowed. */
export function runRule(check: () => RuleOutcome): RuleOutcome {
  try {
    return check();
  } catch (error) {
    return { status: 'non-compliant', problems: [{ message: `rule crashed: ${(error as Error).message}`, fix: 'report this to the toolkit maintainers' }] };
  }
}

/** Sorted by stack, path and rule, so reports are deterministic. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => compare(a.stack, b.stack) || compare(a.path, b.path) || compare(a.ruleId, b.ruleId));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
