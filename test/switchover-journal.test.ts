import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalError, JOURNAL_FILE, type RunHeader } from '../switchover/journal';

const header: RunHeader = { envName: 'demo', from: 'A', to: 'B', siteLost: 'A', pairs: ['redis-cache@core'] };
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hsa-journal-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a run started again on its journal resumes: what was done stays done, in the order written', () => {
  const first = Journal.open(dir, header);
  first.record({ step: 'check', status: 'done', at: 't1' });
  first.record({ step: 'fence:redis-cache@core', status: 'waiting', at: 't2', message: 'site A does not answer' });
  const again = Journal.open(dir, header);
  expect(again.isDone('check')).toBe(true);
  expect(again.isDone('fence:redis-cache@core')).toBe(false);
  expect(again.last('fence:redis-cache@core')?.status).toBe('waiting');
  expect(again.header.startedAt).toBe(first.header.startedAt);
  again.record({ step: 'fence:redis-cache@core', status: 'done', at: 't3' });
  // Append-only: the waiting line is still there, followed by the done line.
  const lines = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status?: string });
  expect(lines.map((l) => l.status)).toEqual([undefined, 'done', 'waiting', 'done']);
});

test('fails to resume another run\'s journal, naming the run it belongs to', () => {
  Journal.open(dir, header);
  expect(() => Journal.open(dir, { ...header, to: 'A', from: 'B', siteLost: 'B' })).toThrow(JournalError);
  expect(() => Journal.open(dir, { ...header, siteLost: undefined } as RunHeader)).toThrow('belongs to another run (demo A -> B, site A lost)');
});

test('a line cut short by a kill is ignored; a line edited by hand is refused', () => {
  const journal = Journal.open(dir, header);
  journal.record({ step: 'check', status: 'done', at: 't1' });
  appendFileSync(join(dir, JOURNAL_FILE), '{"type":"step","step":"promote');
  expect(Journal.open(dir, header).isDone('check')).toBe(true);
  appendFileSync(join(dir, JOURNAL_FILE), '\nnot json\n');
  expect(() => Journal.open(dir, header)).toThrow('not a journal line');
});
