/**
 * The switchover journal: an append-only JSON-lines file in a directory the operator names. The first
 * line says what the run is (province, direction, site lost or not) and carries the digest of the run's
 * inputs; every step appends one line when it finishes, fsynced before the next step starts. An
 * interrupted run started again with the same journal resumes at the first step without a `done` line,
 * and says which steps it takes as done. It is also the audit record of the switchover (GB/T 20988-2025
 * takeover and fallback).
 *
 * Tamper evidence: each line carries `prev` (the digest of the line before; the header the digest of
 * the run's inputs) and `digest` (SHA-256 of the line without it), and `journal.head` holds the digest
 * of the last line, replaced atomically after each append. A line edited, garbled, removed, reordered or
 * cut off at the end makes the journal refused, naming the line, before anything is executed. The chain
 * has no secret: whoever rewrites every digest after an edit is not caught here, which is why a rerun
 * re-measures the servers before it acts and never takes from the journal what they hold.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Site } from '../model/topology';

export const JOURNAL_FILE = 'journal.jsonl';
/** The digest of the journal's last line, so that lines cut off at the end are noticed. */
export const JOURNAL_HEAD_FILE = 'journal.head';
/** Format of the lines; a journal of another format is refused, never half-understood. */
export const JOURNAL_FORMAT = 2;

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

/**
 * `started`: the step measured what it needs and is about to act (a rerun after a kill reuses the
 * measurement instead of measuring what its own action changed).
 */
export type StepStatus = 'started' | 'done' | 'waiting' | 'refused' | 'failed';

export interface StepRecord {
  readonly step: string;
  readonly status: StepStatus;
  readonly at: string;
  /** What the step measured or decided (offsets, counts, file names, acknowledgements). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

type Content = ({ readonly type: 'run'; readonly format: number; readonly startedAt: string; readonly inputs: string } & RunHeader) | ({ readonly type: 'step' } & StepRecord);
type Line = Content & { readonly prev: string; readonly digest: string };

export class JournalError extends Error {}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The digest of the run's inputs, which the header's `prev` carries. */
export function runInputsDigest(header: RunHeader): string {
  return sha256(JSON.stringify({ envName: header.envName, from: header.from, to: header.to, siteLost: header.siteLost ?? null, pairs: header.pairs }));
}

/** The digest a line carries: of everything in it but the digest itself. */
function lineDigest(line: Content & { readonly prev: string }): string {
  return sha256(JSON.stringify(line));
}

export class Journal {
  private constructor(
    readonly directory: string,
    readonly header: RunHeader & { readonly startedAt: string },
    private readonly steps: StepRecord[],
    private lastDigest: string,
  ) {}

  /** Opens the journal in `directory`: a new one, or the one of the same run to resume. */
  static open(directory: string, header: RunHeader, now: () => Date = () => new Date()): Journal {
    mkdirSync(directory, { recursive: true });
    const file = join(directory, JOURNAL_FILE);
    const inputs = runInputsDigest(header);
    if (!existsSync(file)) {
      const journal = new Journal(directory, { ...header, startedAt: now().toISOString() }, [], inputs);
      journal.append({ type: 'run', format: JOURNAL_FORMAT, startedAt: journal.header.startedAt, ...header, inputs });
      return journal;
    }
    const lines = readVerified(directory);
    const first = lines[0]!;
    if (first.type !== 'run') throw new JournalError(`${file}:1: not a run header; use an empty directory for a new switchover`);
    if (first.inputs !== inputs) {
      throw new JournalError(
        `${file} belongs to another run (${first.envName} ${first.from} -> ${first.to}${first.siteLost ? `, site ${first.siteLost} lost` : ''}); resume it with the same options, or use an empty directory for a new switchover`,
      );
    }
    const { envName, from, to, siteLost, pairs, startedAt } = first;
    return new Journal(directory, { envName, from, to, ...(siteLost ? { siteLost } : {}), pairs, startedAt }, lines.flatMap((l) => (l.type === 'step' ? [stepOf(l)] : [])), lines[lines.length - 1]!.digest);
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
    this.append({ type: 'step', ...record });
    this.steps.push(record);
  }

  /** Appends one line chained to the last, fsynced, then moves the head to it. */
  private append(content: Content): void {
    const chained = { ...content, prev: this.lastDigest };
    const digest = lineDigest(chained);
    const fd = openSync(join(this.directory, JOURNAL_FILE), 'a');
    try {
      writeSync(fd, `${JSON.stringify({ ...chained, digest })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    writeHead(this.directory, digest);
    this.lastDigest = digest;
  }
}

function stepOf(line: Line): StepRecord {
  if (line.type !== 'step') throw new JournalError('not a step');
  const { step, status, at, data, message } = line;
  return { step, status, at, ...(data ? { data } : {}), ...(message !== undefined ? { message } : {}) };
}

/** Replaces the head file whole (write aside, fsync, rename). */
function writeHead(directory: string, digest: string): void {
  const scratch = join(directory, `${JOURNAL_HEAD_FILE}.${process.pid}.tmp`);
  const fd = openSync(scratch, 'w');
  try {
    writeSync(fd, `${digest}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(scratch, join(directory, JOURNAL_HEAD_FILE));
}

/**
 * Reads the journal and checks every line's digest and link, and the last line against the head. A
 * kill can leave two things, both accepted: a last line cut short (its append never finished: the line
 * is dropped from the file), or a whole last line the head does not name yet (killed between the append
 * and the head's move: the head is moved). Anything else is refused, naming the line.
 */
function readVerified(directory: string): Line[] {
  const file = join(directory, JOURNAL_FILE);
  const text = readFileSync(file, 'utf8');
  const head = existsSync(join(directory, JOURNAL_HEAD_FILE)) ? readFileSync(join(directory, JOURNAL_HEAD_FILE), 'utf8').trim() : undefined;
  const raw = text.split('\n');
  const cutShort = raw[raw.length - 1] !== '' ? raw.pop() : undefined;
  if (raw[raw.length - 1] === '') raw.pop();
  const lines: Line[] = [];
  raw.forEach((textLine, i) => {
    const where = `${file}:${i + 1}`;
    let line: Line;
    try {
      line = JSON.parse(textLine) as Line;
    } catch {
      throw new JournalError(`${where}: not a journal line (garbled); the journal is append-only and must not be edited: nothing was executed`);
    }
    if (typeof line !== 'object' || line === null || typeof line.digest !== 'string' || typeof line.prev !== 'string') {
      throw new JournalError(`${where}: the line carries no digest: ${i === 0 ? `a journal of an older format (before ${JOURNAL_FORMAT}); finish it with that version, or start again in an empty directory` : 'it was not written by the switchover'}`);
    }
    const { digest, ...rest } = line;
    if (lineDigest(rest) !== digest) throw new JournalError(`${where}: the line does not match its digest: it was edited after it was written; nothing was executed`);
    const expectedPrev = i === 0 ? (line.type === 'run' ? runInputsDigest(line) : '') : lines[i - 1]!.digest;
    if (line.prev !== expectedPrev) {
      throw new JournalError(
        i === 0 ? `${where}: the header does not match the run's inputs it names: it was edited` : `${where}: the line does not follow line ${i} (lines removed, inserted or reordered); nothing was executed`,
      );
    }
    if (i === 0 && (line.type !== 'run' || line.format !== JOURNAL_FORMAT)) throw new JournalError(`${where}: not a run header of journal format ${JOURNAL_FORMAT}`);
    lines.push(line);
  });
  if (lines.length === 0) throw new JournalError(`${file}: empty; use an empty directory for a new switchover`);
  const last = lines[lines.length - 1]!.digest;
  const beforeLast = lines.length > 1 ? lines[lines.length - 2]!.digest : undefined;
  if (head === undefined) throw new JournalError(`${join(directory, JOURNAL_HEAD_FILE)} is missing: the journal cannot show it was not cut short; nothing was executed`);
  if (head !== last) {
    if (head === beforeLast) writeHead(directory, last);
    else {
      const at = lines.findIndex((l) => l.digest === head);
      throw new JournalError(
        at >= 0
          ? `${file}: lines after line ${at + 1} are not the ones the head names (${lines.length - at - 1} line(s) after it, appended by another hand?): nothing was executed`
          : `${file}: the journal ends at line ${lines.length}, but ${JOURNAL_HEAD_FILE} names a line it no longer has: lines were removed from the end; nothing was executed`,
      );
    }
  }
  if (cutShort !== undefined) truncateSync(file, Buffer.byteLength(text, 'utf8') - Buffer.byteLength(cutShort, 'utf8'));
  return lines;
}

/** What an acknowledgement names of a saved file: its SHA-256 and its number of lines (records). */
export interface SavedFile {
  readonly file: string;
  readonly sha256: string;
  readonly lines: number;
}

export function savedFile(file: string): SavedFile {
  const bytes = readFileSync(file);
  let lines = 0;
  for (const byte of bytes) if (byte === 0x0a) lines++;
  return { file, sha256: createHash('sha256').update(bytes).digest('hex'), lines };
}

/** Writes (`w`) or appends (`a`) lines to a file and fsyncs it, before the journal names the file. */
export function writeLinesDurably(file: string, lines: readonly string[], flag: 'w' | 'a'): void {
  const fd = openSync(file, flag);
  try {
    for (const line of lines) writeSync(fd, `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
