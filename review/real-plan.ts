/**
 * The review of real plans: the JSON of `tofu show -json <planfile>` (or Terraform's), one per stack, as
 * a province's CI with access to its clusters produces it, read with the same DR-aware eyes as the
 * review of two syntheses (review/plan-diff.ts): data holders destroyed or replaced, DR pairs whose
 * resources change, and what changed in the clusters outside Terraform (the plan's `resource_drift`).
 * Each plan is matched to its synthesized stack by the resource addresses it configures, which is where
 * the toolkit's annotations (DR role, data holding, prevent_destroy) come from.
 */
import type { JsonObject, StackJson } from '../synthesized/json';
import { isDataHolding, resourcesOf, type EnvironmentReview, type ResourceChange, type RoleFlip, type StackReview } from './plan-diff';

/** The parts of Terraform's JSON plan representation the review reads (format_version 1.x). */
export interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: readonly PlanResourceChange[];
  readonly resource_drift?: readonly PlanResourceChange[];
  readonly configuration?: {
    readonly root_module?: { readonly resources?: readonly { readonly address: string }[] };
    readonly provider_config?: Readonly<Record<string, { readonly expressions?: Readonly<Record<string, { readonly constant_value?: unknown }>> }>>;
  };
}

/** What tells two stacks with the same resources apart (a zone's two sites): the cluster they deploy to. */
const CLUSTER_FIELDS = ['host', 'config_path', 'config_context'] as const;

function clusterOfStack(stack: StackJson): string {
  const provider = ((stack.provider as JsonObject | undefined)?.kubernetes as JsonObject[] | undefined)?.[0] ?? {};
  return JSON.stringify(CLUSTER_FIELDS.map((field) => (typeof provider[field] === 'string' ? provider[field] : null)));
}

function clusterOfPlan(plan: PlanJson): string {
  const expressions = plan.configuration?.provider_config?.kubernetes?.expressions ?? {};
  return JSON.stringify(CLUSTER_FIELDS.map((field) => (typeof expressions[field]?.constant_value === 'string' ? expressions[field]!.constant_value : null)));
}

interface PlanResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  readonly action_reason?: string;
  readonly change: { readonly actions: readonly string[]; readonly before?: JsonObject | null; readonly after?: JsonObject | null; readonly replace_paths?: readonly (readonly (string | number)[])[] };
}

export class PlanReviewError extends Error {}

/**
 * The synthesized stack a plan was made from: the one that declares exactly the plan's configured
 * resources for the same cluster (a zone's stacks at sites A and B can declare the same addresses).
 */
export function stackOfPlan(file: string, plan: PlanJson, stacks: ReadonlyMap<string, StackJson>): string {
  const configured = new Set((plan.configuration?.root_module?.resources ?? []).map((r) => r.address).filter((a) => !a.startsWith('data.')));
  if (configured.size === 0) throw new PlanReviewError(`${file}: no configuration in the plan; expected the output of \`tofu show -json <planfile>\``);
  const matches = [...stacks].filter(([, stack]) => {
    const declared = resourcesOf(stack);
    return declared.size === configured.size && [...configured].every((a) => declared.has(a)) && clusterOfStack(stack) === clusterOfPlan(plan);
  });
  if (matches.length !== 1) throw new PlanReviewError(`${file}: its ${configured.size} resources and its cluster match ${matches.length === 0 ? 'no' : 'more than one'} synthesized stack; synthesize the same environment and active site the plan was made from (npm run synth -- --env <name> [--active-site X])`);
  return matches[0]![0];
}

function hsaOf(body: JsonObject | undefined): JsonObject | undefined {
  return (body?.['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
}

/** Attribute names whose values differ between a plan's before and after, sorted. */
export function differingFields(before: JsonObject | null | undefined, after: JsonObject | null | undefined): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k])).sort();
}

const SERVER_FIELDS = new Set(['resource_version', 'generation', 'uid']);

/** A plan value without the fields the API server keeps moving by itself. */
function withoutServerFields<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutServerFields) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !SERVER_FIELDS.has(k)).map(([k, v]) => [k, withoutServerFields(v)])) as T;
}

const OTHER_MODE: Readonly<Record<string, string>> = { primary: 'standby', standby: 'primary', active: 'standby' };

/**
 * The DR pairs of a synthesized stack: role, mode, and the prefix every resource name of the pair's
 * construct starts with (cdktf names a resource after its construct path: `Platform_Middleware_Kafka_...`).
 */
function pairsOf(stackName: string, declared: ReadonlyMap<string, { type: string; body: JsonObject }>): { role: string; mode: string; namePrefix: string }[] {
  const pairs: { role: string; mode: string; namePrefix: string }[] = [];
  for (const { body } of declared.values()) {
    const hsa = hsaOf(body);
    if (hsa?.component !== 'dr-pair') continue;
    const path = String(((body['//'] as JsonObject | undefined)?.metadata as JsonObject | undefined)?.path ?? '');
    const scope = path.slice(stackName.length + 1).replace(/\/Resource$/, '');
    pairs.push({ role: String(hsa.role), mode: String(hsa.mode), namePrefix: `${scope.replaceAll('/', '_')}_` });
  }
  return pairs;
}

/** One stack's review from its real plan. */
export function reviewPlan(stackName: string, environment: string, plan: PlanJson, stack: StackJson): { review: StackReview; flips: RoleFlip[]; outside: string[] } {
  const declared = resourcesOf(stack);
  const pairs = pairsOf(stackName, declared);
  const added: ResourceChange[] = [];
  const changed: ResourceChange[] = [];
  const destroyed: ResourceChange[] = [];
  const flips: RoleFlip[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === 'data') continue;
    const actions = rc.change.actions;
    if (actions.length === 1 && (actions[0] === 'no-op' || actions[0] === 'read')) continue;
    const synthesized = declared.get(rc.address);
    // A resource gone from the configuration is judged by what the plan says it was.
    const body = synthesized?.body ?? (rc.change.before as JsonObject | undefined) ?? {};
    const change: ResourceChange = {
      address: rc.address,
      constructPath: String(((body['//'] as JsonObject | undefined)?.metadata as JsonObject | undefined)?.path ?? ''),
      dataHolding: isDataHolding(rc.type, body),
    };
    const replaced = actions.includes('delete') && actions.includes('create');
    if (replaced) {
      const because = rc.change.replace_paths?.map((p) => p.join('.')).join(', ') || rc.action_reason || 'replace';
      destroyed.push({ ...change, replacedBecause: because });
      added.push({ ...change, replacedBecause: because });
    } else if (actions.includes('delete')) destroyed.push(change);
    else if (actions.includes('create')) added.push(change);
    else changed.push(change);
    // A pair flips when any resource of its construct changes: Redis's release, Kafka's MirrorMaker
    // (created or destroyed, so judged by its address), FastDFS's storage ids.
    const name = rc.address.slice(rc.address.indexOf('.') + 1);
    const pair = pairs.find((p) => name.startsWith(p.namePrefix));
    if (pair && !flips.some((f) => f.role === pair.role)) flips.push({ stack: stackName, role: pair.role, from: OTHER_MODE[pair.mode] ?? 'changed', to: pair.mode });
  }
  // The API server moves resource_version and generation on its own: that is not a change by anyone.
  const outside = (plan.resource_drift ?? []).flatMap((d) => {
    const fields = differingFields(withoutServerFields(d.change.before), withoutServerFields(d.change.after));
    return fields.length === 0 ? [] : [`\`${stackName}\` ${d.address} changed outside Terraform (${fields.slice(0, 8).join(', ')})`];
  });
  return { review: { stack: stackName, environment, added, changed, destroyed }, flips, outside };
}

/** Reviews of real plans, grouped by environment as the synthesized review is. */
export function reviewPlans(plans: readonly { readonly file: string; readonly plan: PlanJson }[], stacks: ReadonlyMap<string, StackJson>): EnvironmentReview[] {
  const byEnvironment = new Map<string, { stacks: StackReview[]; flips: RoleFlip[]; outside: string[] }>();
  for (const { file, plan } of plans) {
    if (!plan.format_version?.startsWith('1.')) throw new PlanReviewError(`${file}: format_version ${String(plan.format_version)}; expected 1.x (tofu show -json / terraform show -json of a plan file)`);
    const name = stackOfPlan(file, plan, stacks);
    const stack = stacks.get(name)!;
    const environment = String(hsaOf(stack as JsonObject)?.environment ?? name.replace(/-(public|core)-[ab]$/, ''));
    const { review, flips, outside } = reviewPlan(name, environment, plan, stack);
    const entry = byEnvironment.get(environment) ?? { stacks: [], flips: [], outside: [] };
    entry.stacks.push(review);
    entry.flips.push(...flips);
    entry.outside.push(...outside);
    byEnvironment.set(environment, entry);
  }
  return [...byEnvironment].map(([environment, e]) => ({
    environment,
    stacks: e.stacks.sort((a, b) => a.stack.localeCompare(b.stack)),
    roleFlips: e.flips,
    driftIntroduced: [],
    outsideTerraform: e.outside,
    findingsAdded: [],
    findingsRemoved: [],
    complianceAvailable: false,
  }));
}
