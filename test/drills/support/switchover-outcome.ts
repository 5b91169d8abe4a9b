import type { SwitchoverOutcome } from '../../../switchover/execute-switchover';

/** The report of a completed switchover; any other outcome fails the drill with its reason. */
export function expectCompleted(outcome: SwitchoverOutcome): Extract<SwitchoverOutcome, { status: 'completed' }> {
  if (outcome.status !== 'completed') throw new Error(`switchover ${outcome.status}: ${'reason' in outcome ? outcome.reason : ''}`);
  return outcome;
}
