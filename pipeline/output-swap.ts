/**
 * Replacing a synthesis output directory so that nothing is ever lost, whatever instant a run is killed
 * at, and so that two runs never write the same directory at once.
 *
 * - A lock (`.<out>.lock/`, made with an atomic mkdir, holding the owner's pid and command) is held for
 *   the whole run; a second run waits for it, then fails naming the holder. A lock whose owner is no
 *   longer running is taken over.
 * - The new output is written to `.<out>.new/`; `.complete` is written into it last.
 * - The swap: `<out>` -> `.<out>.old/`, `.<out>.new/` -> `<out>`, then each stack's `.terraform/` and
 *   `.terraform.lock.hcl` are moved from the old output into the new one, then `.<out>.old/` is deleted.
 * - Every run first repairs what a killed run left (`repairOutput`): with no `<out>`, a complete new
 *   output is put in place, else the old one is put back; leftover `.terraform` state is moved into
 *   `<out>`; an incomplete new output and stale scratch directories are deleted. So after any kill the
 *   next run finds the old or the new output, complete.
 * An error during the swap puts the old output back when the new one is not in place yet, and never
 * deletes `.terraform` state.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Files a stack's Terraform working state keeps between runs: moved, never regenerated. */
const KEPT = ['.terraform', '.terraform.lock.hcl'];
const COMPLETE = '.complete';

export interface OutputPaths {
  readonly out: string;
  readonly fresh: string;
  readonly old: string;
  readonly lock: string;
}

export function outputPaths(out: string): OutputPaths {
  const parent = dirname(out);
  const name = basename(out);
  return { out, fresh: join(parent, `.${name}.new`), old: join(parent, `.${name}.old`), lock: join(parent, `.${name}.lock`) };
}

export class OutputLockedError extends Error {}

/** Steps a test can stop at (HSA_SYNTH_FAULT=<step>:<kill|throw>), to prove every instant repairable. */
export type SwapStep = 'written' | 'old-moved-aside' | 'new-in-place' | 'state-moved' | 'done';

type FaultHook = (step: SwapStep) => void;

/** The fault hook from HSA_SYNTH_FAULT, read by the entry point only. */
export function faultHookFromEnvironment(value: string | undefined): FaultHook {
  if (!value) return () => undefined;
  const [step, how] = value.split(':');
  return (at) => {
    if (at !== step) return;
    if (how === 'kill') process.kill(process.pid, 'SIGKILL');
    throw new Error(`injected fault at ${at}`);
  };
}

interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
}

/** Takes the output lock, waiting up to `waitMs` for another run; returns the release function. */
export function lockOutput(paths: OutputPaths, waitMs: number, command: string): () => void {
  mkdirSync(dirname(paths.out), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(paths.lock);
      writeFileSync(join(paths.lock, 'owner.json'), JSON.stringify({ pid: process.pid, command, startedAt: new Date().toISOString() } satisfies LockOwner));
      return () => rmSync(paths.lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(paths.lock);
    if (owner && !processRunning(owner.pid)) {
      // Its owner died: move the stale lock aside (one taker wins the rename) and try again.
      const stale = `${paths.lock}.stale-${process.pid}`;
      try {
        renameSync(paths.lock, stale);
        rmSync(stale, { recursive: true, force: true });
      } catch {
        // another run took it over first
      }
      continue;
    }
    if (Date.now() > deadline) {
      const holder = owner ? `process ${owner.pid} (${owner.command}, since ${owner.startedAt})` : 'a run that is still starting';
      throw new OutputLockedError(`${paths.out} is being written by ${holder}; waited ${Math.round(waitMs / 1000)} s. Try again when it has finished, or use another --out`);
    }
    // Synthesis is synchronous: block this thread between tries instead of spinning.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}

function readOwner(lock: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** Whether a process of that id runs (a lock or scratch owner that is gone can be cleaned up). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Repairs what a killed run left (see the module comment). Call under the lock. */
export function repairOutput(paths: OutputPaths): void {
  const freshComplete = existsSync(join(paths.fresh, COMPLETE));
  if (existsSync(paths.old)) {
    if (!existsSync(paths.out)) renameSync(freshComplete ? paths.fresh : paths.old, paths.out);
    if (existsSync(paths.old)) {
      moveKeptState(paths.old, paths.out);
      rmSync(paths.old, { recursive: true, force: true });
    }
  }
  rmSync(paths.fresh, { recursive: true, force: true });
  // Scratch directories of the earlier naming (`.<out>.tmp-<pid>`, `.<out>.old-<pid>`): the old output
  // may be in one if a run died between its renames.
  const parent = dirname(paths.out);
  const name = basename(paths.out);
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(`.${name}.old-`) && !existsSync(paths.out)) renameSync(join(parent, entry), paths.out);
    else if (entry.startsWith(`.${name}.tmp-`) || entry.startsWith(`.${name}.old-`)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

/** Puts the complete new output in `paths.fresh` in place of `paths.out` (see the module comment). */
export function swapOutput(paths: OutputPaths, fault: FaultHook = () => undefined): void {
  writeFileSync(join(paths.fresh, COMPLETE), '');
  fault('written');
  const hadOutput = existsSync(paths.out);
  if (hadOutput) renameSync(paths.out, paths.old);
  fault('old-moved-aside');
  try {
    renameSync(paths.fresh, paths.out);
  } catch (error) {
    if (hadOutput) renameSync(paths.old, paths.out);
    throw error;
  }
  fault('new-in-place');
  rmSync(join(paths.out, COMPLETE), { force: true });
  if (hadOutput) {
    // Errors here leave `.old` with the state still in it: the next run moves it (repairOutput).
    moveKeptState(paths.old, paths.out);
    fault('state-moved');
    rmSync(paths.old, { recursive: true, force: true });
  }
  fault('done');
}

/** Moves each stack's Terraform state files from `from` into `to` where the stack still exists there. */
function moveKeptState(from: string, to: string): void {
  const stacks = join(from, 'stacks');
  if (!existsSync(stacks)) return;
  for (const stack of readdirSync(stacks)) {
    for (const kept of KEPT) {
      const source = join(stacks, stack, kept);
      const target = join(to, 'stacks', stack, kept);
      if (existsSync(source) && existsSync(join(to, 'stacks', stack)) && !existsSync(target)) renameSync(source, target);
    }
  }
}

/** Stacks of a previous output that the new one no longer has (said after a synthesis). */
export function stacksIn(out: string): string[] {
  try {
    return Object.keys((JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { stacks: Record<string, unknown> }).stacks).sort();
  } catch {
    return [];
  }
}
