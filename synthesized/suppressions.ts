import { isJsonObject, type JsonObject } from './json';

/**
 * A rule suppression as the synthesized output records it: `"//".compliance_suppressions` of each
 * resource the environment's suppression covers, `[{rule, reason}]`. The stacks write it (from
 * `compliance.suppressions` of the environment file) and compliance reads it, so a reviewer of the plan,
 * `npm run check` on any output and the synthesis itself all see the same exemptions.
 */
export interface RecordedSuppression {
  readonly rule: string;
  readonly reason: string;
}

export const SUPPRESSIONS_KEY = 'compliance_suppressions';
/** A reason shorter than this (in characters, Chinese allowed) does not suppress anything. */
export const MIN_SUPPRESSION_REASON = 10;

/** A suppression declared in the environment file (`compliance.suppressions`). */
export interface DeclaredSuppression {
  readonly ruleId: string;
  /** Construct path prefix; `*` as the first segment matches every stack (e.g. `*\/Platform/Applications/macro-decision`). */
  readonly path: string;
  readonly reason: string;
}

/** Whether a construct path is covered by a suppression's path pattern (a prefix, whole segments). */
export function suppressionCovers(pattern: string, path: string): boolean {
  const [first, ...rest] = pattern.split('/');
  const [pathFirst, ...pathRest] = path.split('/');
  if (first !== '*' && first !== pathFirst) return false;
  const restPattern = rest.join('/');
  const restPath = pathRest.join('/');
  return restPattern === '' || restPath === restPattern || restPath.startsWith(`${restPattern}/`);
}

/** The suppressions a synthesized resource records; entries without a rule or a long enough reason are not suppressions. */
export function recordedSuppressions(config: JsonObject): RecordedSuppression[] {
  const comment = config['//'];
  const list = isJsonObject(comment) ? comment[SUPPRESSIONS_KEY] : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) =>
    isJsonObject(entry) && typeof entry.rule === 'string' && typeof entry.reason === 'string' && [...entry.reason.trim()].length >= MIN_SUPPRESSION_REASON
      ? [{ rule: entry.rule, reason: entry.reason.trim() }]
      : [],
  );
}
