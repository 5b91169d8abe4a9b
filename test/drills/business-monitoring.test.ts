/**
 * The business monitoring drill (业务实时监控): the real OpenTelemetry Collector (built from its Go modules at
 * the deployed image's version) runs with exactly the collector configuration synthesized for the demo
 * province's settlement application, and the figures service runs as exactly the synthesized file with
 * exactly its synthesized configuration. Only the places differ: the collector runs in a mount namespace
 * of its own where the event directory, its storage directory and /etc/hosts (the figures service's
 * cluster name to loopback) are this drill's directories, so its configuration is not edited.
 *
 * It writes N generated settlement lines (some repeated by the application, some the declaration does not
 * allow), with the file rotated twice, the collector killed (SIGKILL) while lines are written and started
 * again, and the figures service stopped and started again. The figures served must equal the count and
 * the sum of the distinct allowed events exactly, per day, business type and institution. Then the same
 * with the collector's configuration deliberately broken (`start_at: end`): the figures must differ.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { otelCollectorTool } from '../../business/otelcol-tool';
import { chinaDay, yuan } from '../../business/figures-server';
import type { JsonObject, StackJson } from '../../compliance/types';
import { loadEnvironment, PROJECT_ROOT, synthesizeStacks } from '../support/fixtures';

jest.setTimeout(15 * 60_000);

const work = mkdtempSync(join(tmpdir(), 'hsa-business-drill-'));
const processes: ChildProcess[] = [];
afterAll(() => {
  for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

// Exactly what the demo province's core zone at site A deploys.
const demo = loadEnvironment('demo');
const stack = synthesizeStacks([demo]).get('demo-core-a') as unknown as StackJson;
const configMap = (name: string) => Object.values(stack.resource!.kubernetes_config_map_v1!).find((c) => (c.metadata as JsonObject).name === name)!.data as Record<string, string>;
// Terraform writes `$${` as `${` (cdktf's escape of its template syntax): these are the files the pods get.
const unescape = (text: string) => text.replace(/\$\$\{/g, '${');
const collectorYaml = unescape(configMap('settlement-event-collector')['config.yaml']!);
const figuresScript = unescape(configMap('hsa-figures')['figures-server.js']!);
const figuresConfig = unescape(configMap('hsa-figures')['config.json']!);
const collector = parse(collectorYaml) as { receivers: { file_log: { include: string[] } }; extensions: { file_storage: { directory: string } }; exporters: { otlp_http: { endpoint: string } } };
const eventFile = collector.receivers.file_log.include[0]!;
const eventDir = eventFile.slice(0, eventFile.lastIndexOf('/'));
const storageDir = collector.extensions.file_storage.directory;
const endpoint = new URL(collector.exporters.otlp_http.endpoint);
const figuresPort = Number(endpoint.port);
const deployment = Object.values(stack.resource!.kubernetes_deployment_v1!).find((d) => (d.metadata as JsonObject).name === 'hsa-figures')!;
const figuresCommand = ((((deployment.spec as JsonObject).template as JsonObject).spec as JsonObject).container as JsonObject[])[0]!.command as string[];
/** The collector's arguments as the settlement pod runs it, its configuration file's path aside (the drill's copy). */
const settlement = Object.values(stack.resource!.kubernetes_deployment_v1!).find((d) => (d.metadata as JsonObject).name === 'settlement')!;
const [configArg, ...collectorArgs] = (((((settlement.spec as JsonObject).template as JsonObject).spec as JsonObject).container as JsonObject[]).find((c) => c.name === 'event-collector')!.args as string[]);
if (!configArg?.startsWith('--config=')) throw new Error(`the synthesized event collector's first argument is ${configArg}, not its --config`);

/** A generated settlement event, its line, and whether (and how) it counts. */
interface Generated {
  readonly line: string;
  readonly counts?: { readonly key: string; readonly fen: bigint; readonly id: string };
  readonly rejected?: 'amount' | 'type' | 'id';
}

function generate(count: number, seed: number, days: readonly string[]): Generated[] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const types = ['11', '14', '21', '41'];
  const institutions = ['H33010001', 'H33010002', 'H33010317', 'P33010588', 'P33019001'];
  const lines: Generated[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = `JS${seed}${String(i).padStart(8, '0')}`;
    const type = types[Math.floor(random() * types.length)]!;
    const institution = institutions[Math.floor(random() * institutions.length)]!;
    const day = days[Math.floor(random() * days.length)]!;
    // Amounts as applications write them: whole yuan, one or two decimals, as a number or a text.
    const fen = BigInt(Math.floor(random() * 5_000_000));
    const text = fen % 100n === 0n ? String(fen / 100n) : fen % 10n === 0n ? yuan(fen).slice(0, -1) : yuan(fen);
    const amount = random() < 0.5 ? text : Number(text);
    const event = { serialNo: id, bizType: type, orgCode: institution, amount, settleTime: `${day} ${String(8 + (i % 10)).padStart(2, '0')}:00:00`, patient: `P${i}` };
    lines.push({ line: JSON.stringify(event), counts: { key: `${day}\t${type}\t${institution}`, fen, id } });
    // Now and then the application writes the same event again (a retry): it counts once.
    if (i % 97 === 0) lines.push({ line: JSON.stringify(event), counts: { key: `${day}\t${type}\t${institution}`, fen, id } });
    // And lines its declaration does not allow: refused, counted as such.
    if (i % 211 === 0) lines.push({ line: JSON.stringify({ ...event, serialNo: `${id}-x`, amount: '12.345' }), rejected: 'amount' });
    if (i % 307 === 0) lines.push({ line: JSON.stringify({ ...event, serialNo: `${id}-y`, bizType: '99' }), rejected: 'type' });
    if (i % 401 === 0) lines.push({ line: 'settlement finished without an event record', rejected: 'id' });
  }
  return lines;
}

function expected(lines: readonly Generated[]): { figures: Map<string, { count: number; fen: bigint }>; rejected: Record<string, number>; events: number } {
  const figures = new Map<string, { count: number; fen: bigint }>();
  const seen = new Set<string>();
  const rejected: Record<string, number> = {};
  for (const line of lines) {
    if (line.rejected) rejected[line.rejected] = (rejected[line.rejected] ?? 0) + 1;
    if (!line.counts || seen.has(line.counts.id)) continue;
    seen.add(line.counts.id);
    const total = figures.get(line.counts.key) ?? { count: 0, fen: 0n };
    figures.set(line.counts.key, { count: total.count + 1, fen: total.fen + line.counts.fen });
  }
  return { figures, rejected, events: seen.size };
}

interface Served {
  readonly figures: Map<string, { count: number; amount: string }>;
  readonly events: number;
}

async function served(days: readonly string[]): Promise<Served> {
  const figures = new Map<string, { count: number; amount: string }>();
  let events = 0;
  for (const day of days) {
    const response = await fetch(`http://127.0.0.1:${figuresPort}/api/figures?day=${day}`);
    const body = (await response.json()) as { figures: { businessType: string; institution: string; count: number; amount: string }[] };
    for (const row of body.figures) {
      figures.set(`${day}\t${row.businessType}\t${row.institution}`, { count: row.count, amount: row.amount });
      events += row.count;
    }
  }
  return { figures, events };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

/** One run: its own event, storage and journal directories. */
class Run {
  readonly events: string;
  readonly storage: string;
  readonly journal: string;
  readonly app: string;
  private collectorProcess?: ChildProcess;
  private figuresProcess?: ChildProcess;

  constructor(
    readonly name: string,
    private readonly collectorBinary: string,
    private readonly configYaml: string,
  ) {
    const root = join(work, name);
    this.events = join(root, 'events');
    this.storage = join(root, 'storage');
    this.journal = join(root, 'journal');
    this.app = join(root, 'app');
    for (const dir of [this.events, this.storage, this.journal, this.app]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(this.app, 'figures-server.js'), figuresScript);
    writeFileSync(join(this.app, 'config.json'), figuresConfig);
    writeFileSync(join(root, 'collector.yaml'), this.configYaml);
    writeFileSync(join(root, 'hosts'), `127.0.0.1 localhost\n127.0.0.1 ${endpoint.hostname}\n`);
  }

  write(lines: readonly Generated[]): void {
    appendFileSync(join(this.events, eventFile.slice(eventDir.length + 1)), lines.map((l) => `${l.line}\n`).join(''));
  }

  /** Renames the file as a log rotation does (`<file>` to `<file>.1`, `.1` to `.2`); the application starts a new one. */
  rotate(): void {
    const base = join(this.events, eventFile.slice(eventDir.length + 1));
    if (existsSync(`${base}.1`)) renameSync(`${base}.1`, `${base}.2`);
    renameSync(base, `${base}.1`);
  }

  /** Starts the figures service and waits until it listens (its journal read back). */
  startFigures(): Promise<void> {
    // As the pod runs it: its command, in its working directory, with its configuration; only the journal's place differs.
    const [command, script, config, , port] = figuresCommand;
    const child = spawn(command === 'node' ? process.execPath : command!, [script!, config!, this.journal, port!], { cwd: this.app, stdio: ['ignore', 'pipe', 'pipe'] });
    processes.push(child);
    this.figuresProcess = child;
    return new Promise((resolve, reject) => {
      let errors = '';
      child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the figures service exited (${code}) before listening: ${errors}`)));
    });
  }

  /** Stops whatever of this run still runs. */
  async stopAll(): Promise<void> {
    await this.stop(this.collectorProcess, 'SIGKILL');
    await this.stop(this.figuresProcess, 'SIGKILL');
  }

  async stopFigures(): Promise<void> {
    await this.stop(this.figuresProcess, 'SIGTERM');
  }

  startCollector(): void {
    const root = join(work, this.name);
    // A mount namespace of its own: the synthesized paths are this run's directories, the cluster name of
    // the figures service is loopback. Nothing changes outside it.
    const script = [
      'set -e',
      `mount -t tmpfs hsa-drill /var/log && mkdir -p ${eventDir} && mount --bind ${this.events} ${eventDir}`,
      `mount -t tmpfs hsa-drill /var/lib && mkdir -p ${storageDir} && mount --bind ${this.storage} ${storageDir}`,
      `mount --bind ${join(root, 'hosts')} /etc/hosts`,
      `exec ${this.collectorBinary} --config=${join(root, 'collector.yaml')} ${collectorArgs.join(' ')}`,
    ].join('\n');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      if (code !== 0 && code !== null && signal === null) process.stderr.write(`collector (${this.name}) exited ${code}: ${output}\n`);
    });
    processes.push(child);
    this.collectorProcess = child;
  }

  async killCollector(): Promise<void> {
    await this.stop(this.collectorProcess, 'SIGKILL');
  }

  async stopCollector(): Promise<void> {
    await this.stop(this.collectorProcess, 'SIGTERM');
  }

  private async stop(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, seconds: number): Promise<{ value: T | undefined; seconds: number }> {
  const started = Date.now();
  let value = await read().catch(() => undefined);
  while (value === undefined || !done(value)) {
    if (Date.now() - started > seconds * 1000) return { value, seconds: -1 };
    await sleep(250);
    value = await read().catch(() => value);
  }
  void what;
  return { value, seconds: (Date.now() - started) / 1000 };
}

let collectorBinary = '';
beforeAll(async () => {
  const unshare = spawnSync('unshare', ['--mount', 'true']);
  if (unshare.status !== 0) throw new Error(`unshare --mount does not work here (${unshare.stderr.toString().trim()}): the drill needs root and mount namespaces`);
  if (!(await portFree(figuresPort))) throw new Error(`port ${figuresPort} (the figures service's, as synthesized) is in use on 127.0.0.1: stop what holds it`);
  const started = Date.now();
  collectorBinary = otelCollectorTool(join(PROJECT_ROOT, '.cache', 'tools'));
  process.stdout.write(`collector: ${collectorBinary} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
});

const N = 20_000;

test(`the figures served equal the count and the sum of ${N} settlement events exactly, through two rotations, a killed collector and a restarted figures service`, async () => {
  const today = chinaDay(new Date());
  const yesterday = chinaDay(new Date(Date.now() - 86400_000));
  const lines = generate(N, 7, [yesterday, today]);
  const want = expected(lines);
  const run = new Run('exact', collectorBinary, collectorYaml);
  const part = (from: number, to: number) => lines.slice(Math.floor((lines.length * from) / 100), Math.floor((lines.length * to) / 100));
  const chunks = async (slice: readonly Generated[], size: number) => {
    for (let i = 0; i < slice.length; i += size) {
      run.write(slice.slice(i, i + size));
      await sleep(20);
    }
  };

  // Lines written before anything runs: read from the beginning.
  run.write(part(0, 20));
  await run.startFigures();
  run.startCollector();
  try {
    await chunks(part(20, 40), 500);
    run.rotate();
    await chunks(part(40, 55), 500);
    // The collector is killed while the application writes; it starts again from its checkpoints.
    const writing = chunks(part(55, 70), 200);
    await sleep(150);
    await run.killCollector();
    await writing;
    run.startCollector();
    // The figures service stops and starts again: the collector retries, the journal is read back.
    await chunks(part(70, 80), 500);
    await run.stopFigures();
    await chunks(part(80, 90), 500);
    await run.startFigures();
    run.rotate();
    await chunks(part(90, 100), 500);
    const lastWritten = Date.now();

    const done = await until('all events counted', () => served([yesterday, today]), (s) => s.events >= want.events, 120);
    const complete = (Date.now() - lastWritten) / 1000;
    // Settled: nothing more arrives (a line counted twice would show now).
    await sleep(3000);
    const final = await served([yesterday, today]);
    // One comparison, so a run that never completes says how many events were served.
    expect({ completeWithin120s: done.seconds >= 0, events: final.events }).toEqual({ completeWithin120s: true, events: want.events });
    expect([...final.figures.keys()].sort()).toEqual([...want.figures.keys()].sort());
    for (const [key, figure] of want.figures) expect({ key, ...final.figures.get(key) }).toEqual({ key, count: figure.count, amount: yuan(figure.fen) });

    // What was refused is counted by reason and the repeats as duplicates. These are counters of what
    // arrived since the service started (Prometheus's counters), not of distinct lines: a refused line the
    // collector sends again after a restart counts again. The figures come from the journal.
    const metrics = await (await fetch(`http://127.0.0.1:${figuresPort}/metrics`)).text();
    for (const reason of Object.keys(want.rejected)) expect(metrics).toMatch(new RegExp(`hsa_business_rejected_total\\{application="settlement",reason="${reason}"\\} [1-9]\\d*\n`));
    expect(metrics).toMatch(/hsa_business_duplicates_total\{application="settlement"\} [1-9]\d*\n/);
    expect(metrics).toContain(`hsa_business_day_events{application="settlement",business_type="11",business_name="普通门诊结算",institution="H33010001",day="${today}"} ${want.figures.get(`${today}\t11\tH33010001`)!.count}`);
    expect(metrics).toContain(`hsa_business_today_events{application="settlement",business_type="11",business_name="普通门诊结算",institution="H33010001"} ${want.figures.get(`${today}\t11\tH33010001`)!.count}`);
    const totalFen = [...want.figures.values()].reduce((sum, f) => sum + f.fen, 0n);
    process.stdout.write(`business drill: ${lines.length} lines, ${want.events} distinct events (${yuan(totalFen)} yuan) in ${want.figures.size} figures, all served ${complete.toFixed(1)} s after the last line; refused ${JSON.stringify(want.rejected)}\n`);
    await run.stopCollector();
  } finally {
    await run.stopAll();
  }
});

test('with the collector deliberately misconfigured (start_at: end) the lines written before it started are missing, and the comparison says so', async () => {
  const today = chinaDay(new Date());
  const broken = collectorYaml.replace('start_at: beginning', 'start_at: end');
  expect(broken).not.toBe(collectorYaml);
  const lines = generate(2000, 11, [today]);
  const want = expected(lines);
  const run = new Run('broken', collectorBinary, broken);
  run.write(lines.slice(0, 1000));
  await run.startFigures();
  run.startCollector();
  try {
    await sleep(3000);
    run.write(lines.slice(1000));
    await sleep(8000);
    const got = await served([today]);
    expect(got.events).toBeLessThan(want.events);
    const differing = [...want.figures].filter(([key, figure]) => got.figures.get(key)?.count !== figure.count);
    expect(differing.length).toBeGreaterThan(0);
    process.stdout.write(`business drill, broken: ${got.events} of ${want.events} events served; ${differing.length} of ${want.figures.size} figures differ\n`);
  } finally {
    await run.stopAll();
  }
});
