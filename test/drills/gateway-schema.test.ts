/**
 * The service gateway's declarative configuration validated by Kong's own tool: decK (Debian package
 * `deck`), `deck validate`, checks the file offline against the schema of Kong's entities (unknown or
 * mistyped fields, broken references). The synthesized core-zone file is validated exactly as written.
 * The public zone's file is rendered as its pod renders it: the synthesized template and render script
 * (from the template ConfigMap) run under LuaJIT (Debian package `luajit`; the Kong image runs the script
 * with OpenResty's LuaJIT, `resty`), with credential files laid out as the institutions' Secrets are
 * mounted; the result is validated by decK (which found that a JSON `\/` escape is not YAML) and must
 * hold each credential.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kongConfig } from '../../model/gateway-config';
import { loadEnvironments } from '../../model/load-environment';
import { resolveProvince } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { terraformLiteralText } from '../../synthesized/terraform-literal';

const ENVIRONMENTS = join(__dirname, '..', '..', 'environments');
const work = mkdtempSync(join(tmpdir(), 'gateway-drill-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function validate(name: string, text: string): { status: number | null; output: string } {
  const file = join(work, `${name}.json`);
  writeFileSync(file, text);
  const result = spawnSync('deck', ['validate', '-s', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('decK is installed (Debian package deck)', () => {
  expect(execFileSync('deck', ['version'], { encoding: 'utf8' })).toMatch(/decK/);
});

test.each(['A', 'B'] as const)('every gateway configuration of the demo province validates against Kong\'s schema (site %s active)', (activeSite: Site) => {
  const [loaded] = loadEnvironments(ENVIRONMENTS, ['demo']);
  const province = resolveProvince('demo', loaded!.environment, { activeSite });
  let validated = 0;
  for (const unit of province.units) {
    const config = kongConfig(province, unit, province.gateway!, (id, field) => `placeholder-${id}-${field}`);
    const result = validate(`${unit.stackName}-${activeSite}`, JSON.stringify(config));
    expect({ stack: unit.stackName, ...result }).toEqual({ stack: unit.stackName, status: 0, output: '' });
    validated++;
  }
  console.log(`Gateway schema check (site ${activeSite} active): ${validated} declarative files validated by deck, 0 rejected`);
});

test('fails validation for a misspelled field: the check is real', () => {
  const [loaded] = loadEnvironments(ENVIRONMENTS, ['demo']);
  const province = resolveProvince('demo', loaded!.environment);
  const config = JSON.parse(JSON.stringify(kongConfig(province, province.units[0]!, province.gateway!, () => 'x'))) as { services: { routes: Record<string, unknown>[] }[] };
  config.services[0]!.routes[0]!.strip_pathh = true;
  const result = validate('broken', JSON.stringify(config));
  expect(result.status).not.toBe(0);
  expect(result.output).toContain('strip_pathh');
});

interface Stack {
  resource: { kubernetes_config_map_v1: Record<string, { metadata: { name: string }; data: Record<string, string> }> };
}

/** The public zone's template and script as synthesized, and a credentials directory as the pod mounts it. */
function synthesizedTemplate(activeSite: Site, stackName = 'demo-public-a'): { template: string; script: string; credentials: string; institutions: { id: string; auth: 'key' | 'jwt' }[] } {
  const [loaded] = loadEnvironments(ENVIRONMENTS, ['demo']);
  // One synthesis per active site serves every stack's template.
  const outdir = join(work, `synth-${activeSite}`);
  if (!existsSync(outdir)) buildPlatformApp(outdir, [loaded!], { activeSite }).synth();
  const stack = JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', stackName, 'cdk.tf.json'), 'utf8'))) as Stack;
  const configMap = Object.values(stack.resource.kubernetes_config_map_v1).find((c) => c.metadata.name === 'kong-declarative-template')!;
  const dir = join(work, `render-${stackName}-${activeSite}`);
  mkdirSync(join(dir, 'template'), { recursive: true });
  for (const [name, text] of Object.entries(configMap.data)) writeFileSync(join(dir, 'template', name), text);
  const institutions = resolveProvince('demo', loaded!.environment).gateway!.institutions.map((i) => ({ id: i.id, auth: i.auth }));
  return { template: join(dir, 'template', 'kong.yml'), script: join(dir, 'template', 'render-credentials.lua'), credentials: join(dir, 'credentials'), institutions };
}

const LINK_KEY = 'link-key-0123456789abcdef';

test.each(['demo-core-a', 'demo-core-b'])('%s: the core zone\'s file, rendered with the link key as its pod renders it, validates; only the public gateways\' key is accepted', (stackName) => {
  const { template, script, credentials } = synthesizedTemplate('A', stackName);
  mkdirSync(join(credentials, '_link'), { recursive: true });
  writeFileSync(join(credentials, '_link', 'key'), LINK_KEY);
  const output = join(work, `rendered-${stackName}.yml`);
  execFileSync('luajit', [script, template, credentials, output], { encoding: 'utf8' });
  const rendered = readFileSync(output, 'utf8');
  const parsed = JSON.parse(rendered) as { consumers: { username: string; keyauth_credentials: { key: string }[] }[] };
  expect(parsed.consumers).toEqual([{ username: 'public-gateway', keyauth_credentials: [{ key: LINK_KEY }] }]);
  expect(validate(`rendered-${stackName}`, rendered)).toEqual({ status: 0, output: '' });
});

const PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';

test('the public zone\'s file, rendered by the synthesized script from mounted credentials, validates and holds every credential', () => {
  const { template, script, credentials, institutions } = synthesizedTemplate('A');
  mkdirSync(join(credentials, '_link'), { recursive: true });
  writeFileSync(join(credentials, '_link', 'key'), LINK_KEY);
  for (const institution of institutions) {
    mkdirSync(join(credentials, institution.id), { recursive: true });
    if (institution.auth === 'key') writeFileSync(join(credentials, institution.id, 'key'), `key-"${institution.id}"/\\`);
    else {
      writeFileSync(join(credentials, institution.id, 'issuer'), `issuer-${institution.id}`);
      writeFileSync(join(credentials, institution.id, 'rsa-public-key'), PUBLIC_KEY);
    }
  }
  const output = join(work, 'rendered-kong.yml');
  execFileSync('luajit', [script, template, credentials, output], { encoding: 'utf8' });
  const rendered = readFileSync(output, 'utf8');
  expect(rendered).not.toContain('hsa-credential://');
  const parsed = JSON.parse(rendered) as { consumers: { username: string; keyauth_credentials?: { key: string }[]; jwt_secrets?: { key: string; rsa_public_key: string }[] }[] };
  for (const institution of institutions) {
    const consumer = parsed.consumers.find((c) => c.username === institution.id)!;
    if (institution.auth === 'key') expect(consumer.keyauth_credentials![0]!.key).toBe(`key-"${institution.id}"/\\`);
    else expect(consumer.jwt_secrets![0]).toMatchObject({ key: `issuer-${institution.id}`, rsa_public_key: PUBLIC_KEY });
  }
  expect(rendered).toContain(`"x-hsa-gateway-key:${LINK_KEY}"`);
  expect(validate('rendered-public-a', rendered)).toEqual({ status: 0, output: '' });
  console.log(`Gateway credentials: ${institutions.length} institutions rendered into the public zone's file by the synthesized script (LuaJIT), validated by deck`);
});

test('the pod does not start with a credential missing: the script names the institution and the key', () => {
  const { template, script, credentials, institutions } = synthesizedTemplate('B');
  const [first, ...others] = institutions;
  mkdirSync(join(credentials, '_link'), { recursive: true });
  writeFileSync(join(credentials, '_link', 'key'), LINK_KEY);
  for (const institution of others) {
    mkdirSync(join(credentials, institution.id), { recursive: true });
    for (const field of institution.auth === 'key' ? ['key'] : ['issuer', 'rsa-public-key']) writeFileSync(join(credentials, institution.id, field), 'x');
  }
  const output = join(work, 'rendered-missing.yml');
  const result = spawnSync('luajit', [script, template, credentials, output], { encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`missing or empty in the mounted Secret: ${first!.id}: key ${first!.auth === 'key' ? 'key' : 'issuer'}`);
  expect(() => readFileSync(output)).toThrow();
});
