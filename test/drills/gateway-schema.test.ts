/**
 * The service gateway's declarative configuration validated by Kong's own tool: decK (Debian package
 * `deck`), `deck validate`, checks the file offline against the schema of Kong's entities (unknown or
 * mistyped fields, broken references). Credentials are placeholders here, as they are read from Secrets
 * at deploy time; the synthesized core-zone file is validated exactly as written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kongConfig } from '../../model/gateway-config';
import { loadEnvironments } from '../../model/load-environment';
import { resolveProvince } from '../../model/platform-model';
import type { Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';

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
  // The core zone's file as synthesized (a ConfigMap), byte for byte.
  const outdir = join(work, `synth-${activeSite}`);
  buildPlatformApp(outdir, [loaded!], { activeSite }).synth();
  const stack = JSON.parse(readFileSync(join(outdir, 'stacks', 'demo-core-a', 'cdk.tf.json'), 'utf8')) as { resource: { kubernetes_config_map_v1: Record<string, { metadata: { name: string }; data: Record<string, string> }> } };
  const synthesized = Object.values(stack.resource.kubernetes_config_map_v1).find((c) => c.metadata.name === 'kong-declarative')!;
  expect(validate(`synthesized-core-a-${activeSite}`, synthesized.data['kong.yml']!).status).toBe(0);
  console.log(`Gateway schema check (site ${activeSite} active): ${validated + 1} declarative files validated by deck, 0 rejected`);
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
