/**
 * Compliance rules (合规规则), after the cdk-nag v2 design: each rule is a small pure function of one
 * subject returning compliant / non-compliant (with findings) / not applicable; packs group rules and
 * give them ids (`Pack-Rule`). Resource rules run as cdktf Aspects on every Terraform resource; province
 * rules run on a province's four synthesized stacks together (symmetry, zones, DR level).
 */
import type { ProvinceModel } from '../model/platform-model';

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

export interface RuleInfo {
  /** `Pack-Rule`, e.g. `K8S-RunAsNonRoot`. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule requires and which standard asks for it. */
  readonly description: string;
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

export interface ResourceRule extends RuleInfo {
  readonly check: (subject: ResourceSubject) => RuleOutcome;
}

/** A synthesized stack (cdk.tf.json). */
export interface StackJson {
  readonly resource?: Record<string, Record<string, JsonObject>>;
  readonly [key: string]: unknown;
}

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
}

export type GbT20988Edition = '2007' | '2025';

export interface ProvinceRule extends RuleInfo {
  readonly check: (subject: ProvinceSubject) => RuleOutcome;
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

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export const COMPLIANT: RuleOutcome = { status: 'compliant' };
export const NOT_APPLICABLE: RuleOutcome = { status: 'not-applicable' };

export function outcome(problems: readonly RuleProblem[]): RuleOutcome {
  return problems.length === 0 ? COMPLIANT : { status: 'non-compliant', problems };
}
