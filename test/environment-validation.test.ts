import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../compliance/types';
import { EnvironmentError, listEnvironments, loadEnvironmentFile, loadEnvironments, parseEnvironment } from '../model/load-environment';
import { parseEnvList, UsageError } from '../pipeline/options';
import { resolveProvince } from '../model/platform-model';
import { environmentJson, parseJson } from './support/fixtures';

type Mutator = (env: JsonObject) => void;
const at = (env: JsonObject, ...path: string[]): JsonObject => path.reduce((o, k) => o[k] as JsonObject, env);

/** Problems reported for a variation of demo.json, as "field: message" lines. */
function problemsOf(mutate: Mutator): string[] {
  const env = environmentJson();
  mutate(env);
  try {
    parseJson(env);
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    return error.problems.map((p) => `${p.file} | ${p.field} | ${p.message}`);
  }
  throw new Error('expected the environment to be rejected');
}

describe('bad environments are rejected with the file, the field, the value received and what is expected', () => {
  const cases: [string, Mutator, string, string][] = [
    ['a misspelled top-level key', (e) => { e.activSite = e.activeSite!; delete e.activeSite; }, 'activSite', 'unknown key "activSite" (did you mean "activeSite"?)'],
    ['a misspelled nested key', (e) => { const z = at(e, 'sites', 'A', 'zones', 'core'); z.ingresVip = z.ingressVip!; delete z.ingressVip; }, 'sites.A.zones.core.ingresVip', 'did you mean "ingressVip"?'],
    ['an application that is not in the catalog', (e) => { at(e, 'applications').settlment = { version: '1.0.0', project: 'hxjb' }; }, 'applications.settlment', 'did you mean "settlement"?'],
    ['a bad IPv4 address', (e) => { at(e, 'sites', 'B', 'zones', 'public').gatekeeper = '10.20.250.300'; }, 'sites.B.zones.public.gatekeeper', 'received "10.20.250.300"; expected an IPv4 address'],
    ['an application in a project of the wrong zone', (e) => { at(e, 'applications', 'settlement').project = 'ggfw'; }, 'applications.settlement.project', '"settlement" runs in the core zone, but project "ggfw" is in the public zone'],
    ['an unknown project', (e) => { at(e, 'applications', 'basic-info').project = 'nosuch'; }, 'applications.basic-info.project', 'expected one of the projects in tenants.projects (ggfw, hxjb, znjk)'],
    ['an IP address in application configuration', (e) => { at(e, 'applications', 'settlement', 'config').DB_URL_OVERRIDE = 'jdbc:oceanbase://10.1.2.3:2881/hsa'; }, 'applications.settlement.config.DB_URL_OVERRIDE', 'no IP address in application configuration'],
    ['an IPv6 address in application configuration', (e) => { at(e, 'applications', 'settlement', 'config').DB_URL_OVERRIDE = 'jdbc:oceanbase://[fd00:10::12]:2881/hsa'; }, 'applications.settlement.config.DB_URL_OVERRIDE', 'no IP address in application configuration'],
    ['a reserved configuration key', (e) => { at(e, 'applications', 'settlement', 'config').REDIS_CACHE_HOST = 'my-redis'; }, 'applications.settlement.config.REDIS_CACHE_HOST', 'reserved'],
    ['an unpinned version', (e) => { at(e, 'applications', 'basic-info').version = 'latest'; }, 'applications.basic-info.version', 'received "latest"; expected a pinned version'],
    ['a missing middleware address for a middleware in use', (e) => { delete at(e, 'sites', 'B', 'zones', 'core', 'middlewareVips')['redis-session']; }, 'sites.B.zones.core.middlewareVips.redis-session', 'an application of the core zone uses it'],
    ['an unknown database product', (e) => { at(e, 'middleware').database = { product: 'oracle' }; }, 'middleware.database.product', 'expected product "postgresql", "cloudnative-pg" (PostgreSQL in the clusters), or "other" (another product, with a name, a port and a check command its DBA supplies)'],
    ['CloudNativePG with a port (it serves 5432): the keys named are its own', (e) => { at(e, 'middleware').database = { product: 'cloudnative-pg', port: 15432 }; }, 'middleware.database.port', 'unknown key "port"; expected one of: product, instances, storageGiB, backup'],
    ["another product's backup without its tool's image", (e) => { at(e, 'middleware').database = { product: 'other', name: 'DM8', port: 5236, check: { command: ['/opt/check'] }, backup: { command: ['/opt/backup'] } }; }, 'middleware.database.backup.image', 'received nothing (the field is missing)'],
    ['another database product without its check command', (e) => { at(e, 'middleware').database = { product: 'other', name: 'DM8', port: 5236 }; }, 'middleware.database.check', 'received nothing (the field is missing)'],
    ['an absolute kubeconfig path', (e) => { at(e, 'sites', 'A', 'zones', 'core', 'cluster', 'kubeconfig').path = '/home/ops/.kube/config'; }, 'sites.A.zones.core.cluster.kubeconfig.path', 'absolute paths differ between machines'],
    ['a duplicate project id', (e) => { (at(e, 'tenants').projects as JsonObject[]).push({ ...(at(e, 'tenants').projects as JsonObject[])[1]! }); }, 'tenants.projects[3].id', '"hxjb" appears more than once'],
    ['a bad province code', (e) => { at(e, 'province').code = '99'; }, 'province.code', 'received "99"; expected a 6-digit administrative division code'],
    ['a DR level below 5', (e) => { e.requiredDrLevel = 4; }, 'requiredDrLevel', 'medical insurance requires DR level 5 or higher'],
    ['limits below requests', (e) => { at(e, 'applications', 'settlement').limits = { cpuMilli: 500, memoryMiB: 4096 }; }, 'applications.settlement.limits', 'expected limits at least as large as requests'],
    ['maxReplicas below replicas', (e) => { at(e, 'applications', 'settlement').maxReplicas = 1; }, 'applications.settlement.maxReplicas', 'expected at least replicas (3)'],
    ['a missing required field', (e) => { delete e.dnsDomain; }, 'dnsDomain', 'received nothing (the field is missing); expected string'],
    ['a wrong type', (e) => { at(e, 'applications', 'settlement').replicas = '3'; }, 'applications.settlement.replicas', 'received "3"; expected number'],
    ['an unknown active site', (e) => { e.activeSite = 'C'; }, 'activeSite', 'received "C"; expected one of "A", "B"'],
    ['an unknown backend type', (e) => { e.backend = { type: 'consul' }; }, 'backend.type', 'received "consul"'],
    ['a misspelled key in the s3 backend', (e) => { e.backend = { type: 's3', bucket: 'state', endpoint: 'https://minio:9000', usePathstyle: true }; }, 'backend.usePathstyle', 'did you mean "usePathStyle"?'],
    ['an http chart repository without the lab opt-in', (e) => { at(e, 'registry').charts = 'http://charts.lab.internal/stable'; }, 'registry.charts', 'an http:// mirror needs "allowInsecureChartRepository": true'],
    ['the same gatekeeper at both datacenters', (e) => { at(e, 'sites', 'B', 'zones', 'core').gatekeeper = at(e, 'sites', 'A', 'zones', 'core').gatekeeper!; }, 'sites.B.zones.core.gatekeeper', 'the same address as sites.A.zones.core.gatekeeper'],
    ['two services at one address in a zone and datacenter', (e) => { at(e, 'sites', 'A', 'zones', 'core', 'middlewareVips').nacos = at(e, 'sites', 'A', 'zones', 'core', 'middlewareVips')['redis-cache']!; }, 'sites.A.zones.core.middlewareVips.nacos', 'the same address as sites.A.zones.core.middlewareVips.redis-cache'],
    ['a broker address equal to another service', (e) => { (at(e, 'sites', 'B', 'zones', 'core').kafkaBrokerVips as unknown as string[])[2] = at(e, 'sites', 'B', 'zones', 'core').dnsVip as unknown as string; }, 'sites.B.zones.core.kafkaBrokerVips[2]', 'the same address as sites.B.zones.core.dnsVip'],
    ['a suppression without a real reason', (e) => { at(e, 'compliance').suppressions = [{ ruleId: 'K8S-RunAsNonRoot', path: '*/Platform', reason: 'legacy' }]; }, 'compliance.suppressions[0].reason', 'at least 10 characters'],
  ];

  test.each(cases)('fails for %s', (_what, mutate, field, expected) => {
    const problems = problemsOf(mutate);
    const line = problems.find((p) => p.includes(`| ${field} |`));
    expect(line).toBeDefined();
    expect(line).toContain('environments/demo.json');
    expect(line).toContain(expected);
  });

  test('fails with every problem listed at once', () => {
    const problems = problemsOf((e) => {
      e.activSite = 'A';
      at(e, 'province').code = 'x';
      at(e, 'applications', 'basic-info').version = 'latest';
    });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.join('\n')).toMatch(/activSite[\s\S]*province\.code|province\.code[\s\S]*activSite/);
  });

  test('fails for invalid JSON, naming the file, the line, the column and the line itself', () => {
    expect(() => parseEnvironment('demo', 'environments/demo.json', '{ "province": ')).toThrow(/environments\/demo\.json: \(file\): not valid JSON/);
    const text = JSON.stringify(environmentJson(), null, 2).replace('"activeSite": "A",', '"activeSite": "A"');
    const line = text.split('\n').findIndex((l) => l.includes('"requiredDrLevel"')) + 1;
    expect(() => parseEnvironment('demo', 'environments/demo.json', text)).toThrow(`not valid JSON at line ${line}, column 3: Expected ',' or '}' after property value; the line reads: "requiredDrLevel": 5,`);
  });

  test('fails for a key written twice, naming both places (JSON alone keeps the last silently)', () => {
    const text = JSON.stringify(environmentJson(), null, 2).replace('"settlement": {', '"settlement": {"version": "0.0.1", "project": "hxjb"},\n    "settlement": {');
    expect(() => parseEnvironment('demo', 'environments/demo.json', text)).toThrow(/applications\.settlement: the key "settlement" appears twice in the same object, at line \d+, column 5 and at line \d+, column 5/);
  });

  test('fails for a byte-order mark, naming line 1, column 1 and the fix', () => {
    const text = `\uFEFF${JSON.stringify(environmentJson(), null, 2)}`;
    expect(() => parseEnvironment('demo', 'environments/demo.json', text)).toThrow('environments/demo.json: (file): not valid JSON at line 1, column 1: the file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM');
  });

  test('fails for nesting no environment has (200,000 brackets), with the place, instead of overflowing the stack', () => {
    const text = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(() => parseEnvironment('demo', 'environments/demo.json', text)).toThrow('(file): nesting deeper than 64 levels at line 1, column 65');
  });

  test('fails for a file over 1 MiB (a 50 MB configuration value), before parsing it', () => {
    const env = environmentJson();
    at(env, 'applications', 'settlement').configuration = { 'application.yaml': 'x'.repeat(2 * 1024 * 1024) };
    expect(() => parseEnvironment('demo', 'environments/demo.json', JSON.stringify(env))).toThrow(/received \d+ bytes; expected at most 1048576/);
  });

  test('a negative replicas count is one problem, not also one about maxReplicas', () => {
    expect(problemsOf((e) => void (at(e, 'applications', 'settlement').replicas = -1))).toEqual([
      expect.stringMatching(/^environments\/demo\.json \| applications\.settlement\.replicas \| received -1; expected: too small/),
    ]);
  });

  test('an http chart repository is accepted with the lab opt-in', () => {
    const env = environmentJson();
    at(env, 'registry').charts = 'http://charts.lab.internal/stable';
    at(env, 'registry').allowInsecureChartRepository = true;
    expect(parseJson(env).environment.registry.charts).toBe('http://charts.lab.internal/stable');
  });

  test('fails for an --env that is a path, not a name', () => {
    expect(() => parseEnvList('../secrets/prod', '--env')).toThrow(UsageError);
    expect(() => parseEnvList('demo,../x', '--env')).toThrow('received "../x"; expected environment names');
    expect(parseEnvList('demo,guangdong', '--env')).toEqual(['demo', 'guangdong']);
  });

  test('fails for a file name that cannot prefix stack names', () => {
    expect(() => parseEnvironment('Guang-Dong', 'environments/Guang-Dong.json', JSON.stringify(environmentJson()))).toThrow(/\(file name\): received "Guang-Dong"; expected 2-16 lowercase letters or digits/);
  });

  test('fails for a missing environment, listing the available ones', () => {
    const available = listEnvironments(join(__dirname, '..', 'environments')).join(', ');
    expect(() => loadEnvironmentFile(join(__dirname, '..', 'environments', 'atlantis.json'))).toThrow(`atlantis.json: (file): cannot read it (ENOENT); available environments: ${available}`);
  });

  test('fails for problems in several files at once, naming each file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envs-'));
    try {
      const a = environmentJson();
      a.activSite = 'A';
      const b = environmentJson();
      at(b, 'province').code = '1';
      writeFileSync(join(dir, 'one.json'), JSON.stringify(a));
      writeFileSync(join(dir, 'two.json'), JSON.stringify(b));
      expect(() => loadEnvironments(dir, ['one', 'two'])).toThrow(/one\.json: activSite[\s\S]*two\.json: province\.code/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('defaults, applied once in the platform model', () => {
  function modelWith(mutate: Mutator) {
    const env = environmentJson();
    mutate(env);
    return resolveProvince('demo', parseJson(env).environment);
  }
  const coreA = (m: ReturnType<typeof modelWith>) => m.units.find((u) => u.zone === 'core' && u.site === 'A')!;
  const app = (m: ReturnType<typeof modelWith>, name: string) => coreA(m).applications.find((a) => a.name === name)!;

  test('replicas default to 2', () => {
    expect(app(modelWith((e) => delete at(e, 'applications', 'basic-info').replicas), 'basic-info').replicas).toBe(2);
  });
  test('maxReplicas defaults to twice the replicas', () => {
    expect(app(modelWith(() => undefined), 'settlement').maxReplicas).toBe(6);
  });
  test('requests default to 500m CPU and 1024 MiB', () => {
    expect(app(modelWith(() => undefined), 'basic-info').requests).toEqual({ cpuMilli: 500, memoryMiB: 1024 });
  });
  test('limits default to 2000m CPU and 2048 MiB', () => {
    expect(app(modelWith(() => undefined), 'basic-info').limits).toEqual({ cpuMilli: 2000, memoryMiB: 2048 });
  });
  test('the backend defaults to local state in terraform-state/', () => {
    expect(coreA(modelWith((e) => delete e.backend)).backend).toEqual({ type: 'local', directory: 'terraform-state' });
  });
  test('the required DR level defaults to 5', () => {
    expect(modelWith((e) => delete e.requiredDrLevel).requiredDrLevel).toBe(5);
  });
  test('the pg backend gets one schema per stack, prefixed hsa_<env> by default', () => {
    expect(coreA(modelWith((e) => (e.backend = { type: 'pg' }))).backend).toEqual({ type: 'pg', schemaName: 'hsa_demo_demo_core_a' });
  });
  test('the s3 backend defaults: key hsa/<env>/<stack>.tfstate, region us-east-1, path-style URLs', () => {
    const backend = coreA(modelWith((e) => (e.backend = { type: 's3', bucket: 'state', endpoint: 'https://minio.ops:9000' }))).backend;
    expect(backend).toEqual({ type: 's3', bucket: 'state', key: 'hsa/demo/demo-core-a.tfstate', region: 'us-east-1', endpoint: 'https://minio.ops:9000', usePathStyle: true });
  });
  test('teams default to none', () => {
    const model = modelWith((e) => delete at(e, 'tenants').teams);
    expect(model.units.every((u) => u.tenants.every((t) => t.kind === 'project'))).toBe(true);
  });
  test('site overrides replace replicas at that site only', () => {
    const model = modelWith(() => undefined);
    const coreB = model.units.find((u) => u.zone === 'core' && u.site === 'B')!;
    expect([app(model, 'settlement').replicas, coreB.applications.find((a) => a.name === 'settlement')!.replicas]).toEqual([3, 2]);
  });
});
