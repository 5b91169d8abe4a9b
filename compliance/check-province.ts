import { Aspects } from 'cdktf';
import type { Construct } from 'constructs';
import type { ProvinceModel } from '../model/platform-model';
import { computeDrLevel, type DrLevelReport } from './dr-level';
import { PROVINCE_RULES, resourceRules } from './packs';
import { FindingCollector, ResourceRulesAspect } from './resource-rules-aspect';
import { suppressRule } from './suppressions';
import type { DrAttestation, Finding, GbT20988Edition, ProvinceRule, ProvinceSubject, RuleOutcome, StackJson } from './types';

/** A suppression declared in the environment file (`compliance.suppressions`). */
export interface DeclaredSuppression {
  readonly ruleId: string;
  /** Construct path prefix; `*` as the first segment matches every stack (e.g. `*\/Platform/Applications/macro-decision`). */
  readonly path: string;
  readonly reason: string;
}

export interface ComplianceSettings {
  readonly edition: GbT20988Edition;
  readonly attestation?: DrAttestation;
  readonly suppressions: readonly DeclaredSuppression[];
}

/**
 * Attaches the resource rule packs to a province's stacks as Aspects and applies the suppressions the
 * environment declares. Returns the collector the aspects fill during `app.synth()`.
 */
export function attachResourceRules(stacks: readonly Construct[], model: ProvinceModel, settings: ComplianceSettings): FindingCollector {
  const collector = new FindingCollector();
  const rules = resourceRules([`${model.envName}.${model.dnsDomain}`]);
  for (const stack of stacks) {
    for (const suppression of settings.suppressions) {
      for (const node of stack.node.findAll()) {
        if (pathMatches(node.node.path, suppression.path)) suppressRule(node, suppression.ruleId, suppression.reason);
      }
    }
    Aspects.of(stack).add(new ResourceRulesAspect(rules, collector));
  }
  return collector;
}

export interface ProvinceCompliance {
  readonly envName: string;
  readonly findings: readonly Finding[];
  readonly drLevel: DrLevelReport;
  /** Unsuppressed error-level findings: synthesis fails when there is any. */
  readonly errors: number;
  readonly warnings: number;
}

/** Runs the province rules on the synthesized stacks and merges the resource findings. */
export function checkProvince(
  model: ProvinceModel,
  stacks: ReadonlyMap<string, StackJson>,
  settings: ComplianceSettings,
  resourceFindings: readonly Finding[],
): ProvinceCompliance {
  const subject: ProvinceSubject = { model, stacks, edition: settings.edition, ...(settings.attestation ? { attestation: settings.attestation } : {}) };
  const findings: Finding[] = [...resourceFindings];
  for (const rule of PROVINCE_RULES) {
    const result = runProvinceRule(rule, subject);
    if (result.status !== 'non-compliant') continue;
    for (const problem of result.problems) {
      const stack = problem.stack ?? model.envName;
      const path = problem.path ?? stack;
      const suppression = settings.suppressions.find((s) => s.ruleId === rule.id && (pathMatches(`${stack}/${path}`, s.path) || pathMatches(path, s.path)));
      findings.push({
        ruleId: rule.id,
        severity: rule.severity,
        stack,
        path,
        message: problem.message,
        fix: problem.fix,
        ...(suppression ? { suppressed: { reason: suppression.reason } } : {}),
      });
    }
  }
  const active = findings.filter((f) => !f.suppressed);
  return {
    envName: model.envName,
    findings,
    drLevel: computeDrLevel(model, stacks, settings.attestation, settings.edition),
    errors: active.filter((f) => f.severity === 'error').length,
    warnings: active.filter((f) => f.severity === 'warning').length,
  };
}

function runProvinceRule(rule: ProvinceRule, subject: ProvinceSubject): RuleOutcome {
  try {
    return rule.check(subject);
  } catch (error) {
    return { status: 'non-compliant', problems: [{ message: `rule crashed: ${(error as Error).message}`, fix: 'report this to the toolkit maintainers' }] };
  }
}

function pathMatches(path: string, pattern: string): boolean {
  const [first, ...rest] = pattern.split('/');
  const [pathFirst, ...pathRest] = path.split('/');
  if (first !== '*' && first !== pathFirst) return false;
  const restPattern = rest.join('/');
  const restPath = pathRest.join('/');
  return restPattern === '' || restPath === restPattern || restPath.startsWith(`${restPattern}/`);
}

