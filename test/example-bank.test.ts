import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBankAccountSystem } from '../examples/bank-account-system';

const EXAMPLE = join(__dirname, '..', 'examples', 'bank-account-system.ts');

type StackJson = { resource: Record<string, Record<string, { metadata?: { name?: string }; spec?: { replicas?: string } }>>; provider: Record<string, unknown> };

test('the bank example imports the toolkit only through its public entry point', () => {
  const imports = [...readFileSync(EXAMPLE, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  expect(imports.filter((i) => i!.startsWith('.'))).toEqual(['../index']);
});

test('the bank example synthesizes one stack per datacenter, account writes only at the active site', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'bank-'));
  try {
    buildBankAccountSystem(outdir, 'B').synth();
    const read = (stack: string) => JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as StackJson;
    const a = read('bank-accounts-a');
    const b = read('bank-accounts-b');
    for (const stack of [a, b]) {
      expect(Object.keys(stack.provider).sort()).toEqual(['helm', 'kubernetes']);
      expect(Object.values(stack.resource.kubernetes_deployment_v1!).map((d) => d.metadata!.name).sort()).toEqual(['account-service', 'transfer-flow']);
      // Accounts: deny, same namespace, DNS, ingress allow; middleware namespace: deny, same namespace, DNS.
      expect(Object.keys(stack.resource.kubernetes_network_policy_v1!).length).toBe(7);
    }
    // Redis and Kafka pairs follow the active site (B here).
    const redis = (stack: StackJson) => JSON.stringify(Object.values(stack.resource.helm_release!).find((r) => (r as unknown as { name: string }).name === 'redis-cache'));
    expect(redis(a)).toContain('replicaof 172.21.1.21 6379');
    expect(redis(b)).not.toContain('replicaof');
    expect(JSON.stringify(a.resource.kubernetes_manifest)).toContain('KafkaMirrorMaker2');
    expect(JSON.stringify(b.resource.kubernetes_manifest)).not.toContain('KafkaMirrorMaker2');
    const writes = (stack: StackJson) =>
      Object.values(stack.resource.kubernetes_config_map_v1!).map((c) => (c as unknown as { data: Record<string, string> }).data.ACCOUNT_WRITES_ENABLED).filter(Boolean);
    expect(writes(a)).toEqual(['false']);
    expect(writes(b)).toEqual(['true']);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
