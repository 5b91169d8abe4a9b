import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalError, JOURNAL_FILE, JOURNAL_HEAD_FILE, runInputsDigest, type RunHeader } from '../switchover/journal';

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

describe('a journal edited unseen is refused, naming the line, before anything runs', () => {
  const file = () => join(dir, JOURNAL_FILE);
  const lines = () => readFileSync(file(), 'utf8').split('\n').filter(Boolean);
  const write = (rows: string[]) => writeFileSync(file(), rows.map((r) => `${r}\n`).join(''));
  beforeEach(() => {
    const journal = Journal.open(dir, header);
    journal.record({ step: 'check', status: 'done', at: 't1' });
    journal.record({ step: 'divergence:redis-cache@core', status: 'done', at: 't2', data: { divergentKeys: 50, file: 'x.jsonl' } });
    journal.record({ step: 'acknowledge-divergence', status: 'refused', at: 't3', message: 'site A holds writes' });
  });

  test('each line carries the digest of the one before; the header the digest of the run inputs', () => {
    const rows = lines().map((l) => JSON.parse(l) as { prev: string; digest: string });
    expect(rows[0]!.prev).toBe(runInputsDigest(header));
    rows.slice(1).forEach((row, i) => expect(row.prev).toBe(rows[i]!.digest));
    expect(readFileSync(join(dir, JOURNAL_HEAD_FILE), 'utf8').trim()).toBe(rows[3]!.digest);
  });

  test.each([
    ['a count set to 0', (rows: string[]) => rows.map((r, i) => (i === 2 ? r.replace('"divergentKeys":50', '"divergentKeys":0') : r)), `${JOURNAL_FILE}:3: the line does not match its digest`],
    ['a refusal turned into done', (rows: string[]) => rows.map((r, i) => (i === 3 ? r.replace('"status":"refused"', '"status":"done"') : r)), `${JOURNAL_FILE}:4: the line does not match its digest`],
    ['garbled inside a string', (rows: string[]) => rows.map((r, i) => (i === 1 ? r.replace('"check"', '"ch\u0000eck') : r)), `${JOURNAL_FILE}:2: not a journal line (garbled)`],
    ['two lines swapped', (rows: string[]) => [rows[0]!, rows[2]!, rows[1]!, rows[3]!], `${JOURNAL_FILE}:2: the line does not follow line 1`],
    ['a line removed from the middle', (rows: string[]) => [rows[0]!, rows[2]!, rows[3]!], `${JOURNAL_FILE}:2: the line does not follow line 1`],
    ['the last line removed', (rows: string[]) => rows.slice(0, 3), 'the journal ends at line 3, but journal.head names a line it no longer has'],
    ['the header edited to another run', (rows: string[]) => [rows[0]!.replace('"to":"B"', '"to":"A"'), ...rows.slice(1)], `${JOURNAL_FILE}:1: the line does not match its digest`],
  ])('%s', (_what, edit, message) => {
    write(edit(lines()));
    expect(() => Journal.open(dir, header)).toThrow(message);
  });

  test('the head file removed: refused, the journal could have been cut short', () => {
    rmSync(join(dir, JOURNAL_HEAD_FILE));
    expect(() => Journal.open(dir, header)).toThrow('journal.head is missing');
  });

  test('a kill between the append and the head move is resumed: the head follows the whole last line', () => {
    const before = lines();
    writeFileSync(join(dir, JOURNAL_HEAD_FILE), `${(JSON.parse(before[2]!) as { digest: string }).digest}\n`);
    expect(Journal.open(dir, header).last('acknowledge-divergence')?.status).toBe('refused');
    expect(readFileSync(join(dir, JOURNAL_HEAD_FILE), 'utf8').trim()).toBe((JSON.parse(before[3]!) as { digest: string }).digest);
  });

  test('a line cut short by a kill is dropped from the file, and the next line chains to the last whole one', () => {
    appendFileSync(file(), '{"type":"step","step":"promote');
    const journal = Journal.open(dir, header);
    journal.record({ step: 'promote:redis-cache@core', status: 'done', at: 't4' });
    expect(Journal.open(dir, header).isDone('promote:redis-cache@core')).toBe(true);
    expect(lines()).toHaveLength(5);
  });
});
