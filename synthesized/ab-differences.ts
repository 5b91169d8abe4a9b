import { SITE_SPECIFIC_OUTPUT_KEYS } from '../model/platform-model';
import { ZONES, stackName } from '../model/topology';
import type { JsonObject, JsonValue, StackJson } from './json';

const SITE_SPECIFIC_KEYS: ReadonlySet<string> = new Set(SITE_SPECIFIC_OUTPUT_KEYS);

/** One difference between the datacenters: where (the stack it is missing from or differs in, and the address), what, and how to fix it. */
export interface AbDifference {
  readonly stack: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** Differences between the A and B stacks of each zone of one environment (the symmetry rule and the plan review). */
export function abDifferences(envName: string, stacks: ReadonlyMap<string, StackJson>): AbDifference[] {
  const problems: AbDifference[] = [];
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
