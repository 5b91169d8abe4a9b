/**
 * Reads and validates environment files. This is the only place that touches environments/ on disk:
 * everything downstream gets a validated, typed value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { z } from 'zod';
import { environmentSchema, type Environment } from './environment-schema';
import { parseJsonSource } from './json-source';

/** Environment names become stack names and DNS labels: the file name in environments/ without `.json`. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{1,15}$/;

export interface LoadedEnvironment {
  /** File name without `.json`, e.g. `demo`; prefixes every stack (`demo-core-a`). */
  readonly name: string;
  /** Path relative to the working directory, for messages. */
  readonly file: string;
  readonly environment: Environment;
}

/** One problem in one environment file. */
export interface EnvironmentProblem {
  readonly file: string;
  /** Dotted field path, e.g. `sites.A.zones.core.ingressVip`; `(file)` for the file as a whole. */
  readonly field: string;
  readonly message: string;
}

export class EnvironmentError extends Error {
  constructor(readonly problems: readonly EnvironmentProblem[]) {
    super(formatProblems(problems));
    this.name = 'EnvironmentError';
  }
}

export function formatProblems(problems: readonly EnvironmentProblem[]): string {
  const files = [...new Set(problems.map((p) => p.file))];
  const lines = [`invalid environment (${files.join(', ')}): ${problems.length} problem${problems.length === 1 ? '' : 's'}`];
  for (const p of problems) lines.push(`  - ${p.file}: ${p.field}: ${p.message}`);
  return lines.join('\n');
}

/** Names of the environments in a directory (every `*.json` except JSON Schema files), sorted. */
export function listEnvironments(directory: string): string[] {
  return readdirSync(directory)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Loads every named environment; collects the problems of all files before throwing. */
export function loadEnvironments(directory: string, names: readonly string[]): LoadedEnvironment[] {
  const loaded: LoadedEnvironment[] = [];
  const problems: EnvironmentProblem[] = [];
  for (const name of names) {
    try {
      loaded.push(loadEnvironmentFile(join(directory, `${name}.json`)));
    } catch (error) {
      if (error instanceof EnvironmentError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new EnvironmentError(problems);
  return loaded;
}

export function loadEnvironmentFile(path: string): LoadedEnvironment {
  const file = relative(process.cwd(), path) || path;
  const name = basename(path).replace(/\.json$/, '');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const available = safeList(join(path, '..'));
    throw new EnvironmentError([
      {
        file,
        field: '(file)',
        message: `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}); available environments: ${available.join(', ') || 'none'}`,
      },
    ]);
  }
  return parseEnvironment(name, file, text);
}

/** Validates environment text; `file` is only used in messages. */
export function parseEnvironment(name: string, file: string, text: string): LoadedEnvironment {
  const problems: EnvironmentProblem[] = [];
  if (!ENVIRONMENT_NAME.test(name)) {
    problems.push({ file, field: '(file name)', message: `received "${name}"; expected 2-16 lowercase letters or digits starting with a letter (it prefixes stack names): rename the file` });
  }
  const source = parseJsonSource(text);
  problems.push(...source.problems.map((p) => ({ file, ...p })));
  if (source.value === undefined) throw new EnvironmentError(problems);
  const raw = source.value;
  const result = environmentSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(file, raw, issue, []));
  }
  if (problems.length > 0 || !result.success) throw new EnvironmentError(problems);
  return { name, file, environment: result.data };
}

type Issue = z.core.$ZodIssue;

function describeIssue(file: string, root: unknown, issue: Issue, prefix: PropertyKey[]): EnvironmentProblem[] {
  const path = [...prefix, ...issue.path];
  const field = formatPath(path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        file,
        field: formatPath([...path, key]),
        message: unknownKeyMessage(key, schemaKeysAt(environmentSchema, path, root)),
      }));
    case 'invalid_union': {
      // Report the branch that came closest (fewest problems): that is the shape the author meant.
      const branches = issue.errors.filter((b) => b.length > 0).sort((a, b) => a.length - b.length);
      const closest = branches[0];
      if (closest) return closest.flatMap((inner) => describeIssue(file, root, inner, path));
      break;
    }
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const allowed = issue.issues.flatMap((i) => (i.code === 'invalid_value' ? i.values.map(String) : []));
      if (allowed.length > 0) return [{ file, field, message: `unknown key "${key}"${suggest(key, allowed)}; expected one of: ${allowed.join(', ')}` }];
      // The key has the wrong form (e.g. a reserved configuration key): say what the key must be.
      return [{ file, field, message: `key "${key}" is not allowed; ${issue.issues.map(normalize).join('; ')}` }];
    }
    default:
      break;
  }
  const value = valueAt(root, path);
  const received = value === undefined ? 'nothing (the field is missing)' : JSON.stringify(value);
  return [{ file, field, message: `received ${truncate(received)}; ${normalize(issue)}` }];
}

function normalize(issue: Issue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  return message.startsWith('expected') ? message : `expected: ${message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const expected = allowed.length > 0 ? `; expected one of: ${allowed.join(', ')}` : '';
  return `unknown key "${key}"${suggest(key, allowed)}${expected}; remove it or fix the spelling`;
}

/**
 * Keys the schema allows for the object at `path`, to suggest a spelling. Walks zod's own definition
 * (object shapes, arrays, records, optional/default wrappers, unions), so it never drifts from the schema.
 * Of a discriminated union, only the branch the value names counts (`database.product`'s keys are its own).
 */
function schemaKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[], root: unknown): string[] {
  const candidates = resolveSchemas(schema, path, root);
  return [...new Set(candidates.flatMap((s) => (s._zod.def.type === 'object' ? Object.keys((s._zod.def as z.core.$ZodObjectDef).shape) : [])))];
}

function resolveSchemas(schema: z.core.$ZodType, path: readonly PropertyKey[], value: unknown): z.core.$ZodType[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
      return resolveSchemas((def as z.core.$ZodOptionalDef).innerType, path, value);
    case 'union': {
      const options = (def as z.core.$ZodUnionDef).options;
      const discriminator = (def as z.core.$ZodDiscriminatedUnionDef).discriminator;
      const named = discriminator !== undefined && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
      const chosen = options.filter((o) => {
        const literal = o._zod.def.type === 'object' ? (o._zod.def as z.core.$ZodObjectDef).shape[discriminator ?? ''] : undefined;
        return literal?._zod.def.type === 'literal' && (literal._zod.def as z.core.$ZodLiteralDef<z.core.util.Literal>).values.includes(named as z.core.util.Literal);
      });
      return (chosen.length > 0 ? chosen : options).flatMap((o) => resolveSchemas(o, path, value));
    }
    default:
      break;
  }
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  const child = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[head!] : undefined;
  if (def.type === 'object') {
    const childSchema = (def as z.core.$ZodObjectDef).shape[String(head)];
    return childSchema ? resolveSchemas(childSchema, rest, child) : [];
  }
  if (def.type === 'array') return resolveSchemas((def as z.core.$ZodArrayDef).element, rest, child);
  if (def.type === 'record') return resolveSchemas((def as z.core.$ZodRecordDef).valueType, rest, child);
  return [];
}

function suggest(key: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function safeList(directory: string): string[] {
  try {
    return listEnvironments(directory);
  } catch {
    return [];
  }
}
