import { TerraformResource } from 'cdktf';
import type { IConstruct } from 'constructs';
import { MIN_SUPPRESSION_REASON, SUPPRESSIONS_KEY, type RecordedSuppression } from '../synthesized/suppressions';

const recorded = new WeakMap<TerraformResource, RecordedSuppression[]>();

/**
 * Suppresses a compliance rule for every Terraform resource under `scope` (as cdk-nag's resource
 * suppressions do, for the resources that exist when it is called). The reason (at least 10 characters,
 * Chinese allowed) is written into each resource's "//" block, where the compliance check, `npm run
 * check` and a reviewer of the plan all read it.
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string): void {
  const trimmed = reason.trim();
  if ([...trimmed].length < MIN_SUPPRESSION_REASON) {
    throw new Error(
      `suppression of ${ruleId} at ${scope.node.path}: received reason "${reason}"; expected at least ${MIN_SUPPRESSION_REASON} characters saying why the rule does not apply`,
    );
  }
  for (const node of scope.node.findAll()) {
    if (!TerraformResource.isTerraformResource(node)) continue;
    const list = recorded.get(node) ?? [];
    // The first suppression of a rule wins; the list is sorted so the output does not depend on call order.
    if (list.some((s) => s.rule === ruleId)) continue;
    const updated = [...list, { rule: ruleId, reason: trimmed }].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    recorded.set(node, updated);
    node.addOverride(`//.${SUPPRESSIONS_KEY}`, updated);
  }
}
