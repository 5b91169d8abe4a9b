import { ClusterProviders, type ClusterConnection } from '../constructs/cluster/cluster-providers';
import { synthesizeStack, type SynthesizedStack } from './support/fixtures';

function synth(connection: ClusterConnection): SynthesizedStack {
  return synthesizeStack('s', (stack) => new ClusterProviders(stack, 'Cluster', { connection }));
}

test('kubeconfig mode: both providers use the same file and context; relative paths are rewritten for the stack directory', () => {
  const stack = synth({ kubeconfig: { path: 'kubeconfigs/demo.yaml', context: 'demo-core-a' } });
  const expected = { config_path: '../../../kubeconfigs/demo.yaml', config_context: 'demo-core-a' };
  expect(stack.provider.kubernetes).toEqual([expected]);
  // Helm provider 3.x: `kubernetes` is one nested object, not a block list.
  expect(stack.provider.helm).toEqual([{ kubernetes: expected }]);
});

test('kubeconfig mode keeps ~/ paths for the deploying machine to expand', () => {
  expect(synth({ kubeconfig: { path: '~/.kube/hsa.yaml', context: 'c' } }).provider.kubernetes[0]!.config_path).toBe('~/.kube/hsa.yaml');
});

test('host mode: CA read from the repository with file(), token from a sensitive variable, never in plaintext', () => {
  const stack = synth({ host: 'https://k8s-core-a.gd.hsa.internal:6443', caCertificateFile: 'certs/guangdong/core-a-ca.pem' });
  const expected = {
    host: 'https://k8s-core-a.gd.hsa.internal:6443',
    cluster_ca_certificate: '${file("../../../certs/guangdong/core-a-ca.pem")}',
    token: '${var.cluster_token}',
  };
  expect(stack.provider.kubernetes).toEqual([expected]);
  expect(stack.provider.helm).toEqual([{ kubernetes: expected }]);
  expect(stack.variable!.cluster_token).toMatchObject({ type: 'string', sensitive: true, nullable: false });
});

test('both providers are pinned in required_providers', () => {
  const required = (synth({ kubeconfig: { path: '~/k', context: 'c' } }).terraform.required_providers ?? {}) as Record<string, { version: string }>;
  expect(Object.keys(required).sort()).toEqual(['helm', 'kubernetes']);
  expect(required.kubernetes!.version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(required.helm!.version).toMatch(/^\d+\.\d+\.\d+$/);
});
