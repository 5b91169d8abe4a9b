/**
 * DNS controller drill: the real CoreDNS (built from the Go module proxy at the version of the image the
 * toolkit deploys, `go install github.com/coredns/coredns@v1.12.2`; .ci/run installs it) serves each
 * zone's synthesized DNS controller values: the Corefile is assembled from `servers` as the coredns chart
 * 1.43.0's configmap template assembles it, and the zone file from `zoneFiles` (the chart mounts them in
 * /etc/coredns; the drill's only change is that directory). Each zone's controller runs in its own
 * network namespace at its own address (`dnsVip`) on port 53, as in the cluster. The zone files are
 * also checked with bind's named-checkzone. Every name the stacks deploy is asked over UDP and over TCP.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { resolveProvince } from '../../model/platform-model';
import type { Site, Zone } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { sleep } from './support/timing';
import { terraformLiteralText } from '../../synthesized/terraform-literal';

jest.setTimeout(120_000);

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const COREDNS = process.env.HSA_COREDNS ?? join(process.env.GOBIN ?? join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin'), 'coredns');
const work = mkdtempSync(join(tmpdir(), 'dns-drill-'));
const namespaces: string[] = [];
const servers: ChildProcess[] = [];

interface ControllerValues {
  servers: { zones: { zone: string; use_tcp?: boolean; scheme?: string }[]; port: number; plugins: { name: string; parameters?: string; configBlock?: string }[] }[];
  zoneFiles: { filename: string; domain: string; contents: string }[];
  service: { loadBalancerIP: string };
}

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

async function stopAll(): Promise<void> {
  const exits = servers.splice(0).map((s) => new Promise<void>((resolve) => (s.exitCode !== null || s.signalCode !== null ? resolve() : (s.once('exit', () => resolve()), s.kill('SIGTERM')))));
  await Promise.all(exits);
  for (const ns of namespaces.splice(0)) execFileSync('ip', ['netns', 'del', ns]);
}

/** The DNS controller values of every demo stack. */
function synthesizedControllers(activeSite: Site): Map<string, ControllerValues> {
  const outdir = mkdtempSync(join(work, `synth-${activeSite}-`));
  buildPlatformApp(outdir, loadEnvironments(ENVIRONMENTS, ['demo']), { activeSite }).synth();
  const controllers = new Map<string, ControllerValues>();
  for (const stack of ['demo-public-a', 'demo-public-b', 'demo-core-a', 'demo-core-b']) {
    const json = JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'))) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
    const release = Object.values(json.resource.helm_release).find((r) => r.name === 'dns-controller')!;
    controllers.set(stack, JSON.parse(release.values[0]!) as ControllerValues);
  }
  return controllers;
}

/** The Corefile the coredns chart 1.43.0 writes from `servers` (templates/configmap.yaml). */
function corefileOf(values: ControllerValues, zoneDir: string): string {
  return values.servers
    .map((server) => {
      const zones = server.zones.map((z) => `${z.scheme ?? ''}${z.zone || '.'}`).join(' ');
      const plugins = server.plugins.map((p) => {
        const parameters = p.parameters ? ` ${p.parameters.replace('/etc/coredns/', `${zoneDir}/`)}` : '';
        return `    ${p.name}${parameters}${p.configBlock ? ` {\n        ${p.configBlock}\n    }` : ''}`;
      });
      return `${zones}:${server.port} {\n${plugins.join('\n')}\n}\n`;
    })
    .join('');
}

/** A broken zone on purpose (a test helper): the drill must fail with it. */
function dropRecord(contents: string, name: string): string {
  return contents
    .split('\n')
    .filter((line) => !line.startsWith(`${name} `))
    .join('\n');
}

function dig(namespace: string, server: string, name: string, tcp: boolean): string {
  return execFileSync('ip', ['netns', 'exec', namespace, 'dig', '+short', '+time=2', '+tries=1', ...(tcp ? ['+tcp'] : []), `@${server}`, name, 'A'], { encoding: 'utf8' }).trim();
}

/** Runs one zone's controller in its own namespace at its address, port 53. */
async function startController(zone: Zone, values: ControllerValues, perturb: (contents: string) => string): Promise<string> {
  const namespace = `hsa-dns-${zone}-${process.pid}`;
  execFileSync('ip', ['netns', 'add', namespace]);
  namespaces.push(namespace);
  execFileSync('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['netns', 'exec', namespace, 'ip', 'addr', 'add', `${values.service.loadBalancerIP}/32`, 'dev', 'lo']);
  const dir = join(work, `${zone}-${namespaces.length}`);
  mkdirSync(dir, { recursive: true });
  for (const file of values.zoneFiles) {
    const path = join(dir, file.filename);
    writeFileSync(path, perturb(file.contents));
    // bind's own checker: the zone is standard RFC 1035.
    expect(execFileSync('named-checkzone', [file.domain, path], { encoding: 'utf8' })).toMatch(/OK/);
  }
  writeFileSync(join(dir, 'Corefile'), corefileOf(values, dir));
  const server = spawn('ip', ['netns', 'exec', namespace, COREDNS, '-conf', join(dir, 'Corefile')], { stdio: 'ignore' });
  servers.push(server);
  const probe = values.zoneFiles[0]!.domain;
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('ip', ['netns', 'exec', namespace, 'dig', '+time=1', '+tries=1', `@${values.service.loadBalancerIP}`, probe, 'SOA'], { encoding: 'utf8' });
      return namespace;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`coredns for the ${zone} zone did not start`);
}

/**
 * Every name the stacks deploy (each middleware, application and the gateway, and every stable name an
 * application's ConfigMap is configured with), asked over UDP and over TCP; returns the wrong answers.
 * The expected names come from what is deployed, not from the zone generator, so a dropped record shows.
 */
async function resolveEveryName(activeSite: Site, perturb: (zoneContents: string) => string = (c) => c): Promise<{ checked: number; wrong: string[] }> {
  if (!existsSync(COREDNS)) throw new Error(`no coredns at ${COREDNS}: go install github.com/coredns/coredns@v1.12.2 (.ci/run does)`);
  const controllers = synthesizedControllers(activeSite);
  // Both datacenters serve the same zone data: that is what makes a switchover a change of records.
  expect(controllers.get('demo-core-a')!.zoneFiles).toEqual(controllers.get('demo-core-b')!.zoneFiles);
  expect(controllers.get('demo-public-a')!.zoneFiles).toEqual(controllers.get('demo-public-b')!.zoneFiles);
  const province = resolveProvince('demo', loadEnvironments(ENVIRONMENTS, ['demo'])[0]!.environment, { activeSite });
  let checked = 0;
  const wrong: string[] = [];
  try {
    for (const zone of ['public', 'core'] as const) {
      const values = controllers.get(`demo-${zone}-${activeSite.toLowerCase()}`)!;
      const namespace = await startController(zone, values, perturb);
      const active = province.units.find((u) => u.zone === zone && u.site === activeSite)!;
      const domain = `${zone}.demo.${province.dnsDomain}`;
      const expected = new Map<string, string>();
      for (const role of active.middleware) expected.set(`${role}.${domain}`, active.middlewareVips[role]!);
      for (const app of active.applications) {
        expected.set(`${app.name}.${domain}`, active.ingressVip);
        // The names the application is configured with.
        for (const value of Object.values(app.config)) {
          const host = /^[a-z0-9-]+\.(public|core)\.demo\.[a-z0-9.-]+$/.exec(value)?.[0];
          if (host && host.endsWith(domain) && !expected.has(host)) wrong.push(`${host}: configured in ${app.name} but not a deployed service`);
        }
      }
      expected.set(`gateway.${domain}`, active.ingressVip);
      for (const [name, address] of expected) {
        for (const tcp of [false, true]) {
          const answer = dig(namespace, values.service.loadBalancerIP, name, tcp);
          if (answer !== address) wrong.push(`${name} (${tcp ? 'TCP' : 'UDP'}): ${answer || 'no answer'} (expected ${address})`);
          checked++;
        }
      }
    }
  } finally {
    await stopAll();
  }
  return { checked, wrong };
}

test.each(['A', 'B'] as const)('every stable name resolves to the site %s addresses in the real CoreDNS, over UDP and TCP', async (activeSite) => {
  const { checked, wrong } = await resolveEveryName(activeSite);
  console.log(`DNS drill (CoreDNS), site ${activeSite} active: ${checked} queries (${checked / 2} names, UDP and TCP), ${wrong.length} wrong`);
  expect(wrong).toEqual([]);
  expect(checked).toBeGreaterThan(40);
});

test('fails with a broken zone: a dropped record is found', async () => {
  const { wrong } = await resolveEveryName('A', (contents) => dropRecord(dropRecord(contents, 'redis-session'), 'settlement'));
  console.log(`DNS drill with redis-session and settlement dropped from the zone: ${wrong.join('; ')}`);
  expect(wrong).toEqual(expect.arrayContaining([expect.stringMatching(/^redis-session\.core\./), expect.stringMatching(/^settlement\.core\./)]));
});
