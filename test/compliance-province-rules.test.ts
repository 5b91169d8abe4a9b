import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hsafSessionCacheSeparate } from '../compliance/rules/hsaf-session-cache-separate';
import { symABSymmetry } from '../compliance/rules/sym-ab-symmetry';
import { zoneSeparated } from '../compliance/rules/zone-separated';
import type { JsonObject, ProvinceSubject, RuleOutcome, StackJson } from '../compliance/types';
import type { Environment } from '../model/environment-schema';
import { loadEnvironmentFile, parseEnvironment } from '../model/load-environment';
import { resolveProvince } from '../model/platform-model';
import { provinceSubject } from '../compliance/check-province';
import { buildPlatformApp } from '../stacks/platform-app';

const DEMO = join(__dirname, '..', 'environments', 'demo.json');

/**
 * The subject of a variation of demo. `validated: false` skips the environment schema, for a rule that
 * guards the synthesized output against what the schema already refuses (a hand-edited output, another
 * front end).
 */
function subjectFor(env: Environment, validated = true): ProvinceSubject {
  const loaded = validated ? parseEnvironment('demo', 'environments/demo.json', JSON.stringify(env)) : { name: 'demo', file: 'environments/demo.json', environment: env };
  const model = resolveProvince('demo', loaded.environment);
  const outdir = mkdtempSync(join(tmpdir(), 'province-rules-'));
  try {
    buildPlatformApp(outdir, [loaded]).synth();
    const stacks = new Map(model.units.map((u) => [u.stackName, JSON.parse(readFileSync(join(outdir, 'stacks', u.stackName, 'cdk.tf.json'), 'utf8')) as StackJson]));
    return provinceSubject(model, stacks, { edition: '2025' });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function messages(result: RuleOutcome): string[] {
  return result.status === 'non-compliant' ? result.problems.map((p) => p.message) : [];
}

function demo(): Environment {
  return JSON.parse(JSON.stringify(loadEnvironmentFile(DEMO).environment)) as Environment;
}

let compliant: ProvinceSubject;
beforeAll(() => {
  compliant = subjectFor(demo());
});

describe('SYM-ABSymmetry', () => {
  test('compliant: demo, whose only A/B differences are site labels and replicas', () => {
    expect(symABSymmetry.check(compliant).status).toBe('compliant');
  });

  test('fails when a configuration value differs between the sites', () => {
    const stacks = new Map(compliant.stacks);
    const b = JSON.parse(JSON.stringify(stacks.get('demo-core-b'))) as StackJson;
    const configMaps = b.resource!.kubernetes_config_map_v1!;
    const name = Object.keys(configMaps).find((k) => k.startsWith('Platform_Applications_settlement_'))!;
    (configMaps[name]!.data as JsonObject).SETTLEMENT_BATCH_SIZE = '999';
    stacks.set('demo-core-b', b);
    expect(messages(symABSymmetry.check({ ...compliant, stacks }))[0]).toMatch(/differs between A and B at data\.SETTLEMENT_BATCH_SIZE \(A: "500", B: "999"\)/);
  });

  test('fails when an application exists at one site only', () => {
    const stacks = new Map(compliant.stacks);
    const b = JSON.parse(JSON.stringify(stacks.get('demo-core-b'))) as StackJson;
    const deployments = b.resource!.kubernetes_deployment_v1!;
    delete deployments[Object.keys(deployments).find((k) => k.startsWith('Platform_Applications_basic-info_'))!];
    stacks.set('demo-core-b', b);
    expect(messages(symABSymmetry.check({ ...compliant, stacks })).join('\n')).toMatch(/basic-info.* exists at site A but not at site B/);
  });
});

describe('ZONE-Separated', () => {
  test('compliant: demo, each zone its own cluster context', () => {
    expect(zoneSeparated.check(compliant).status).toBe('compliant');
  });

  test('fails when the public and core zones of a site share a cluster', () => {
    const env = demo();
    env.sites.A.zones.public.cluster = env.sites.A.zones.core.cluster;
    expect(messages(zoneSeparated.check(subjectFor(env)))[0]).toContain('the public and core zones of site A use the same cluster');
  });

  test('fails when a public-zone application is configured with a core-zone address', () => {
    const env = demo();
    env.applications['public-service-hall']!.config = { SETTLEMENT_URL: 'http://settlement.core.demo.hsa.demo.internal' };
    expect(messages(zoneSeparated.check(subjectFor(env))).join('\n')).toContain('points a public-zone application straight at the core zone');
  });
});

describe('HSAF-SessionCacheSeparate', () => {
  test('compliant: demo, sessions on their own Redis address', () => {
    expect(hsafSessionCacheSeparate.check(compliant).status).toBe('compliant');
  });

  test('fails when the session Redis shares the business cache address', () => {
    const env = demo();
    const vips = env.sites.B.zones.core.middlewareVips;
    vips['redis-session'] = vips['redis-cache']!;
    // The environment schema refuses one address for two services; the rule still guards the output.
    expect(() => subjectFor(env)).toThrow('the same address as sites.B.zones.core.middlewareVips.redis-cache');
    expect(messages(hsafSessionCacheSeparate.check(subjectFor(env, false)))[0]).toContain('redis-session and redis-cache share the address 10.20.2.21');
  });
});
