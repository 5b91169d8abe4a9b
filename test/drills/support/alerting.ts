/**
 * The alerting half of the live alerting drills (#27): a real Prometheus per site with exactly the rules
 * synthesized into its unit's Prometheus release and one pair's synthesized scrape job, a real
 * Alertmanager with exactly the synthesized configuration, and webhook receivers on loopback recording
 * what arrives and when. The pair's exporters are the drill's own business (Redis, the database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { alertmanagerTool } from '../../../conformance/alertmanager';
import { EVALUATION_INTERVAL_SECONDS, RECEIVER_SECRETS_DIR, SCRAPE_INTERVAL_SECONDS } from '../../../model/alertmanager-config';
import type { Site } from '../../../model/topology';
import { buildPlatformApp } from '../../../stacks/platform-app';
import { terraformLiteralText } from '../../../synthesized/terraform-literal';
import { sleep, waitFor } from './timing';

export interface Notification {
  readonly receivedAt: number;
  readonly receiver: string;
  readonly status: string;
  readonly alerts: readonly { readonly status: string; readonly labels: Record<string, string>; readonly annotations: Record<string, string> }[];
}

/** The webhook receivers of every team, on loopback: what Alertmanager posts, with when it arrived. */
export class Receivers {
  readonly received: Notification[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receivers> {
    let self: Receivers | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'receivedAt' | 'receiver'>;
        self!.received.push({ receivedAt: Date.now(), receiver: request.url!.slice(1), status: body.status, alerts: body.alerts });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new Receivers(server);
    return self;
  }

  /** The receiver URL of a team (or `default`). */
  url(team: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${team}`;
  }

  /** The first notification after `since` to `receiver` naming the alert of the pair at the site in the given status. */
  find(since: number, receiver: string, pair: string, alert: string, site: Site, status: 'firing' | 'resolved'): Notification | undefined {
    return this.received.find((n) => n.receivedAt >= since && n.receiver === receiver && n.alerts.some((a) => a.labels.alertname === alert && a.labels.hsa_site === site && a.labels.hsa_pair === pair && a.status === status));
  }

  /**
   * Waits up to `bound` seconds from `since` for the alert of the pair at the site to reach `receiver`:
   * the seconds it took and the notification, or an error naming what did not arrive.
   */
  async arrives(since: number, bound: number, receiver: string, pair: string, alert: string, site: Site, status: 'firing' | 'resolved' = 'firing'): Promise<{ seconds: number; notification: Notification }> {
    const seconds = await arrival(since, bound, () => this.find(since, receiver, pair, alert, site, status));
    if (seconds === undefined) throw new Error(`${alert} (${status}) of ${pair} at site ${site} did not reach the ${receiver} receiver within ${bound} s`);
    return { seconds, notification: this.find(since, receiver, pair, alert, site, status)! };
  }

  /** The alert itself inside a notification `find` returned. */
  static alert(notification: Notification, alert: string): Notification['alerts'][number] {
    return notification.alerts.find((a) => a.labels.alertname === alert)!;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A free loopback port (taken and released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits up to `seconds` for a notification; the seconds it took from `since`, or undefined. */
export async function arrival(since: number, seconds: number, find: () => Notification | undefined): Promise<number | undefined> {
  const deadline = since + seconds * 1000;
  while (Date.now() < deadline) {
    const found = find();
    if (found) return (found.receivedAt - since) / 1000;
    await sleep(250);
  }
  return undefined;
}

/** A scrape job as the site's Prometheus release is given it: fixed targets, or a Service's addresses from DNS. */
interface SynthesizedScrapeJob {
  readonly enabled: boolean;
  readonly static_configs?: readonly { readonly targets: readonly string[]; readonly labels: Record<string, string> }[];
  readonly dns_sd_configs?: readonly { readonly names: readonly string[]; readonly type: string; readonly port: number }[];
  readonly relabel_configs?: readonly Record<string, unknown>[];
}

/** What the site's Prometheus release is given (prometheus-community/prometheus values), as synthesized. */
export interface MonitoringValues {
  readonly scrapeConfigs: Record<string, SynthesizedScrapeJob>;
  readonly serverFiles: { readonly 'alerting_rules.yml': unknown };
  readonly alertmanager: { readonly config: Record<string, unknown> };
}

/** A synthesized stack, as the drills read it. */
export interface DrillStack {
  readonly resource: {
    readonly helm_release?: Record<string, { readonly chart: string; readonly values: string[] }>;
    readonly kubernetes_manifest?: Record<string, { readonly manifest: { readonly kind: string } & Record<string, unknown> }>;
    readonly kubernetes_config_map_v1?: Record<string, { readonly metadata: { readonly name?: string }; readonly data: Record<string, string> }>;
  };
}

/** Synthesizes the environment with a site active and reads every stack (Terraform's `$${` escapes undone), by name. */
export function synthesizedStacks(outdir: string, loaded: Parameters<typeof buildPlatformApp>[1], activeSite: Site): Map<string, DrillStack> {
  buildPlatformApp(outdir, loaded, { activeSite }).synth();
  const stacks = new Map<string, DrillStack>();
  for (const stack of readdirSync(join(outdir, 'stacks'))) stacks.set(stack, JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'))) as DrillStack);
  return stacks;
}

/** Each stack's monitoring values (its prometheus release), by stack name. */
export function monitoringValuesOf(stacks: Map<string, DrillStack>): Map<string, MonitoringValues> {
  const monitoring = new Map<string, MonitoringValues>();
  for (const [name, stack] of stacks) {
    const prometheus = Object.values(stack.resource.helm_release ?? {}).find((r) => r.chart === 'prometheus');
    if (prometheus) monitoring.set(name, JSON.parse(prometheus.values[0]!) as MonitoringValues);
  }
  return monitoring;
}

/** One scrape job of a watched pair: its name in the synthesized values, and where the drill's exporter answers at each site. */
export interface WatchedJob {
  /** The scrape job's name in the synthesized values, e.g. `redis`, `database`, `kafka-brokers`. */
  readonly job: string;
  readonly port: number;
  /**
   * Where the drill's exporter of each site answers (in the cluster, the pod's or Service's name); a
   * site without one has no such job (MirrorMaker 2 runs only at the standby site).
   */
  readonly address: Partial<Record<Site, string>>;
}

/** One pair watched by both sites' monitoring of a zone: its scrape jobs and its exporters' drill addresses. */
export interface WatchedPair {
  /** e.g. `demo-core`: the stacks `<prefix>-a` and `<prefix>-b`. */
  readonly stackPrefix: string;
  /** The pair's `hsa_pair` label, e.g. `redis-cache@core`. */
  readonly pair: string;
  readonly jobs: readonly WatchedJob[];
  /**
   * The Secrets the receivers' URLs are kept in (`webhookFromSecret`), by name, each key's content: what
   * the province creates in `hsa-monitoring`, seen by Alertmanager where the pod mounts them.
   */
  readonly receiverSecrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * A synthesized scrape job with the drill's exporter address as its one target. A job with fixed targets
 * keeps the pair's labels as synthesized; a job that finds a Service's addresses by DNS keeps its
 * relabelling as synthesized, the target carrying the DNS name it would have been found by.
 */
function drillScrapeJob(stack: string, name: string, synthesized: SynthesizedScrapeJob | undefined, pair: string, target: string, port: number): Record<string, unknown> {
  if (!synthesized?.enabled) throw new Error(`${stack} has no enabled scrape job ${name}`);
  if (synthesized.static_configs) {
    const job = synthesized.static_configs.find((c) => c.labels.hsa_pair === pair);
    if (!job) throw new Error(`the synthesized ${name} job of ${stack} has no target of ${pair}`);
    if (!job.targets.every((t) => t.endsWith(`:${port}`))) throw new Error(`the synthesized ${name} job of ${stack} does not scrape port ${port}: ${job.targets.join(', ')}`);
    return { job_name: name, static_configs: [{ targets: [`${target}:${port}`], labels: job.labels }] };
  }
  const [dns, ...more] = synthesized.dns_sd_configs ?? [];
  if (!dns || more.length > 0 || dns.names.length !== 1) throw new Error(`the synthesized ${name} job of ${stack} has neither fixed targets nor one DNS name`);
  if (dns.port !== port) throw new Error(`the synthesized ${name} job of ${stack} scrapes port ${dns.port}, the exporter answers on ${port}`);
  return { job_name: name, static_configs: [{ targets: [`${target}:${port}`], labels: { __meta_dns_name: dns.names[0]! } }], relabel_configs: synthesized.relabel_configs ?? [] };
}

/** The directory above RECEIVER_SECRETS_DIR, which a private mount namespace covers with its own. */
const ALERTMANAGER_ETC = RECEIVER_SECRETS_DIR.slice(0, RECEIVER_SECRETS_DIR.lastIndexOf('/'));

export class Monitoring {
  private readonly processes: ChildProcess[] = [];
  readonly prometheusPort: Record<Site, number> = { A: 0, B: 0 };
  /** Alertmanager at the deployed version, built from its Go module (conformance/alertmanager.ts). */
  private readonly alertmanager: string;
  /** Whether this drill made the (empty) mount point above the receivers' Secrets, to remove it after. */
  private madeMountPoint = false;

  constructor(
    private readonly work: string,
    readonly watched: WatchedPair,
    toolsDir: string,
  ) {
    this.alertmanager = alertmanagerTool(toolsDir);
  }

  /**
   * Alertmanager's command: as it is, or, when receivers keep their URLs in Secrets, in a private mount
   * namespace where each Secret is a directory of files under RECEIVER_SECRETS_DIR, as the pod mounts it.
   */
  private alertmanagerCommand(args: readonly string[]): [string, string[]] {
    const secrets = Object.entries(this.watched.receiverSecrets ?? {});
    if (secrets.length === 0) return [this.alertmanager, [...args]];
    if (!existsSync(ALERTMANAGER_ETC)) {
      mkdirSync(ALERTMANAGER_ETC);
      this.madeMountPoint = true;
    }
    const mounts = secrets.flatMap(([secret, keys]) => {
      const dir = join(this.work, 'receiver-secrets', secret);
      mkdirSync(dir, { recursive: true });
      for (const [key, content] of Object.entries(keys)) writeFileSync(join(dir, key), content);
      return [`mkdir -p ${RECEIVER_SECRETS_DIR}/${secret}`, `mount --bind ${dir} ${RECEIVER_SECRETS_DIR}/${secret}`];
    });
    const script = ['set -e', `mount -t tmpfs tmpfs ${ALERTMANAGER_ETC}`, ...mounts, `exec ${this.alertmanager} ${args.map((a) => `'${a}'`).join(' ')}`].join('\n');
    return ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script]];
  }

  private start(name: string, command: string, args: readonly string[]): void {
    const log = join(this.work, `${name}.log`);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    child.stderr?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    this.processes.push(child);
  }

  /**
   * Alertmanager with exactly the synthesized configuration (the chart writes `alertmanager.config` without
   * its `enabled` key), then each site's Prometheus with exactly its unit's synthesized rules and the
   * synthesized scrape jobs of the pair, each with the drill's address of its exporter on the synthesized port.
   */
  async startAll(values: Map<string, MonitoringValues>): Promise<void> {
    const { stackPrefix, pair, jobs } = this.watched;
    const alertmanagerPort = await freePort();
    const alertmanagerConfig = join(this.work, 'alertmanager.yml');
    const { enabled: _enabled, ...config } = values.get(`${stackPrefix}-a`)!.alertmanager.config;
    writeFileSync(alertmanagerConfig, stringify(config, { lineWidth: 0 }));
    mkdirSync(join(this.work, 'alertmanager-data'), { recursive: true });
    this.start('alertmanager', ...this.alertmanagerCommand([`--config.file=${alertmanagerConfig}`, `--storage.path=${join(this.work, 'alertmanager-data')}`, `--web.listen-address=127.0.0.1:${alertmanagerPort}`, '--cluster.listen-address=']));
    const jobsAt = (site: Site) => jobs.filter((j) => j.address[site] !== undefined);
    for (const site of ['A', 'B'] as const) {
      const stack = `${stackPrefix}-${site.toLowerCase()}`;
      const synthesized = values.get(stack)!;
      const rules = join(this.work, `${stack}.rules.yml`);
      writeFileSync(rules, stringify(synthesized.serverFiles['alerting_rules.yml'], { lineWidth: 0 }));
      const prometheusConfig = join(this.work, `prometheus-${site}.yml`);
      writeFileSync(
        prometheusConfig,
        stringify({
          global: { scrape_interval: `${SCRAPE_INTERVAL_SECONDS}s`, evaluation_interval: `${EVALUATION_INTERVAL_SECONDS}s` },
          rule_files: [rules],
          alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
          scrape_configs: jobsAt(site).map((j) => drillScrapeJob(stack, j.job, synthesized.scrapeConfigs[j.job], pair, j.address[site]!, j.port)),
        }),
      );
      this.prometheusPort[site] = await freePort();
      mkdirSync(join(this.work, `prometheus-${site}-data`), { recursive: true });
      this.start(`prometheus-${site}`, 'prometheus', [`--config.file=${prometheusConfig}`, `--storage.tsdb.path=${join(this.work, `prometheus-${site}-data`)}`, `--web.listen-address=127.0.0.1:${this.prometheusPort[site]}`]);
    }
    for (const site of ['A', 'B'] as const) {
      const expected = jobsAt(site).length;
      await waitFor(async () => (await this.query(site, `up{hsa_pair="${pair}", hsa_site="${site}"} == 1`)).length === expected, 90, `Prometheus of site ${site} did not scrape the pair's ${expected} exporters with its labels (${this.work}/prometheus-${site}.log)`);
    }
  }

  /** An instant query at a site's Prometheus: the result vector. */
  async query(site: Site, expression: string): Promise<unknown[]> {
    const response = await fetch(`http://127.0.0.1:${this.prometheusPort[site]}/api/v1/query?query=${encodeURIComponent(expression)}`).catch(() => undefined);
    if (!response?.ok) return [];
    return ((await response.json()) as { data: { result: unknown[] } }).data.result;
  }

  /** The pair's alerts firing at a site's Prometheus, by name (the unit's rule file watches other pairs too). */
  async firing(site: Site): Promise<string[]> {
    const response = await fetch(`http://127.0.0.1:${this.prometheusPort[site]}/api/v1/alerts`).catch(() => undefined);
    if (!response?.ok) return [];
    return ((await response.json()) as { data: { alerts: { state: string; labels: Record<string, string> }[] } }).data.alerts.filter((a) => a.state === 'firing' && a.labels.hsa_pair === this.watched.pair).map((a) => a.labels.alertname!);
  }

  async stopAll(): Promise<void> {
    const exits = this.processes.map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
    for (const child of this.processes) child.kill('SIGKILL');
    await Promise.all(exits);
    this.processes.length = 0;
    if (this.madeMountPoint) {
      rmdirSync(ALERTMANAGER_ETC);
      this.madeMountPoint = false;
    }
  }
}
