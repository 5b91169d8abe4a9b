import type { IConstruct } from 'constructs';

/** Metadata type under which suppressions are stored on a construct. */
export const SUPPRESSION_METADATA = 'hsa:compliance-suppression';
const MIN_REASON_LENGTH = 10;

export interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
}

/**
 * Suppresses a rule for a construct and everything below it. The reason (at least 10 characters,
 * Chinese allowed) is written into the synthesized resource and the compliance report for auditors.
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string): void {
  if ([...reason.trim()].length < MIN_REASON_LENGTH) {
    throw new Error(
      `suppression of ${ruleId} at ${scope.node.path}: received reason "${reason}"; expected at least ${MIN_REASON_LENGTH} characters saying why the rule does not apply`,
    );
  }
  const suppression: Suppression = { ruleId, reason: reason.trim() };
  scope.node.addMetadata(SUPPRESSION_METADATA, suppression);
}

/** The suppression of a rule that applies to a construct (its own, or an ancestor's), if any. */
export function findSuppression(node: IConstruct, ruleId: string): Suppression | undefined {
  for (const scope of [...node.node.scopes].reverse()) {
    for (const entry of scope.node.metadata) {
      if (entry.type !== SUPPRESSION_METADATA) continue;
      const suppression = entry.data as Suppression;
      if (suppression.ruleId === ruleId) return suppression;
    }
  }
  return undefined;
}
