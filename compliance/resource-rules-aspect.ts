import { TerraformResource, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { forgetTerraformFragment, synthesizedFragment, type FragmentKeepingAspect } from '../stacks/fast-stack-synthesis';
import { findSuppression } from './suppressions';
import type { Finding, JsonObject, ResourceRule, ResourceSubject, RuleOutcome } from './types';

/** Findings of one synthesis, filled by the aspects and the province checks. */
export class FindingCollector {
  private readonly items: Finding[] = [];

  add(finding: Finding): void {
    this.items.push(finding);
  }

  /** Sorted by stack, path and rule, so reports are deterministic. */
  get findings(): readonly Finding[] {
    return [...this.items].sort((a, b) => compare(a.stack, b.stack) || compare(a.path, b.path) || compare(a.ruleId, b.ruleId));
  }
}

/**
 * A rule pack as a cdktf Aspect: every rule of the pack runs on every Terraform resource, on its resolved
 * configuration. A suppressed finding is recorded in the report and in the resource's "//" comment block,
 * so the synthesized plan shows it too. A rule that throws is reported as an error finding of its own.
 */
export class ResourceRulesAspect implements FragmentKeepingAspect {
  /** It reads each resource's fragment from synthesis and forgets the fragment of a resource it changes. */
  readonly keepsTerraformFragments = true;

  constructor(
    private readonly rules: readonly ResourceRule[],
    private readonly collector: FindingCollector,
  ) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const stack = TerraformStack.of(node);
    const subject: ResourceSubject = {
      stack: stack.node.id,
      path: node.node.path,
      type: node.terraformResourceType,
      config: resolvedConfig(stack, node),
    };
    const suppressed: { rule: string; reason: string }[] = [];
    for (const rule of this.rules) {
      const result = runRule(rule, subject);
      if (result.status !== 'non-compliant') continue;
      const suppression = findSuppression(node, rule.id);
      if (suppression) suppressed.push({ rule: rule.id, reason: suppression.reason });
      for (const problem of result.problems) {
        this.collector.add({
          ruleId: rule.id,
          severity: rule.severity,
          stack: subject.stack,
          path: subject.path,
          message: problem.message,
          fix: problem.fix,
          ...(suppression ? { suppressed: { reason: suppression.reason } } : {}),
        });
      }
    }
    if (suppressed.length > 0) {
      node.addOverride('//.compliance_suppressions', suppressed);
      forgetTerraformFragment(node);
    }
  }
}

function runRule(rule: ResourceRule, subject: ResourceSubject): RuleOutcome {
  try {
    return rule.check(subject);
  } catch (error) {
    return { status: 'non-compliant', problems: [{ message: `rule crashed: ${(error as Error).message}`, fix: 'report this to the toolkit maintainers' }] };
  }
}

/** Resolves references the way synthesis does, so rules see the values written to cdk.tf.json. */
function resolvedConfig(stack: TerraformStack, resource: TerraformResource): JsonObject {
  const synthesized = synthesizedFragment(stack, resource) as { resource: Record<string, Record<string, JsonObject>> };
  const byName = synthesized.resource[resource.terraformResourceType] ?? {};
  return Object.values(byName)[0] ?? {};
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
