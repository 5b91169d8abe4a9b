import type { MiddlewareRole } from '../../model/catalog';
import type { DeploymentUnit } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import { NOT_APPLICABLE, outcome, type JsonObject, type ProvinceRuleDefinition, type RuleProblem, type StackJson } from '../types';

/**
 * GB/T 22240-2020 level 3 zoning, proven on the synthesized NetworkPolicies of each public-zone stack:
 * every namespace the toolkit creates denies egress by default; every allowed egress names its
 * destination; no allowed destination is an address of the core zone; and the only namespace that may
 * send to a gatekeeper (网闸) is the service gateway's. So the gateway path is the only way from the
 * public zone to the core zone.
 */
export const zoneGatewayOnly: ProvinceRuleDefinition = {
  id: 'ZONE-GatewayOnlyPath',
  description: 'public-zone workloads can reach the core zone only through the service gateway and the gatekeeper (GB/T 22240 level 3)',
  check({ model, stacks }) {
    const coreUnits = model.units.filter((u) => u.zone === 'core');
    const publicUnits = model.units.filter((u) => u.zone === 'public');
    const coreAddresses = new Map<string, string>();
    for (const unit of coreUnits) {
      coreAddresses.set(unit.ingressVip, `core load balancer at site ${unit.site}`);
      coreAddresses.set(unit.gatekeeper, `core side of the gatekeeper at site ${unit.site}`);
      for (const [role, address] of Object.entries(unit.middlewareVips) as [MiddlewareRole, string][]) coreAddresses.set(address, `core ${role} at site ${unit.site}`);
    }
    const gatekeepers = new Set(publicUnits.map((u) => u.gatekeeper));
    const problems: RuleProblem[] = [];
    let applicable = false;
    for (const unit of publicUnits) {
      const stack = stacks.get(unit.stackName);
      if (!stack) continue;
      applicable = true;
      problems.push(...checkPublicStack(unit, stack, coreAddresses, gatekeepers));
    }
    return applicable ? outcome(problems) : NOT_APPLICABLE;
  },
};

export interface EgressPath {
  readonly namespace: string;
  readonly policy: string;
  /** CIDR, `namespace:<name>`, `namespaces-with:<label>`, `same-namespace`, or `ANY`. */
  readonly destination: string;
}

/** Every egress the policies of a stack allow, namespace by namespace (for the proof and for reviews). */
export function egressPaths(stack: StackJson): { namespaces: string[]; denied: Set<string>; paths: EgressPath[] } {
  const namespaces = Object.values(stack.resource?.kubernetes_namespace_v1 ?? {}).map((n) => String((n.metadata as JsonObject).name));
  const denied = new Set<string>();
  const paths: EgressPath[] = [];
  for (const policy of Object.values(stack.resource?.kubernetes_network_policy_v1 ?? {})) {
    const metadata = policy.metadata as JsonObject;
    const namespace = namespaceName(String(metadata.namespace), stack);
    const spec = policy.spec as JsonObject;
    const types = (spec.policy_types ?? []) as string[];
    const selectsAllPods = !spec.pod_selector || Object.keys(spec.pod_selector as JsonObject).length === 0;
    const egress = (spec.egress ?? []) as JsonObject[];
    if (types.includes('Egress') && selectsAllPods && egress.length === 0) denied.add(namespace);
    for (const rule of egress) {
      const to = (rule.to ?? []) as JsonObject[];
      if (to.length === 0) paths.push({ namespace, policy: String(metadata.name), destination: 'ANY' });
      for (const peer of to) {
        const block = peer.ip_block as JsonObject | undefined;
        const selector = peer.namespace_selector as JsonObject | undefined;
        if (block) paths.push({ namespace, policy: String(metadata.name), destination: String(block.cidr) });
        else if (selector) {
          const labels = (selector.match_labels ?? {}) as JsonObject;
          const expressions = (selector.match_expressions ?? []) as JsonObject[];
          const named = labels['kubernetes.io/metadata.name'];
          paths.push({ namespace, policy: String(metadata.name), destination: named ? `namespace:${String(named)}` : `namespaces-with:${expressions.map((e) => String(e.key)).join(',') || 'ANY'}` });
        } else paths.push({ namespace, policy: String(metadata.name), destination: 'same-namespace' });
      }
    }
  }
  return { namespaces, denied, paths };
}

function checkPublicStack(unit: DeploymentUnit, stack: StackJson, coreAddresses: Map<string, string>, gatekeepers: Set<string>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const { namespaces, denied, paths } = egressPaths(stack);
  for (const namespace of namespaces) {
    if (!denied.has(namespace)) {
      problems.push({ stack: unit.stackName, path: `namespace ${namespace}`, message: `namespace ${namespace} does not deny egress by default`, fix: 'give it a default-deny NetworkPolicy (NetworkPolicySet)' });
    }
  }
  for (const path of paths) {
    const where = { stack: unit.stackName, path: `${path.namespace}/${path.policy}` };
    if (path.destination === 'ANY' || path.destination === 'namespaces-with:ANY') {
      problems.push({ ...where, message: `${path.policy} in ${path.namespace} allows egress to any destination`, fix: 'name the destination (namespace or address) of every egress rule' });
      continue;
    }
    if (!isCidr(path.destination)) continue;
    for (const [address, what] of coreAddresses) {
      if (cidrContains(path.destination, address)) {
        problems.push({ ...where, message: `${path.policy} in ${path.namespace} allows egress to ${path.destination}, which covers the ${what} (${address})`, fix: 'public-zone workloads reach the core zone through the service gateway only' });
      }
    }
    for (const gatekeeper of gatekeepers) {
      if (cidrContains(path.destination, gatekeeper) && path.namespace !== PLATFORM_NAMESPACES.gateway) {
        problems.push({ ...where, message: `${path.namespace} may send to the gatekeeper ${gatekeeper}; only ${PLATFORM_NAMESPACES.gateway} may`, fix: 'route calls to the core zone through the service gateway' });
      }
    }
  }
  return problems;
}

/** Namespace references are Terraform expressions to the namespace resource: map them back to names. */
function namespaceName(reference: string, stack: StackJson): string {
  const match = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(reference);
  if (!match) return reference;
  const namespace = stack.resource?.kubernetes_namespace_v1?.[match[1]!];
  return namespace ? String((namespace.metadata as JsonObject).name) : reference;
}

export function isCidr(text: string): boolean {
  return /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(text);
}

export function cidrContains(cidr: string, address: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const toNumber = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const masked = (n: number) => Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
  return masked(toNumber(base!)) === masked(toNumber(address));
}
