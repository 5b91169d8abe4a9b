import { SITE_SPECIFIC_OUTPUT_KEYS } from '../../model/platform-model';
import { ZONES, stackName } from '../../model/topology';
import { outcome, type JsonObject, type JsonValue, type ProvinceRuleDefinition, type RuleProblem, type StackJson } from '../types';

const SITE_SPECIFIC_KEYS: ReadonlySet<string> = new Set(SITE_SPECIFIC_OUTPUT_KEYS);

/**
 * A/B symmetry (应用版本同步 / 项目信息同步): the same applications, versions and configuration in both
 * datacenters, except fields declared site-specific. Checks the business applications and tenancy, where
 * nothing but capacity may differ; DR roles of middleware differ by design and are left to the DR rules.
 */
export const symABSymmetry: ProvinceRuleDefinition = {
  id: 'SYM-ABSymmetry',
  description: 'both datacenters run the same applications, versions and configuration except declared site-specific fields',
  check({ model, stacks }) {
    return outcome(abDifferences(model.envName, stacks));
  },
};

/** Differences between the A and B stacks of each zone of one environment (also used by the plan review). */
export function abDifferences(envName: string, stacks: ReadonlyMap<string, StackJson>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const zone of ZONES) {
    const a = stacks.get(stackName(envName, zone, 'A'));
    const b = stacks.get(stackName(envName, zone, 'B'));
    if (!a || !b) continue;
    const left = platformResources(a);
    const right = platformResources(b);
    for (const [address, body] of left) {
      const other = right.get(address);
      const stack = stackName(envName, zone, 'B');
      if (!other) {
        problems.push({ stack, path: address, message: `${address} exists at site A but not at site B`, fix: 'declare it once in the environment: both sites are built from the same definition' });
      } else {
        const diff = firstDifference(normalize(body), normalize(other), '');
        if (diff) problems.push({ stack, path: address, message: `${address} differs between A and B at ${diff}`, fix: 'only siteOverrides (replicas) may differ between the datacenters' });
      }
    }
    for (const address of right.keys()) {
      if (!left.has(address)) problems.push({ stack: stackName(envName, zone, 'A'), path: address, message: `${address} exists at site B but not at site A`, fix: 'declare it once in the environment: both sites are built from the same definition' });
    }
  }
  return problems;
}

/** Application and tenancy resources by Terraform address (same construct ids at both sites). */
function platformResources(stack: StackJson): Map<string, JsonObject> {
  const found = new Map<string, JsonObject>();
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      if (name.startsWith('Platform_Applications_') || name.startsWith('Platform_Tenants_')) found.set(`${type}.${name}`, body);
    }
  }
  return found;
}

function normalize(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) if (!SITE_SPECIFIC_KEYS.has(key)) result[key] = normalize(child);
  return result;
}

function firstDifference(a: JsonValue, b: JsonValue, path: string): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${path || '(root)'} (A: ${JSON.stringify(a)}, B: ${JSON.stringify(b)})`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of [...keys].sort()) {
    const diff = firstDifference((a as JsonObject)[key] ?? null, (b as JsonObject)[key] ?? null, path ? `${path}.${key}` : key);
    if (diff) return diff;
  }
  return undefined;
}
