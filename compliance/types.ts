/**
 * Compliance rules (合规规则), after the cdk-nag v2 design: each rule is a small pure function of one
 * subject returning compliant / non-compliant (with findings) / not applicable; packs group rules and
 * set their severity. Everything runs on the synthesized output: resource rules on every resource of
 * cdk.tf.json, province rules on a province's four stacks together (symmetry, zones, DR level).
 */
import type { ProvinceModel } from '../model/platform-model';
import type { DrLevelReport } from './dr-level';
import type { JsonObject, StackJson } from '../synthesized/json';

export type { JsonObject, JsonValue, StackJson } from '../synthesized/json';

export type Severity = 'error' | 'warning';

/** What a rule says about one subject. */
export type RuleOutcome =
  | { readonly status: 'compliant' }
  | { readonly status: 'not-applicable' }
  | { readonly status: 'non-compliant'; readonly problems: readonly RuleProblem[] };

export interface RuleProblem {
  /** What is wrong, with the value found. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** Stack and construct path, for province rules that point at one resource. @default the subject's */
  readonly stack?: string;
  readonly path?: string;
}

/** What a rule is, independent of the pack that runs it. */
export interface RuleDefinition {
  /** `Pack-Rule`, e.g. `K8S-RunAsNonRoot`. */
  readonly id: string;
  /** One line: what the rule requires and which standard asks for it. */
  readonly description: string;
}

/** A rule as a pack runs it: the pack decides how much a finding weighs. */
export interface RuleInfo extends RuleDefinition {
  readonly severity: Severity;
}

/** One Terraform resource as synthesized: type, resolved configuration and where it comes from. */
export interface ResourceSubject {
  readonly stack: string;
  /** Construct path, e.g. `demo-core-a/Platform/Applications/settlement/Resource`. */
  readonly path: string;
  /** Terraform resource type, e.g. `kubernetes_deployment_v1`. */
  readonly type: string;
  readonly config: JsonObject;
}

export interface ResourceRuleDefinition extends RuleDefinition {
  readonly check: (subject: ResourceSubject) => RuleOutcome;
}
export type ResourceRule = ResourceRuleDefinition & RuleInfo;

/** Facts about a province's disaster-recovery posture that operators attest (they cannot be synthesized; backups are built, not attested). */
export interface DrAttestation {
  /** 7x24 professional technical support (7x24小时专职技术支持). */
  readonly staff7x24: boolean;
  /** Date (YYYY-MM-DD) the recovery plan was last fully drilled (经过完整测试和演练的灾难恢复预案). */
  readonly lastDrillDate?: string;
  /** Date (YYYY-MM-DD) of this attestation; drills count when at most 12 months before it. */
  readonly attestedOn?: string;
}

export interface ProvinceSubject {
  readonly model: ProvinceModel;
  /** The province's stacks by name. */
  readonly stacks: ReadonlyMap<string, StackJson>;
  readonly attestation?: DrAttestation;
  readonly edition: GbT20988Edition;
  /** The DR level read off these stacks, computed once per province for the rule and the report. */
  readonly drLevel: DrLevelReport;
}

export type GbT20988Edition = '2007' | '2025';

export interface ProvinceRuleDefinition extends RuleDefinition {
  readonly check: (subject: ProvinceSubject) => RuleOutcome;
}
export type ProvinceRule = ProvinceRuleDefinition & RuleInfo;

/** A rule of a pack, at the severity the pack gives it. */
export function atSeverity<R extends RuleDefinition>(rule: R, severity: Severity): R & RuleInfo {
  return { ...rule, severity };
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly stack: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** Present when the finding is suppressed; the reason is kept for auditors. */
  readonly suppressed?: { readonly reason: string };
}

export const COMPLIANT: RuleOutcome = { status: 'compliant' };
export const NOT_APPLICABLE: RuleOutcome = { status: 'not-applicable' };

export function outcome(problems: readonly RuleProblem[]): RuleOutcome {
  return problems.length === 0 ? COMPLIANT : { status: 'non-compliant', problems };
}
