/**
 * What a change does to each province, read from two synthesized outputs (base and head): resources
 * added, changed and destroyed per stack, replacements, data-holding resources at risk, DR role flips,
 * active-site changes, A/B drift and compliance findings. Pure: directories in, a typed review out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { abDifferences } from '../synthesized/ab-differences';
import type { JsonObject, StackJson } from '../synthesized/json';

export interface SynthesizedTree {
  /** Stacks by name. */
  readonly stacks: ReadonlyMap<string, StackJson>;
  /** Compliance reports by environment, when present. */
  readonly findings: ReadonlyMap<string, readonly ReportFinding[]>;
}

export interface ReportFinding {
  readonly ruleId: string;
  readonly severity: string;
  readonly stack: string;
  readonly path: string;
  readonly message: string;
  readonly suppressed?: unknown;
}

export interface ResourceChange {
  /** Terraform address, `<type>.<name>`. */
  readonly address: string;
  readonly constructPath: string;
  readonly dataHolding: boolean;
  /** Why a change is a replacement (destroy + add), when it is. */
  readonly replacedBecause?: string;
  /** A data-holding resource whose `lifecycle.prevent_destroy` this change removes: the next destroy goes through. */
  readonly protectionRemoved?: boolean;
}

export interface StackReview {
  readonly stack: string;
  readonly environment: string;
  readonly added: readonly ResourceChange[];
  readonly changed: readonly ResourceChange[];
  /** Destroyed outright, or replaced (destroy + add). */
  readonly destroyed: readonly ResourceChange[];
}

export interface RoleFlip {
  readonly stack: string;
  readonly role: string;
  readonly from: string;
  readonly to: string;
}

export interface EnvironmentReview {
  readonly environment: string;
  readonly stacks: readonly StackReview[];
  readonly activeSite?: { readonly from: string; readonly to: string };
  readonly roleFlips: readonly RoleFlip[];
  readonly driftIntroduced: readonly string[];
  /** From a real plan only (review/real-plan.ts): what changed in the clusters outside Terraform. */
  readonly outsideTerraform?: readonly string[];
  readonly findingsAdded: readonly ReportFinding[];
  readonly findingsRemoved: readonly ReportFinding[];
  readonly complianceAvailable: boolean;
}

/** Fields whose change makes Terraform replace the resource (ForceNew), by resource type prefix. */
const FORCE_NEW: readonly { readonly type: RegExp; readonly fields: readonly string[][] }[] = [
  { type: /^kubernetes_/, fields: [['metadata', 'name'], ['metadata', 'namespace']] },
  { type: /^helm_release$/, fields: [['name'], ['namespace']] },
  { type: /^kubernetes_stateful_set/, fields: [['spec', 'volume_claim_template'], ['spec', 'service_name']] },
];

/** Middleware whose Helm release or objects hold data. */
const DATA_CHARTS = new Set(['redis', 'kafka', 'elasticsearch', 'postgresql', 'mysql', 'mongodb', 'minio', 'fastdfs', 'etcd']);
const DATA_KINDS = new Set(['Kafka', 'KafkaNodePool', 'Cluster', 'PersistentVolumeClaim']);

/** The one place that decides whether a resource holds data (destroying it loses data). */
export function isDataHolding(type: string, body: JsonObject): boolean {
  if ((body.lifecycle as JsonObject | undefined)?.prevent_destroy === true) return true;
  if (type === 'helm_release') return DATA_CHARTS.has(String(body.chart));
  if (/^kubernetes_(stateful_set|persistent_volume_claim)/.test(type)) return true;
  if (type === 'kubernetes_manifest') return DATA_KINDS.has(String((body.manifest as JsonObject | undefined)?.kind));
  return false;
}

export function readTree(directory: string, reportsDirectory?: string): SynthesizedTree {
  const stacks = new Map<string, StackJson>();
  const stacksDir = join(directory, 'stacks');
  if (existsSync(stacksDir)) {
    for (const name of readdirSync(stacksDir).sort()) {
      const file = join(stacksDir, name, 'cdk.tf.json');
      if (existsSync(file)) stacks.set(name, JSON.parse(readFileSync(file, 'utf8')) as StackJson);
    }
  }
  const findings = new Map<string, ReportFinding[]>();
  if (reportsDirectory && existsSync(reportsDirectory)) {
    for (const file of readdirSync(reportsDirectory).filter((f) => f.endsWith('.compliance.json'))) {
      const report = JSON.parse(readFileSync(join(reportsDirectory, file), 'utf8')) as { environment: string; findings: ReportFinding[] };
      findings.set(report.environment, report.findings);
    }
  }
  return { stacks, findings };
}

function environmentOf(name: string, stack: StackJson): string {
  const hsa = (stack['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
  return hsa?.environment ? String(hsa.environment) : name.replace(/-(public|core)-[ab]$/, '');
}

/** Every resource of a synthesized stack by its address, `<type>.<name>`. */
export function resourcesOf(stack: StackJson | undefined): Map<string, { type: string; body: JsonObject }> {
  const found = new Map<string, { type: string; body: JsonObject }>();
  for (const [type, byName] of Object.entries(stack?.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) found.set(`${type}.${name}`, { type, body });
  }
  return found;
}

function withoutComments(body: JsonObject): string {
  const { '//': _comment, ...rest } = body;
  return JSON.stringify(rest);
}

function pathOf(body: JsonObject): string {
  return String(((body['//'] as JsonObject | undefined)?.metadata as JsonObject | undefined)?.path ?? '');
}

/** What the resource is in the cluster: release or object name and namespace (kind for manifests). */
function identityOf(body: JsonObject): string {
  const manifest = body.manifest as JsonObject | undefined;
  const metadata = (manifest?.metadata ?? body.metadata) as JsonObject | undefined;
  const name = body.name ?? metadata?.name;
  const namespace = body.namespace ?? metadata?.namespace;
  return `${String(manifest?.kind ?? '')}|${String(namespace ?? '')}|${String(name ?? '')}`;
}

function valueAt(body: JsonObject, path: readonly string[]): unknown {
  let current: unknown = body;
  for (const key of path) current = current && typeof current === 'object' ? (current as JsonObject)[key] : undefined;
  return current;
}

function forceNewChange(type: string, before: JsonObject, after: JsonObject): string | undefined {
  for (const rule of FORCE_NEW) {
    if (!rule.type.test(type)) continue;
    for (const field of rule.fields) {
      if (JSON.stringify(valueAt(before, field)) !== JSON.stringify(valueAt(after, field))) return `${field.join('.')} changed`;
    }
  }
  return undefined;
}

export function reviewStack(name: string, base: StackJson | undefined, head: StackJson | undefined): StackReview {
  const before = resourcesOf(base);
  const after = resourcesOf(head);
  const added: ResourceChange[] = [];
  const changed: ResourceChange[] = [];
  const destroyed: ResourceChange[] = [];
  const change = (address: string, type: string, body: JsonObject, replacedBecause?: string): ResourceChange => ({
    address,
    constructPath: pathOf(body),
    dataHolding: isDataHolding(type, body),
    ...(replacedBecause ? { replacedBecause } : {}),
  });
  // The same Kubernetes object or Helm release at a new Terraform address (a renamed construct id):
  // Terraform destroys the old one and creates the new one.
  const headByIdentity = new Map([...after].filter(([address]) => !before.has(address)).map(([address, r]) => [`${r.type}|${identityOf(r.body)}`, address]));
  for (const [address, { type, body }] of before) {
    const next = after.get(address);
    if (!next) {
      const movedTo = headByIdentity.get(`${type}|${identityOf(body)}`);
      destroyed.push(change(address, type, body, movedTo ? `same object now at ${movedTo}` : undefined));
    } else if (withoutComments(body) !== withoutComments(next.body)) {
      const forced = forceNewChange(type, body, next.body);
      if (forced) {
        destroyed.push(change(address, type, body, forced));
        added.push(change(address, type, next.body, forced));
      } else {
        const protectionRemoved = preventsDestroy(body) && !preventsDestroy(next.body);
        changed.push({ ...change(address, type, next.body), ...(protectionRemoved ? { protectionRemoved: true, dataHolding: true } : {}) });
      }
    }
  }
  for (const [address, { type, body }] of after) if (!before.has(address)) added.push(change(address, type, body));
  const environment = environmentOf(name, head ?? base ?? {});
  return { stack: name, environment, added, changed, destroyed };
}

/** DR role of each pair member in a stack, from the toolkit's annotations: `role -> mode`. */
function roles(stack: StackJson | undefined): Map<string, string> {
  const found = new Map<string, string>();
  for (const byName of Object.values(stack?.resource ?? {})) {
    for (const body of Object.values(byName)) {
      const hsa = (body['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
      if (hsa?.component === 'dr-pair') found.set(String(hsa.role), String(hsa.mode));
    }
  }
  return found;
}

function activeSiteOf(stacks: ReadonlyMap<string, StackJson>, environment: string): string | undefined {
  for (const [name, stack] of stacks) {
    const hsa = (stack['//'] as JsonObject | undefined)?.hsa as JsonObject | undefined;
    if (environmentOf(name, stack) === environment && hsa?.activeSite) return String(hsa.activeSite);
  }
  return undefined;
}

/** A/B drift of one environment, as SYM-ABSymmetry reports it on the synthesized stacks. */
function drift(stacks: ReadonlyMap<string, StackJson>, environment: string): string[] {
  return abDifferences(environment, stacks).map((p) => p.message);
}

export function reviewTrees(base: SynthesizedTree, head: SynthesizedTree): EnvironmentReview[] {
  const names = [...new Set([...base.stacks.keys(), ...head.stacks.keys()])].sort();
  const byEnvironment = new Map<string, StackReview[]>();
  for (const name of names) {
    const review = reviewStack(name, base.stacks.get(name), head.stacks.get(name));
    byEnvironment.set(review.environment, [...(byEnvironment.get(review.environment) ?? []), review]);
  }
  const key = (f: ReportFinding) => `${f.ruleId}|${f.stack}|${f.path}|${f.message}|${f.suppressed ? 's' : ''}`;
  return [...byEnvironment.entries()].map(([environment, stacks]) => {
    const roleFlips: RoleFlip[] = [];
    for (const { stack } of stacks) {
      const before = roles(base.stacks.get(stack));
      for (const [role, mode] of roles(head.stacks.get(stack))) {
        const previous = before.get(role);
        if (previous && previous !== mode) roleFlips.push({ stack, role, from: previous, to: mode });
      }
    }
    const fromSite = activeSiteOf(base.stacks, environment);
    const toSite = activeSiteOf(head.stacks, environment);
    const baseDrift = new Set(drift(base.stacks, environment));
    const complianceAvailable = base.findings.has(environment) && head.findings.has(environment);
    const baseFindings = new Set((base.findings.get(environment) ?? []).map(key));
    const headFindings = new Set((head.findings.get(environment) ?? []).map(key));
    return {
      environment,
      stacks,
      ...(fromSite && toSite && fromSite !== toSite ? { activeSite: { from: fromSite, to: toSite } } : {}),
      roleFlips,
      driftIntroduced: drift(head.stacks, environment).filter((d) => !baseDrift.has(d)),
      findingsAdded: complianceAvailable ? (head.findings.get(environment) ?? []).filter((f) => !baseFindings.has(key(f))) : [],
      findingsRemoved: complianceAvailable ? (base.findings.get(environment) ?? []).filter((f) => !headFindings.has(key(f))) : [],
      complianceAvailable,
    };
  });
}

function preventsDestroy(body: JsonObject): boolean {
  return (body.lifecycle as JsonObject | undefined)?.prevent_destroy === true;
}

/** Data-holding resources destroyed, replaced or stripped of prevent_destroy, and not acknowledged by an address glob. */
export function unacknowledgedDataLoss(reviews: readonly EnvironmentReview[], acknowledged: readonly string[]): string[] {
  const patterns = acknowledged.map((glob) => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return reviews.flatMap((r) =>
    r.stacks.flatMap((s) => [...s.destroyed.filter((d) => d.dataHolding), ...s.changed.filter((c) => c.protectionRemoved)].map((d) => `${s.stack}/${d.address}`)),
  ).filter((address) => !patterns.some((p) => p.test(address)));
}
