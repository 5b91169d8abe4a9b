/**
 * Executes the DR plan (容灾切换) of one province for every registered kind of DR pair: a planned
 * switchover while both datacenters run, or a failover after losing one (`siteLost`). Every step checks
 * its precondition against the real servers, acts, and appends what it measured to the journal; a run
 * started again on the same journal resumes where it stopped. In a dry run nothing is changed: the steps
 * are listed with what each would check.
 *
 * This module is the orchestrator and knows no kind of pair by name. Each kind's steps live in its folder
 * (pairs/<kind>/<kind>-driver.ts) behind one interface (pairs/kind.ts, which lists the phases and their
 * order), registered in pairs/registry.ts. The orchestrator runs the steps phase by phase, each phase in
 * the order of the registered kinds, with its own steps between the phases: the check of every pair
 * first, the acknowledgement of the divergence the kinds saved before the old site is re-pointed, and the
 * deploys, the new site's before the old site's (so two mirrors never run at once). While the old site
 * is away after a loss, the run stops with `waiting`; run it again when it answers.
 */
import { join } from 'node:path';
import type { ProvinceModel } from '../model/platform-model';
import { otherSite, stackName, ZONES, type Site } from '../model/topology';
import { resolveTimeouts, SwitchoverError, type DivergentWrites, type PairAccess, type PairReport, type PairStep, type RunContext, type RunDirection, type StepResult, type SwitchoverPair, type SwitchoverPhase, type SwitchoverTimeouts } from '../pairs/kind';
import { pairKinds } from '../pairs/registry';
import { Journal, savedFile, type RunHeader, type SavedFile, type StepRecord } from './journal';

export { SwitchoverError, type PairReport } from '../pairs/kind';

/** Deploys stacks with a given active site: `cdktf deploy` in production, local servers in a drill. */
export interface Deployer {
  /** What it would run, for the dry run and the journal. */
  describe(stacks: readonly string[], activeSite: Site): string;
  deploy(stacks: readonly string[], activeSite: Site): Promise<void>;
}

/** The options carry every registered kind's access (one field per kind; see PairAccess in pairs/kind.ts). */
export interface SwitchoverOptions extends PairAccess {
  readonly province: ProvinceModel;
  /** The kinds of pair to switch, by name (pairs/registry.ts). @default every registered kind */
  readonly kinds?: readonly string[];
  readonly to: Site;
  readonly siteLost?: Site;
  readonly execute: boolean;
  readonly journalDir: string;
  /** Discard the old site's divergent writes after saving them (recorded in the journal). */
  readonly discardDivergent: boolean;
  readonly deployer: Deployer;
  readonly print: (line: string) => void;
  /** Bounds of the waits (seconds). @default see SwitchoverTimeouts */
  readonly timeouts?: SwitchoverTimeouts;
  readonly now?: () => Date;
  /**
   * For the tests only: called at every fault point (`before:<step>`, `acted:<step>` between an action
   * and its journal line, `after:<step>`); returning true kills the run there (InjectedFault), as a
   * SIGKILL would: nothing after the point is done or journaled.
   */
  readonly killAt?: (point: string) => boolean;
}

/** The run was killed at a fault point (tests only). */
export class InjectedFault extends Error {}

export type SwitchoverOutcome =
  | { readonly status: 'completed'; readonly report: SwitchoverReport }
  | { readonly status: 'dry-run' }
  | { readonly status: 'waiting'; readonly reason: string }
  | { readonly status: 'refused'; readonly reason: string };

export interface SwitchoverReport {
  /** From the start of the run (the first one, when resumed) to the new site taking writes. */
  readonly rtoSeconds: number;
  /** Site lost: from the earliest last contact of any pair (the loss as the new site saw it) to the last pair taking writes. */
  readonly rtoFromLossSeconds?: number;
  readonly pairs: readonly PairReport[];
}

/** One step of the run: a pair's, or one of the run's own (check, acknowledge, deploy). */
type Step =
  | { readonly kind: 'pair'; readonly id: string; readonly title: string; readonly step: PairStep }
  | { readonly kind: 'check'; readonly id: string; readonly title: string }
  | { readonly kind: 'acknowledge'; readonly id: string; readonly title: string }
  | { readonly kind: 'deploy'; readonly id: string; readonly title: string; readonly site: Site };

export async function executeSwitchover(options: SwitchoverOptions): Promise<SwitchoverOutcome> {
  const { province, to } = options;
  const from = otherSite(to);
  if (province.activeSite !== from) throw new SwitchoverError(`${province.envName}: site ${to} is already active in the environment; a switchover goes from the active site (${province.activeSite}) to the other one`);
  if (options.siteLost !== undefined && options.siteLost !== from) throw new SwitchoverError(`--site-lost ${options.siteLost}: only the active site (${from}) can be the lost one when switching to ${to}`);
  const known = pairKinds();
  const names = options.kinds ?? known.map((kind) => kind.name);
  const unknown = names.filter((name) => !known.some((kind) => kind.name === name));
  if (unknown.length > 0) throw new SwitchoverError(`no DR pair kind named ${unknown.join(', ')}; the registered kinds are ${known.map((kind) => kind.name).join(', ')}`);
  const kinds = known.filter((kind) => names.includes(kind.name));
  const pairsByKind = kinds.map((kind) => ({ kind, pairs: kind.pairsOf(province, options) }));
  const pairs = pairsByKind.flatMap((k) => k.pairs);
  if (pairs.length === 0) throw new SwitchoverError(`${province.envName}: no ${names.join(' or ')} DR pair to switch`);
  if (options.execute) {
    for (const { kind, pairs: ofKind } of pairsByKind) {
      const missing = ofKind.length > 0 ? kind.missingAccess(options) : undefined;
      if (missing) throw new SwitchoverError(missing);
    }
  }
  const stacksAt = (site: Site) => ZONES.map((zone) => stackName(province.envName, zone, site));
  const direction: RunDirection = { from, to, siteLost: options.siteLost !== undefined };
  const now = options.now ?? (() => new Date());
  const print = options.print;

  const steps = planSteps(pairs, direction);
  if (!options.execute) {
    print(`# Dry run: switchover of ${province.envName} from ${from} to ${to}${direction.siteLost ? ` (site ${from} lost)` : ''}; nothing is changed. Add --execute to act.`);
    steps.forEach((step, i) => print(`${i + 1}. ${step.title}${step.kind === 'deploy' ? `\n   $ ${options.deployer.describe(stacksAt(step.site), to)}` : ''}`));
    return { status: 'dry-run' };
  }

  const header: RunHeader = { envName: province.envName, from, to, ...(direction.siteLost ? { siteLost: from } : {}), pairs: pairs.map((pair) => pair.name) };
  const journal = Journal.open(options.journalDir, header, now);
  const startedAt = new Date(journal.header.startedAt).getTime();
  /** Steps this invocation ran (the others were done by an earlier run of the journal). */
  const ranThisRun = new Set<string>();
  const record = (step: string, status: StepRecord['status'], data?: Record<string, unknown>, message?: string) => {
    journal.record({ step, status, at: now().toISOString(), ...(data ? { data } : {}), ...(message ? { message } : {}) });
    print(`${status === 'done' ? 'done   ' : status.padEnd(7)} ${step}${message ? `: ${message}` : ''}`);
  };
  const run: RunContext = {
    ...direction,
    directory: journal.directory,
    timeouts: resolveTimeouts(options.timeouts),
    now,
    secondsSinceStart: () => (now().getTime() - startedAt) / 1000,
    fenceNote: `switchover of ${province.envName} from ${from} to ${to} started ${journal.header.startedAt}`,
    last: (stepId) => journal.last(stepId),
    ranThisRun: (stepId) => ranThisRun.has(stepId),
    record: (stepId, result) => record(stepId, result.status, result.data, result.message),
  };

  for (const step of steps) {
    // The acknowledgement is a check of what the servers and the saved files hold now: it runs again on
    // every rerun until the old site is re-pointed, never taken as done from the journal.
    const recheck = step.kind === 'acknowledge' && !journal.isDone(`deploy:${from}`);
    if (journal.isDone(step.id) && !recheck) {
      print(`skip    ${step.id}: done at ${journal.last(step.id)!.at} (journal)`);
      continue;
    }
    faultPoint(`before:${step.id}`);
    const result = await runStep(step);
    ranThisRun.add(step.id);
    faultPoint(`after:${step.id}`);
    if (result) return result;
  }
  return { status: 'completed', report: report() };

  async function runStep(step: Step): Promise<SwitchoverOutcome | undefined> {
    switch (step.kind) {
      case 'check': {
        const problems: string[] = [];
        const data: Record<string, unknown> = {};
        for (const pair of pairs) {
          const checked = await pair.check(run);
          problems.push(...checked.problems);
          data[pair.name] = checked.data;
        }
        return journalled(step.id, problems.length > 0 ? { status: 'refused', data, message: problems.join('; ') } : { status: 'done', data });
      }
      case 'pair':
        return journalled(
          step.id,
          await step.step.run({
            ...run,
            stepId: step.id,
            acted: () => faultPoint(`acted:${step.id}`),
            measuredOnce: (measure) => measuredOnce(step.id, measure),
          }),
        );
      case 'acknowledge':
        return acknowledge(step.id);
      case 'deploy': {
        const stacks = stacksAt(step.site);
        await options.deployer.deploy(stacks, to);
        faultPoint(`acted:${step.id}`);
        record(step.id, 'done', { stacks, activeSite: to, command: options.deployer.describe(stacks, to) });
        return undefined;
      }
    }
  }

  /**
   * Before the old site is re-pointed (which drops what only it holds): every pair measures the old site
   * again, then the saved divergence is checked against its files and dropped only when acknowledged.
   */
  async function acknowledge(stepId: string): Promise<SwitchoverOutcome | undefined> {
    const changedSince: string[] = [];
    for (const pair of pairs) {
      const changed = await pair.recheck?.(run);
      if (changed) changedSince.push(changed);
    }
    if (changedSince.length > 0) {
      const reason = `site ${from} changed since its divergence was saved (${changedSince.join(', ')}): taken after its fence (a restart without it?). Saved again in the journal directory; nothing is dropped: run again to acknowledge what it holds now`;
      return journalled(stepId, { status: 'refused', data: { changedSince }, message: reason });
    }
    const divergent: DivergentWrites[] = pairs.flatMap((pair) => pair.divergence?.(run) ?? []).filter((d) => d.writes > 0);
    if (divergent.length === 0) return journalled(stepId, { status: 'done', data: { divergentWrites: 0 } });
    // The saved copies are what makes dropping the writes at the old site safe: each must still be
    // the file the divergence step wrote, with as many records as it counted.
    const damaged = divergent.flatMap((d) => {
      if (!d.saved) return [`${d.pair}: the journal names no saved file`];
      let current: SavedFile;
      try {
        current = savedFile(d.saved.file);
      } catch {
        return [`${d.pair}: ${d.saved.file} is gone`];
      }
      if (current.sha256 !== d.saved.sha256) return [`${d.pair}: ${d.saved.file} changed since it was saved (sha256 ${current.sha256.slice(0, 12)}, saved ${d.saved.sha256.slice(0, 12)})`];
      if (current.lines !== d.writes) return [`${d.pair}: ${d.saved.file} holds ${current.lines} records, the divergence counted ${d.writes}`];
      return [];
    });
    if (damaged.length > 0) {
      const reason = `the saved divergent writes cannot be trusted (${damaged.join('; ')}); nothing is dropped: restore the files from the journal directory's backup, or run a new switchover`;
      return journalled(stepId, { status: 'refused', data: { divergent }, message: reason });
    }
    const summary = divergent.map((d) => `${d.pair}: ${d.writes} ${d.unit}`).join(', ');
    if (!options.discardDivergent) {
      const reason = `site ${from} holds writes site ${to} does not (${summary}); they are saved in ${divergent.map((d) => `${d.saved?.file ?? join(journal.directory, 'divergent-*.jsonl')} (each line ${d.format})`).join(', ')}. Merge them into site ${to}, or run again with --discard-divergent to re-point site ${from} and drop them there`;
      return journalled(stepId, { status: 'refused', data: { divergent }, message: reason });
    }
    return journalled(stepId, {
      status: 'done',
      data: { divergent, discardAcknowledged: true },
      message: `divergent writes acknowledged and discarded at site ${from} (${summary}); copies kept in the journal directory (${divergent.map((d) => `${d.saved!.file} sha256 ${d.saved!.sha256}`).join(', ')})`,
    });
  }

  function faultPoint(point: string): void {
    if (options.killAt?.(point)) throw new InjectedFault(`killed at ${point}`);
  }

  /**
   * A measurement taken before an action, journaled as `started` before acting: a rerun after a kill
   * between the action and its `done` line reuses it instead of measuring what the action changed.
   */
  async function measuredOnce(stepId: string, measure: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const last = journal.last(stepId);
    if (last?.status === 'started' && last.data) return { ...last.data };
    const data = await measure();
    record(stepId, 'started', data);
    return data;
  }

  /** Journals a step's result; a refusal or a wait ends the run (run it again to resume), a failure ends it for good. */
  function journalled(stepId: string, result: StepResult): SwitchoverOutcome | undefined {
    record(stepId, result.status, result.data, result.message);
    switch (result.status) {
      case 'done':
        return undefined;
      case 'waiting':
        return { status: 'waiting', reason: result.message ?? stepId };
      case 'refused':
        return { status: 'refused', reason: result.message ?? stepId };
      case 'failed':
        throw new SwitchoverError(result.message ?? stepId);
    }
  }

  function report(): SwitchoverReport {
    const pairReports = pairs.map((pair) => pair.report(run));
    const rtoSeconds = Math.max(...pairReports.map((p) => p.rtoSeconds ?? 0));
    const contacts = pairReports.flatMap((p) => (p.lastContactAt ? [new Date(p.lastContactAt).getTime()] : []));
    const lastWritable = Math.max(...pairReports.flatMap((p) => (p.writableAt ? [new Date(p.writableAt).getTime()] : [])));
    const rtoFromLossSeconds = contacts.length > 0 ? (lastWritable - Math.min(...contacts)) / 1000 : undefined;
    const result = { rtoSeconds, ...(rtoFromLossSeconds !== undefined ? { rtoFromLossSeconds } : {}), pairs: pairReports };
    journal.record({ step: 'report', status: 'done', at: now().toISOString(), data: { ...result } });
    print(`RTO ${rtoSeconds.toFixed(1)} s (start of the run to site ${to} taking writes)${rtoFromLossSeconds !== undefined ? `; ${rtoFromLossSeconds.toFixed(1)} s from the loss (the earliest last contact with site ${from})` : ''}`);
    pairs.forEach((pair, i) => print(pair.describe(pairReports[i]!, run)));
    return result;
  }
}

/** The steps in order (pairs/kind.ts has the phases): each phase's steps in the order of the registered kinds. */
function planSteps(pairs: readonly SwitchoverPair[], direction: RunDirection): Step[] {
  const { from, to, siteLost } = direction;
  const pairSteps = pairs.map((pair) => pair.steps(direction));
  const phase = (name: SwitchoverPhase): Step[] => pairSteps.flatMap((steps) => (steps[name] ? [{ kind: 'pair' as const, id: steps[name].id, title: steps[name].title, step: steps[name] }] : []));
  const check: Step = {
    kind: 'check',
    id: 'check',
    title: siteLost ? `Check every pair at site ${to} answers and record its last contact with site ${from}` : `Check both sites answer: site ${from} primary, site ${to} replicating or mirroring every pair`,
  };
  const acknowledge: Step = { kind: 'acknowledge', id: 'acknowledge-divergence', title: `Refuse to re-point site ${from} while it holds unsaved or unacknowledged writes (--discard-divergent)` };
  const deploy = (site: Site): Step => ({ kind: 'deploy', id: `deploy:${site}`, title: `Deploy site ${site}'s stacks with site ${to} active`, site });
  return siteLost
    ? [check, ...phase('promote'), ...phase('handover'), deploy(to), ...phase('writable'), ...phase('fence'), ...phase('divergence'), acknowledge, ...phase('clean-old'), deploy(from), ...phase('following')]
    : [check, ...phase('fence'), ...phase('caught-up'), ...phase('promote'), ...phase('divergence'), acknowledge, ...phase('handover'), deploy(to), ...phase('writable'), ...phase('clean-old'), deploy(from), ...phase('following')];
}
