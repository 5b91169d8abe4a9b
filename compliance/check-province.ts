import type { ProvinceModel } from '../model/platform-model';
import { suppressionCovers, type DeclaredSuppression } from '../synthesized/suppressions';
import { checkStackResources, runRule, sortFindings } from './check-resources';
import { computeDrLevel, type DrLevelReport } from './dr-level';
import { PROVINCE_RULES, resourceRules } from './packs';
import type { DrAttestation, Finding, GbT20988Edition, ProvinceSubject, StackJson } from './types';

export interface ComplianceSettings {
  readonly edition: GbT20988Edition;
  readonly attestation?: DrAttestation;
  /** The environment's suppressions: resource findings read theirs from the output, province findings from here. */
  readonly suppressions: readonly DeclaredSuppression[];
}

export interface ProvinceCompliance {
  readonly envName: string;
  readonly findings: readonly Finding[];
  readonly drLevel: DrLevelReport;
  /** Unsuppressed error-level findings: synthesis fails when there is any. */
  readonly errors: number;
  readonly warnings: number;
}

/**
 * Checks a province from its synthesized stacks only: the resource packs on every resource, then the
 * province rules on the four stacks together, with the DR level computed once for the rule and the report.
 */
export function checkProvince(model: ProvinceModel, stacks: ReadonlyMap<string, StackJson>, settings: ComplianceSettings): ProvinceCompliance {
  const rules = resourceRules([`${model.envName}.${model.dnsDomain}`]);
  // Resource findings sorted by stack, path and rule, then the province findings in pack order.
  const resourceFindings = [...stacks].flatMap(([name, stack]) => checkStackResources(name, stack, rules).map(({ address: _address, ...finding }) => finding));
  const findings: Finding[] = sortFindings(resourceFindings);

  const subject = provinceSubject(model, stacks, settings);
  for (const rule of PROVINCE_RULES) {
    const result = runRule(() => rule.check(subject));
    if (result.status !== 'non-compliant') continue;
    for (const problem of result.problems) {
      const stack = problem.stack ?? model.envName;
      const path = problem.path ?? stack;
      const suppression = settings.suppressions.find((s) => s.ruleId === rule.id && (suppressionCovers(s.path, `${stack}/${path}`) || suppressionCovers(s.path, path)));
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
    drLevel: subject.drLevel,
    errors: active.filter((f) => f.severity === 'error').length,
    warnings: active.filter((f) => f.severity === 'warning').length,
  };
}

/** What the province rules see: the model, the four stacks, and the DR level read off them once. */
export function provinceSubject(model: ProvinceModel, stacks: ReadonlyMap<string, StackJson>, settings: Omit<ComplianceSettings, 'suppressions'>): ProvinceSubject {
  return {
    model,
    stacks,
    edition: settings.edition,
    drLevel: computeDrLevel(model, stacks, settings.attestation, settings.edition),
    ...(settings.attestation ? { attestation: settings.attestation } : {}),
  };
}
