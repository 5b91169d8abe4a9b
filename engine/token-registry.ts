/**
 * cdktf registers every token in one process-wide map (`global.__cdktfTokenMap`) and never removes one.
 * A reference token holds the stack it belongs to, so that map keeps every App ever built alive: a
 * process that synthesizes many Apps in turn (a benchmark worker, 16 provinces) grew by the whole
 * construct tree of each, about 17 MB per province, and spent ever longer in the garbage collector.
 *
 * `tokensMark()` before building an App and `forgetTokensSince(mark)` once it is written release that
 * App's tokens. Only for an App that is finished with: its tokens no longer resolve afterwards.
 */
import { cdktfTokenMap as tokenMap } from '../adapter/cdktf-internals';

/** The tokens registered so far. */
export interface TokensMark {
  readonly strings: ReadonlySet<string>;
  readonly numbers: ReadonlySet<number>;
}

export function tokensMark(): TokensMark {
  const map = tokenMap();
  return { strings: new Set(map?.stringTokenMap.keys()), numbers: new Set(map?.numberTokenMap.keys()) };
}

/** Removes every token registered after `mark`. Returns how many were removed (0 if cdktf's map changed shape). */
export function forgetTokensSince(mark: TokensMark): number {
  const map = tokenMap();
  if (!map) return 0;
  let removed = 0;
  for (const key of [...map.stringTokenMap.keys()]) {
    if (!mark.strings.has(key) && map.stringTokenMap.delete(key)) removed++;
  }
  for (const key of [...map.numberTokenMap.keys()]) {
    if (!mark.numbers.has(key) && map.numberTokenMap.delete(key)) removed++;
  }
  return removed;
}
