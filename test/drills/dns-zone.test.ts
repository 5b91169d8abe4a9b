/**
 * DNS controller drill: the zone files the toolkit synthesizes for the demo province are loaded into a
 * real DNS server from Debian (bind9's named) on loopback, checked with named-checkzone, and every
 * stable name is queried with dig and compared with the active site's address, for A and for B active.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../model/load-environment';
import { resolveProvince } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { sleep } from './support/timing';

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const work = mkdtempSync(join(tmpdir(), 'dns-drill-'));
const PORT = 15353 + (process.pid % 500);
let named: ChildProcess | undefined;

afterAll(async () => {
  if (named && named.exitCode === null) {
    const exited = new Promise((resolve) => named!.once('exit', resolve));
    named.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

/** The zone files in the synthesized DNS controller releases of every demo stack. */
function synthesizedZones(activeSite: Site): Map<string, { domain: string; contents: string }[]> {
  const outdir = mkdtempSync(join(work, `synth-${activeSite}-`));
  buildPlatformApp(outdir, loadEnvironments(ENVIRONMENTS, ['demo']), { activeSite }).synth();
  const zones = new Map<string, { domain: string; contents: string }[]>();
  for (const stack of ['demo-public-a', 'demo-public-b', 'demo-core-a', 'demo-core-b']) {
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
    const release = Object.values(json.resource.helm_release).find((r) => r.name === 'dns-controller')!;
    zones.set(stack, (JSON.parse(release.values[0]!) as { zoneFiles: { domain: string; contents: string }[] }).zoneFiles);
  }
  return zones;
}

async function startNamed(zones: { domain: string; file: string }[]): Promise<void> {
  const conf = join(work, 'named.conf');
  writeFileSync(
    conf,
    [
      'options {',
      `  directory "${work}";`,
      `  listen-on port ${PORT} { 127.0.0.1; };`,
      '  listen-on-v6 { none; };',
      '  recursion no;',
      `  pid-file "${join(work, 'named.pid')}";`,
      '};',
      ...zones.map((z) => `zone "${z.domain}" { type master; file "${z.file}"; };`),
      '',
    ].join('\n'),
  );
  named = spawn('named', ['-g', '-c', conf, '-u', process.getuid?.() === 0 ? 'root' : String(process.getuid?.())], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('dig', ['+short', '+time=1', '+tries=1', '-p', String(PORT), '@127.0.0.1', `ns.${zones[0]!.domain}`], { encoding: 'utf8' });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('named did not start');
}

async function stopNamed(): Promise<void> {
  if (!named || named.exitCode !== null) return;
  const exited = new Promise((resolve) => named!.once('exit', resolve));
  named.kill('SIGTERM');
  await exited;
}

/** A broken zone on purpose (a test helper): the drill must fail with it. */
function dropRecord(contents: string, name: string): string {
  return contents
    .split('\n')
    .filter((line) => !line.startsWith(`${name} `))
    .join('\n');
}

/**
 * Every stable name the deployed applications are configured with (their ConfigMaps name middleware by
 * stable DNS name) and every application, middleware and gateway name of each zone, resolved through
 * named serving the zone files; returns the names that do not resolve to the active site's address.
 * The expected names come from what the stacks deploy, not from the zone generator, so a record the
 * generator drops is caught.
 */
async function resolveEveryName(activeSite: Site, perturb: (zoneContents: string) => string = (c) => c): Promise<{ checked: number; wrong: string[] }> {
  const zones = synthesizedZones(activeSite);
  // Both datacenters serve the same zone data: that is what makes a switchover a change of records.
  expect(zones.get('demo-core-a')).toEqual(zones.get('demo-core-b'));
  expect(zones.get('demo-public-a')).toEqual(zones.get('demo-public-b'));

  const files = [...zones.get('demo-public-a')!, ...zones.get('demo-core-a')!].map((z) => {
    const file = join(work, `db.${z.domain}.${activeSite}`);
    writeFileSync(file, perturb(z.contents));
    // bind's own checker: the zone is standard RFC 1035.
    const check = execFileSync('named-checkzone', [z.domain, file], { encoding: 'utf8' });
    expect(check).toMatch(/OK/);
    return { domain: z.domain, file };
  });

  await startNamed(files);
  const province = resolveProvince('demo', loadEnvironments(ENVIRONMENTS, ['demo'])[0]!.environment, { activeSite });
  let checked = 0;
  const wrong: string[] = [];
  try {
    for (const zone of ['public', 'core'] as const) {
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
        const answer = execFileSync('dig', ['+short', '+time=2', '+tries=1', '-p', String(PORT), '@127.0.0.1', name, 'A'], { encoding: 'utf8' }).trim();
        if (answer !== address) wrong.push(`${name}: ${answer || 'no answer'} (expected ${address})`);
        checked++;
      }
    }
  } finally {
    await stopNamed();
  }
  return { checked, wrong };
}

test.each(['A', 'B'] as const)('every stable name resolves to the site %s addresses in a real DNS server', async (activeSite) => {
  const { checked, wrong } = await resolveEveryName(activeSite);
  console.log(`DNS drill, site ${activeSite} active: ${checked} names checked with named-checkzone and dig, ${wrong.length} wrong`);
  expect(wrong).toEqual([]);
  expect(checked).toBeGreaterThan(20);
});

test('fails with a broken zone: a dropped record is found', async () => {
  const { wrong } = await resolveEveryName('A', (contents) => dropRecord(dropRecord(contents, 'redis-session'), 'settlement'));
  console.log(`DNS drill with redis-session and settlement dropped from the zone: ${wrong.join('; ')}`);
  expect(wrong).toEqual(expect.arrayContaining([expect.stringMatching(/^redis-session\.core\./), expect.stringMatching(/^settlement\.core\./)]));
});
