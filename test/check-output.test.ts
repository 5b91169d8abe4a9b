import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutput } from '../compliance/check-output';
import { secNoSecretDataInState } from '../compliance/rules/sec-no-secret-data-in-state';
import { secNoSecretValues } from '../compliance/rules/sec-no-secret-values';
import type { JsonObject } from '../compliance/types';
import { buildPlatformApp } from '../stacks/platform-app';
import { loadEnvironment, PROJECT_ROOT } from './support/fixtures';

const subject = (config: JsonObject) => ({ stack: 's', path: 's/x', type: 'kubernetes_config_map_v1', config });

describe('SEC-NoSecretValues', () => {
  test.each([
    ['requirepass in a redis.conf text', { data: { 'redis.conf': 'maxmemory 1gb\nrequirepass S3cretPlain\n' } }, 'a Redis password'],
    ['masterauth in chart values', { values: [JSON.stringify({ commonConfiguration: 'masterauth hunter22' })] }, 'values[0].commonConfiguration'],
    ['password= in a properties file', { data: { 'app.properties': 'db.user=hsa\ndb.password=Plain123\n' } }, 'a password setting'],
    ['a JAAS password', { data: { 'kafka.properties': 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="mm2" password="Plain123";' } }, 'sasl.jaas.config'],
    ['a bearer token', { data: { curl: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop' } }, 'a bearer token'],
    ['a password in a collector configuration', { data: { 'config.yaml': 'exporters:\n  elasticsearch:\n    password: Plain$123\n' } }, 'a password setting'],
    ['a PEM private key', { data: { 'tls.key': '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----' } }, 'a PEM private key'],
  ])('fails for %s', (_what, config, expected) => {
    const result = secNoSecretValues.check(subject(config as JsonObject));
    expect(result.status).toBe('non-compliant');
    expect(result.status === 'non-compliant' ? result.problems.map((p) => p.message).join('\n') : '').toContain(expected);
  });

  test('fails for a bearer token in helm values written as YAML, naming its path inside the document', () => {
    const values = ['podAnnotations: {}\nexporter:\n  headers:\n    Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop\n'];
    const result = secNoSecretValues.check(subject({ values } as JsonObject));
    expect(result.status === 'non-compliant' ? result.problems.map((p) => p.message) : result.status).toEqual(['a bearer token in plaintext at values[0].exporter.headers.Authorization']);
  });

  test('fails for a literal in a Secret\'s data, a base64 run named as such', () => {
    const result = secNoSecretValues.check({ ...subject({ metadata: { name: 'x' }, data: { token: 'c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1Njc4OTA=' } } as JsonObject), type: 'kubernetes_secret_v1' });
    expect(result.status === 'non-compliant' ? result.problems[0]!.message : result.status).toBe("a literal value in the Secret's data.token (a base64 run)");
    const reference = secNoSecretValues.check({ ...subject({ metadata: { name: 'x' }, data: { token: '${var.token}' } } as JsonObject), type: 'kubernetes_secret_v1' });
    expect(reference.status).toBe('compliant');
  });

  test('names the exact place of a finding, array indexes and the helm values document included', () => {
    const messages = (config: object) => {
      const result = secNoSecretValues.check(subject(config as JsonObject));
      return result.status === 'non-compliant' ? result.problems.map((p) => p.message) : [];
    };
    const env = [{ name: 'A', value: 'x' }, { name: 'B', value: 'db.password=Plain123' }];
    expect(messages({ spec: [{ template: [{ spec: [{ container: [{ env }] }] }] }] })).toEqual(['a password setting in plaintext at spec[0].template[0].spec[0].container[0].env[1].value']);
    expect(messages({ values: ['{}', JSON.stringify({ extraEnv: env })] })).toEqual(['a password setting in plaintext at values[1].extraEnv[1].value']);
    // Only a top-level values list is a helm values document; elsewhere the JSON text is read as text.
    expect(messages({ data: { values: [JSON.stringify({ url: 'jdbc:x?password=Plain123' })] } })).toEqual(['a password setting in plaintext at data.values[0]']);
  });

  test('compliant: references resolved at run time', () => {
    const config = {
      data: {
        'custom.properties': 'db.user.0=${DB_USERNAME}\ndb.password.0=${DB_PASSWORD}\n',
        'start.sh': 'redis-cli -a "$REDIS_PASSWORD" ROLE',
        jaas: 'sasl.jaas.config=ScramLoginModule required username="mm2" password="${KAFKA_PASSWORD}";',
        // The OpenTelemetry Collector's reference to its environment, as Terraform's JSON escapes it (`$${`).
        'collector.yaml': 'exporters:\n  elasticsearch:\n    user: elastic\n    password: $${env:HSA_LOG_PASSWORD}\n',
      },
      values: [JSON.stringify({ auth: { existingSecret: 'hsa-redis-auth' }, commonConfiguration: 'appendonly yes\n' })],
    };
    expect(secNoSecretValues.check(subject(config as JsonObject)).status).toBe('compliant');
  });
});

describe('SEC-NoSecretDataInState', () => {
  test('fails where a Secret read by a data source flows into a resource (the gateway before #13)', () => {
    const config = { metadata: { name: 'kong-declarative' }, data: { 'kong.yml': '${jsonencode({"consumers" = [{"keyauth_credentials" = [{"key" = data.kubernetes_secret_v1.Platform_Traffic_Gateway_Credentials_hospital-0001.data["key"]}]}]})}' } };
    const result = secNoSecretDataInState.check({ ...subject(config as JsonObject), type: 'kubernetes_secret_v1' });
    expect(result.status).toBe('non-compliant');
    expect(result.status === 'non-compliant' ? result.problems[0]!.message : '').toContain('data.kubernetes_secret_v1.Platform_Traffic_Gateway_Credentials_hospital-0001');
  });

  test('names the place of each reference', () => {
    const config = { data: { a: 'x', b: ['y', '${data.kubernetes_secret.s.binary_data["k"]}'] } };
    const result = secNoSecretDataInState.check(subject(config as JsonObject));
    expect(result.status === 'non-compliant' ? result.problems.map((p) => p.message.split(' takes')[0]) : []).toEqual(['data.b[1]']);
  });

  test('compliant: a Secret named, mounted, never read', () => {
    const config = { values: [JSON.stringify({ deployment: { userDefinedVolumes: [{ name: 'credential-hospital-0001', secret: { secretName: 'gw-hospital-0001' } }] } })] };
    expect(secNoSecretDataInState.check(subject(config as JsonObject)).status).toBe('compliant');
  });
});

test('npm run check -- --out <copy>: a plaintext requirepass injected into a copy of the output fails, naming the file and the path', () => {
  const work = mkdtempSync(join(tmpdir(), 'check-'));
  try {
    const outdir = join(work, 'cdktf.out');
    buildPlatformApp(outdir, [loadEnvironment('demo')]).synth();
    expect(checkOutput(outdir).filter((f) => f.severity === 'error' && !f.suppressed)).toEqual([]);

    const copy = join(work, 'copy');
    cpSync(outdir, copy, { recursive: true });
    const file = join(copy, 'stacks', 'demo-core-a', 'cdk.tf.json');
    const stack = JSON.parse(readFileSync(file, 'utf8')) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
    const redis = Object.values(stack.resource.helm_release).find((r) => r.name === 'redis-session')!;
    const values = JSON.parse(redis.values[0]!) as { commonConfiguration: string };
    values.commonConfiguration += 'requirepass S3cretPlain\n';
    redis.values[0] = JSON.stringify(values);
    writeFileSync(file, JSON.stringify(stack));

    const run = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), join(PROJECT_ROOT, 'bin', 'check.ts'), '--out', copy], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^error SEC-NoSecretValues .*copy\/stacks\/demo-core-a\/cdk\.tf\.json: helm_release\.Platform_Middleware_Redis_redis-session_[0-9A-F]+ \(demo-core-a\/Platform\/Middleware\/Redis\/redis-session\/Resource\): a Redis password \(requirepass\/masterauth\) in plaintext at values\[0\]\.commonConfiguration/m);
    expect(run.stdout).toContain('1 error(s)');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
