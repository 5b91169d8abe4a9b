/**
 * What a kind of DR pair (灾备组) gives the switchover: one interface every kind implements in its own
 * folder (pairs/<kind>/<kind>-driver.ts) and registers in pairs/registry.ts. The orchestrator
 * (switchover/execute-switchover.ts) knows no kind by name: it asks each registered kind for the pairs of
 * the province, runs their steps phase by phase in the order below, journals every result, and weighs
 * the divergence they report before the old site is re-pointed.
 *
 * A pair's steps, each journaled under `<step>:<pair name>` and measured against the real servers:
 *   check       (one step for the whole run) the pair answers at the new site, and, planned, at the old
 *   fence       the old site stops taking writes (reads kept)
 *   caught-up   planned only: the new site holds every write of the old one
 *   promote     the new site's member becomes primary, keeping its data
 *   handover    a role change a person makes (a database's DBA), checked, just before the new site's deploy
 *   writable    after the new site's deploy: it takes this pair's writes (the pair's RTO)
 *   divergence  the writes only the old site holds, found and saved to files before anything drops them
 *   clean-old   the old site made ready to follow (Kafka: rebuilt clean)
 *   following   after the old site's deploy: it follows the new one
 * Planned:   check, fence, caught-up, promote, divergence, [acknowledge], handover, deploy new, writable, clean-old, deploy old, following
 * Site lost: check, promote, handover, deploy new, writable, fence, divergence, [acknowledge], clean-old, deploy old, following
 */
import type { Construct } from 'constructs';
import type { MiddlewarePlan } from '../model/middleware-plan';
import type { PairKindModel } from '../model/pair-kinds';
import type { ProvinceModel } from '../model/platform-model';
import type { DrPairPlacement } from './placement';
import type { Site } from '../model/topology';
import type { SavedFile, StepRecord } from '../switchover/journal';

/** The phases in which pairs contribute steps (the run's own steps, check, acknowledge and deploy, sit between them). */
export const SWITCHOVER_PHASES = ['fence', 'caught-up', 'promote', 'handover', 'writable', 'divergence', 'clean-old', 'following'] as const;
export type SwitchoverPhase = (typeof SWITCHOVER_PHASES)[number];

/** A switchover step's outcome. `refused` and `waiting` stop the run (run it again to resume); `failed` ends it. */
export interface StepResult {
  readonly status: 'done' | 'refused' | 'waiting' | 'failed';
  readonly data?: Record<string, unknown>;
  readonly message?: string;
}

/** Something the servers say makes going on wrong (not a refusal to wait out): the run ends. */
export class SwitchoverError extends Error {}

/**
 * How the run reaches the servers of each kind: credentials, CAs. Each kind adds its own optional field
 * by declaration merging (`declare module '../kind' { interface PairAccess { redis?: ... } }`), so the
 * switchover's options carry every registered kind's access, typed, without the orchestrator naming any.
 */
export interface PairAccess {}

/** Bounds of the waits, in seconds. */
export interface SwitchoverTimeouts {
  /** A pair catching up (Redis, FastDFS, the database). @default 30 */
  readonly caughtUpSeconds?: number;
  /** MirrorMaker 2 copying every record. @default 90 */
  readonly kafkaCaughtUpSeconds?: number;
  /** A member following the new site, or taking writes after a deploy. @default 60 */
  readonly followingSeconds?: number;
  /** MirrorMaker 2 stopping or following. @default 120 */
  readonly kafkaFollowingSeconds?: number;
}

export function resolveTimeouts(timeouts: SwitchoverTimeouts | undefined): Required<SwitchoverTimeouts> {
  return {
    caughtUpSeconds: timeouts?.caughtUpSeconds ?? 30,
    kafkaCaughtUpSeconds: timeouts?.kafkaCaughtUpSeconds ?? 90,
    followingSeconds: timeouts?.followingSeconds ?? 60,
    kafkaFollowingSeconds: timeouts?.kafkaFollowingSeconds ?? 120,
  };
}

/** What a run is: the direction, and whether the old site was lost. */
export interface RunDirection {
  readonly from: Site;
  readonly to: Site;
  readonly siteLost: boolean;
}

/** What every step and report of a run can read. */
export interface RunContext extends RunDirection {
  /** Where the journal and the saved divergence live. */
  readonly directory: string;
  readonly timeouts: Required<SwitchoverTimeouts>;
  readonly now: () => Date;
  /** Seconds from the start of the run (the first one, when resumed): a pair's RTO when it takes writes. */
  secondsSinceStart(): number;
  /** What the fence marker says: which run fenced the server. */
  readonly fenceNote: string;
  /** The last journal line of a step, from this run or an earlier one. */
  last(stepId: string): StepRecord | undefined;
  /** Whether this invocation itself ran the step (not an earlier run of the same journal). */
  ranThisRun(stepId: string): boolean;
  /** Journals a line for a step (a pair that saves its divergence again on a recheck). */
  record(stepId: string, result: StepResult): void;
}

/** What one step sees besides the run. */
export interface StepContext extends RunContext {
  readonly stepId: string;
  /** The fault point between the step's action and its journal line (the kill-and-resume drills stop there). */
  acted(): void;
  /**
   * A measurement taken before acting, journaled as `started` first: a rerun after a kill between the
   * action and its `done` line reuses it instead of measuring what the action changed.
   */
  measuredOnce(measure: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>>;
}

export interface PairStep {
  /** `<step>:<pair name>`: the journal's key, stable across versions (a journal resumes on it). */
  readonly id: string;
  /** What the dry run prints. */
  readonly title: string;
  run(context: StepContext): Promise<StepResult>;
}

/** Writes only the old site holds, as one divergence step saved them: what the acknowledgement weighs. */
export interface DivergentWrites {
  readonly pair: string;
  readonly writes: number;
  /** What a write is, for the operator: "keys", "records". */
  readonly unit: string;
  /** What a line of the saved file holds, and how to replay it at the new site. */
  readonly format: string;
  readonly saved?: SavedFile;
}

/** What a pair reports at the end of a run (the fields that apply to its kind). */
export interface PairReport {
  readonly kind: string;
  readonly pair: string;
  /**
   * Site lost: seconds from the new site's last contact with the old one to the promotion; writes the
   * old site acknowledged in this window may be missing at the new site.
   */
  readonly windowSeconds?: number;
  /** Site lost, Redis: when the new site last heard from the old one (the window's start). */
  readonly lastContactAt?: string;
  /** This pair's RTO: from the start of the run to the new site taking its writes. */
  readonly rtoSeconds?: number;
  /** Site lost, Redis: from the last contact (the loss, as the new site saw it) to taking writes. */
  readonly rtoFromLossSeconds?: number;
  /** Redis: replication bytes the new site had not received when writes stopped (planned; 0 when caught up). */
  readonly unreceivedBytes?: number;
  /** Kafka: records of the old site not copied when writes stopped (planned; 0 when caught up). */
  readonly unmirroredRecords?: number;
  /** Database: WAL bytes of the old primary the new site had not replayed when writes stopped (planned; 0 when caught up). */
  readonly unreplayedBytes?: number;
  /** Kafka: per consumer group, records it reads again at the new site (offset translation is conservative). */
  readonly recordsReadAgainByGroup?: Readonly<Record<string, number>>;
  /** FastDFS: seconds a marker took to reach the new site when writes stopped (planned). */
  readonly catchUpSeconds?: number;
  /** FastDFS: seconds a marker took from the lost site, once back, to the new site (every file it took is there). */
  readonly drainSeconds?: number;
  /** Writes only the old site held, saved before it was re-pointed: Redis keys. */
  readonly divergentKeys?: number;
  /** Redis: keys the new site holds and the old one does not (saved as keys to DEL). */
  readonly absentAtOldKeys?: number;
  /** Kafka: records only the old site held, saved before it was re-pointed. */
  readonly divergentRecords?: number;
  readonly divergentFile?: string;
  /** When the new site took this pair's writes (the writable step's time). */
  readonly writableAt?: string;
}

/** One DR pair of a province, bound to how the run reaches it: what the orchestrator drives. */
export interface SwitchoverPair {
  readonly kind: string;
  /** `<role>@<zone>`: names the pair in the journal, the report and the files it saves. */
  readonly name: string;
  /** The whole run's check: problems refuse the run; data is journaled under the pair's name. */
  check(context: RunContext): Promise<{ readonly problems: readonly string[]; readonly data: Record<string, unknown> }>;
  /** The pair's steps, by phase; a phase it has nothing to do in is absent. */
  steps(direction: RunDirection): Partial<Record<SwitchoverPhase, PairStep>>;
  /** Writes only the old site holds, as saved by the divergence step; none when it saves nothing. */
  divergence?(context: RunContext): readonly DivergentWrites[];
  /**
   * Before the acknowledgement on a rerun: the old site measured again (it may have restarted and taken
   * writes since it was saved). Returns what changed, which refuses the run; undefined when nothing did.
   */
  recheck?(context: RunContext): Promise<string | undefined>;
  report(context: RunContext): PairReport;
  /** One line of the operator's report. */
  describe(report: PairReport, context: RunContext): string;
}

/** A kind of DR pair, as the switchover sees it. */
export interface PairKind {
  /** `redis`, `kafka`...: what `npm run switchover -- --kinds` takes. */
  readonly name: string;
  /** The pairs of this kind in a province (none when it runs none); `access` may be empty in a dry run. */
  pairsOf(province: ProvinceModel, access: PairAccess): SwitchoverPair[];
  /** What acting on these pairs needs and `access` lacks (a dry run needs nothing). */
  missingAccess(access: PairAccess): string | undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Seconds a step's record says the pair took to take writes, and when. */
export function writableData(record: StepRecord | undefined): { readonly rtoSeconds: number; readonly writableAt?: string } {
  return { rtoSeconds: Number(record?.data?.rtoSeconds ?? 0), ...(typeof record?.data?.writableAt === 'string' ? { writableAt: record.data.writableAt } : record ? { writableAt: record.at } : {}) };
}

/**
 * A kind of DR pair a project adds to the toolkit, whole: its part of the environment
 * (`middleware.kinds.<name>`), its planner, its construct and its switchover driver. Registered with
 * `registerPairKind` (pairs/registry.ts) before the environment is loaded; docs/architecture.md walks
 * through one. The toolkit's own kinds have the same parts in their folders, composed by name.
 */
export interface ProjectPairKind<Settings, Plan> extends PairKindModel<Settings, Plan> {
  /**
   * Renders one site's half of the pair in the middleware namespace, at `<unit>/Middleware/<name>`
   * (its Terraform address: keep the name once deployed).
   */
  render(scope: Construct, id: string, plan: Plan, placement: DrPairPlacement): void;
  /** Ports the pair's two sites reach each other on: the middleware namespace admits them across the link. @default - none */
  replicationPorts?(plan: Plan): readonly number[];
  /** The other site's addresses of the pair, admitted on those ports both ways. @default - none */
  peerAddresses?(plan: Plan): readonly string[];
  /** The switchover's driver: the pairs of a province (their plans are `planOfKind(this, unit.middlewarePlan)`) and their steps. */
  readonly switchover: Omit<PairKind, 'name'>;
}

/** A registered kind's plan in a unit's middleware plan, typed by the kind that made it (undefined when the zone runs none). */
export function planOfKind<Plan>(kind: Pick<ProjectPairKind<unknown, Plan>, 'name'>, plan: Pick<MiddlewarePlan, 'kinds'>): Plan | undefined {
  // Only this kind's planner writes under its name (model/middleware-plan.ts).
  return plan.kinds[kind.name] as Plan | undefined;
}

/** What MiddlewareSet renders for one registered kind in one unit: the plan bound in. */
export interface RegisteredPairRender {
  /** The construct id under the middleware set: the kind's name. */
  readonly id: string;
  render(scope: Construct, placement: DrPairPlacement): void;
  readonly replicationPorts: readonly number[];
  readonly peerAddresses: readonly string[];
}
