/**
 * Datacenter A and datacenter B as two Linux network namespaces, each holding the environment's own
 * middleware addresses (on its loopback interface, so they answer inside the namespace whatever happens
 * to the links), joined by a veth pair: the inter-datacenter link, which a drill cuts and restores.
 * The drill itself (the operator's seat) reaches each datacenter over its own management veth; losing a
 * datacenter cuts both its links. Addresses exist only inside the namespaces and on these veths.
 * `tearDown()` deletes both namespaces and every interface with them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Site } from '../../../model/topology';

const NAMESPACE: Record<Site, string> = { A: `hsa-dc-a-${process.pid}`, B: `hsa-dc-b-${process.pid}` };
/** Link and management networks (/30 each), inside the namespaces and on their veths only. */
const LINK = { A: '10.255.0.1', B: '10.255.0.2' };
const MANAGEMENT = { A: { here: '10.255.1.1', there: '10.255.1.2' }, B: { here: '10.255.2.1', there: '10.255.2.2' } };
const running = new Set<ChildProcess>();

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inSite(site: Site, ...args: string[]): void {
  ip('netns', 'exec', NAMESPACE[site], ...args);
}

export interface DatacenterAddresses {
  /** The environment's addresses of each site (middleware VIPs), by site. */
  readonly A: readonly string[];
  readonly B: readonly string[];
  /**
   * The address a site's connections to the other site leave from, when the datacenter network presents
   * a server at its own address (a dedicated pod IP); by default they leave from the link's address.
   */
  readonly egress?: Readonly<Record<Site, string>>;
}

/** The network namespace of a datacenter (for `ip netns exec`). */
export function namespaceOf(site: Site): string {
  return NAMESPACE[site];
}

/** Whether this machine can make network namespaces (root, iproute2). */
export function namespacesAvailable(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/**
 * Builds both datacenters. Each site's addresses are /32 on its loopback; the other site's networks are
 * routed over the link (by /16 of the addresses), the operator's seat over the management veth.
 */
export function buildTwoDatacenters(addresses: DatacenterAddresses): void {
  tearDown();
  const tag = String(process.pid % 100000);
  const dev = { link: { A: `la${tag}`, B: `lb${tag}` }, mgmt: { A: `ma${tag}`, B: `mb${tag}` }, seat: { A: `sa${tag}`, B: `sb${tag}` } };
  for (const site of ['A', 'B'] as const) {
    ip('netns', 'add', NAMESPACE[site]);
    inSite(site, 'ip', 'link', 'set', 'lo', 'up');
    for (const address of addresses[site]) inSite(site, 'ip', 'addr', 'add', `${address}/32`, 'dev', 'lo');
  }
  ip('link', 'add', dev.link.A, 'type', 'veth', 'peer', 'name', dev.link.B);
  for (const site of ['A', 'B'] as const) {
    ip('link', 'set', dev.link[site], 'netns', NAMESPACE[site]);
    inSite(site, 'ip', 'addr', 'add', `${LINK[site]}/30`, 'dev', dev.link[site]);
    inSite(site, 'ip', 'link', 'set', dev.link[site], 'up');
    // Management: the operator's seat (this process) to the site.
    ip('link', 'add', dev.seat[site], 'type', 'veth', 'peer', 'name', dev.mgmt[site]);
    ip('link', 'set', dev.mgmt[site], 'netns', NAMESPACE[site]);
    ip('addr', 'add', `${MANAGEMENT[site].here}/30`, 'dev', dev.seat[site]);
    ip('link', 'set', dev.seat[site], 'up');
    inSite(site, 'ip', 'addr', 'add', `${MANAGEMENT[site].there}/30`, 'dev', dev.mgmt[site]);
    inSite(site, 'ip', 'link', 'set', dev.mgmt[site], 'up');
  }
  links = { ...dev, addresses };
  for (const site of ['A', 'B'] as const) {
    linkRoutes(site);
    seatRoutes(site);
  }
}

let links: { link: Record<Site, string>; mgmt: Record<Site, string>; seat: Record<Site, string>; addresses: DatacenterAddresses } | undefined;

// Routes over an interface go when it goes down: bringing a link back up routes over it again.
function linkRoutes(site: Site): void {
  const other = site === 'A' ? 'B' : 'A';
  const source = links!.addresses.egress ? ['src', links!.addresses.egress[site]] : [];
  for (const network of networksOf(links!.addresses[other])) inSite(site, 'ip', 'route', 'replace', network, 'via', LINK[other], ...source);
}

function seatRoutes(site: Site): void {
  for (const network of networksOf(links!.addresses[site])) ip('route', 'replace', network, 'via', MANAGEMENT[site].there);
}

function networksOf(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map((a) => `${a.split('.').slice(0, 2).join('.')}.0.0/16`))];
}

/** Cuts the link between the datacenters (both ends down: no packet crosses). */
export function cutLink(): void {
  inSite('A', 'ip', 'link', 'set', links!.link.A, 'down');
  inSite('B', 'ip', 'link', 'set', links!.link.B, 'down');
}

export function restoreLink(): void {
  inSite('A', 'ip', 'link', 'set', links!.link.A, 'up');
  inSite('B', 'ip', 'link', 'set', links!.link.B, 'up');
  linkRoutes('A');
  linkRoutes('B');
}

/** The operator's seat loses (or regains) its way into one datacenter. */
export function setSeatReachable(site: Site, reachable: boolean): void {
  ip('link', 'set', links!.seat[site], reachable ? 'up' : 'down');
  inSite(site, 'ip', 'link', 'set', links!.mgmt[site], reachable ? 'up' : 'down');
  if (reachable) seatRoutes(site);
}

/** Starts a process inside a datacenter; it is killed by `tearDown()` if still running. */
export function spawnIn(site: Site, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', NAMESPACE[site], command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * A drill's writer process in a datacenter's namespace: a TypeScript script (run with tsx) that appends
 * one line per write to `log` until `stopFile` exists. `stop` creates the stop file and waits for the
 * process to exit; `lines` reads what it acknowledged so far.
 */
export function startWriterProcess(site: Site, script: string, log: string, stopFile: string, args: readonly string[]): { stop: () => Promise<void>; lines: () => string[] } {
  writeFileSync(log, '');
  const child = spawnIn(site, process.execPath, ['--require', require.resolve('tsx/cjs'), script, log, stopFile, ...args]);
  child.stdout?.resume();
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: async () => {
      writeFileSync(stopFile, '');
      await exited;
    },
    lines: () => readFileSync(log, 'utf8').split('\n'),
  };
}

/** Kills every process started here and deletes both namespaces (their interfaces go with them). */
export async function tearDownAll(): Promise<void> {
  const exits = [...running].map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
  tearDown();
}

function tearDown(): void {
  for (const site of ['A', 'B'] as const) {
    try {
      ip('netns', 'del', NAMESPACE[site]);
    } catch {
      // not there
    }
  }
  if (links) {
    for (const site of ['A', 'B'] as const) {
      try {
        ip('link', 'del', links.seat[site]);
      } catch {
        // deleted with its peer's namespace
      }
    }
  }
  links = undefined;
}
