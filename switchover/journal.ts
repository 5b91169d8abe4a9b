/**
 * The switchover journal: an append-only JSON-lines file in a directory the operator names. The first
 * line says what the run is (province, direction, site lost or not); every step appends one line when it
 * finishes, fsynced before the next step starts. An interrupted run started again with the same
 * journal resumes at the first step without a `done` line, and says which steps it takes as done. It
 * is also the audit record of the switchover (GB/T 20988-2025 takeover and fallback).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Site } from '../model/topology';

export const JOURNAL_FILE = 'journal.jsonl';

/** What a run is: a journal only resumes the same run. */
export interface RunHeader {
  readonly envName: string;
  readonly from: Site;
  readonly to: Site;
  /** The site given up for lost (`--site-lost`), if any. */
  readonly siteLost?: Site;
  /** The DR pairs the run switches, `<role>@<zone>`. */
  readonly pairs: readonly string[];
}

export type StepStatus = 'done' | 'waiting' | 'refused' | 'failed';

export interface StepRecord {
  readonly step: string;
  readonly status: StepStatus;
  readonly at: string;
  /** What the step measured or decided (offsets, counts, file names, acknowledgements). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

type Line = ({ readonly type: 'run'; readonly startedAt: string } & RunHeader) | ({ readonly type: 'step' } & StepRecord);

export class JournalError extends Error {}

export class Journal {
  private constructor(
    readonly directory: string,
    readonly header: RunHeader & { readonly startedAt: string },
    private readonly steps: StepRecord[],
  ) {}

  /** Opens the journal in `directory`: a new one, or the one of the same run to resume. */
  static open(directory: string, header: RunHeader, now: () => Date = () => new Date()): Journal {
    mkdirSync(directory, { recursive: true });
    const file = join(directory, JOURNAL_FILE);
    if (!existsSync(file)) {
      const first = { type: 'run' as const, startedAt: now().toISOString(), ...header };
      append(file, first);
      return new Journal(directory, first, []);
    }
    const lines = readLines(file);
    const first = lines[0];
    if (!first || first.type !== 'run') throw new JournalError(`${file}: the first line is not a run header; use an empty directory for a new switchover`);
    const same = first.envName === header.envName && first.from === header.from && first.to === header.to && first.siteLost === header.siteLost && first.pairs.join(',') === header.pairs.join(',');
    if (!same) {
      throw new JournalError(
        `${file} belongs to another run (${first.envName} ${first.from} -> ${first.to}${first.siteLost ? `, site ${first.siteLost} lost` : ''}); resume it with the same options, or use an empty directory for a new switchover`,
      );
    }
    return new Journal(directory, first, lines.filter((l): l is { type: 'step' } & StepRecord => l.type === 'step'));
  }

  /** The last record of a step, if it has one. */
  last(step: string): StepRecord | undefined {
    for (let i = this.steps.length - 1; i >= 0; i--) if (this.steps[i]!.step === step) return this.steps[i];
    return undefined;
  }

  isDone(step: string): boolean {
    return this.last(step)?.status === 'done';
  }

  record(record: StepRecord): void {
    append(join(this.directory, JOURNAL_FILE), { type: 'step', ...record });
    this.steps.push(record);
  }
}

function append(file: string, line: Line): void {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${JSON.stringify(line)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readLines(file: string): Line[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // A run killed while appending leaves a partial last line: everything before it stands.
  if (lines[lines.length - 1] !== '') lines.pop();
  return lines
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        throw new JournalError(`${file}:${i + 1}: not a journal line; the journal is append-only and must not be edited`);
      }
    });
}
