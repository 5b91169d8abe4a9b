import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helmRelease } from '../constructs/l1/helm';
import * as k8s from '../constructs/l1/kubernetes';
import { useProviderClasses, type ProviderClassMode } from '../constructs/l1/light-resource';
import { listEnvironments, loadEnvironmentFile, loadEnvironments } from '../model/load-environment';
import { addProvinceStacks } from '../stacks/province';
import { fleetEnvironment, fleetProvince } from '../bench/fleet';
import { buildPlatformApp } from '../stacks/platform-app';

const ENVIRONMENTS = join(__dirname, '..', 'environments');

function readTree(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, entry.name);
    if (entry.isDirectory()) readTree(dir, rel).forEach((v, k) => files.set(k, v));
    else files.set(rel, readFileSync(join(dir, rel), 'utf8'));
  }
  return files;
}

function synthWith(mode: ProviderClassMode, build: (outdir: string) => App): Map<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), `l1-${mode}-`));
  useProviderClasses(mode);
  try {
    build(outdir).synth();
    return readTree(outdir);
  } finally {
    useProviderClasses('light');
    rmSync(outdir, { recursive: true, force: true });
  }
}

test('every environment synthesizes byte-identically with light resources and with the generated provider classes', () => {
  const environments = loadEnvironments(ENVIRONMENTS, listEnvironments(ENVIRONMENTS));
  const light = synthWith('light', (outdir) => buildPlatformApp(outdir, environments));
  const generated = synthWith('generated', (outdir) => buildPlatformApp(outdir, environments));
  expect([...light.keys()].sort()).toEqual([...generated.keys()].sort());
  for (const [file, text] of generated) expect({ file, text: light.get(file) }).toEqual({ file, text });
});

test('a benchmark fleet province synthesizes byte-identically with light resources and with the generated provider classes', () => {
  const demo = loadEnvironmentFile(join(ENVIRONMENTS, 'demo.json')).environment;
  const { name, environment } = fleetEnvironment(7, demo);
  const build = (outdir: string) => {
    const app = new App({ outdir, stackTraces: false });
    addProvinceStacks(app, fleetProvince(name, environment, 40));
    return app;
  };
  const light = synthWith('light', build);
  const generated = synthWith('generated', build);
  expect([...light.keys()].sort()).toEqual([...generated.keys()].sort());
  expect(light.size).toBeGreaterThan(4);
  for (const [file, text] of generated) expect({ file, text: light.get(file) }).toEqual({ file, text });
});

test('each light factory writes what its generated class writes, for a config using every block kind', () => {
  const build = (outdir: string) => {
    const app = new App({ outdir, stackTraces: false });
    const stack = new TerraformStack(app, 'factories');
    new KubernetesProvider(stack, 'Kubernetes', {});
    new HelmProvider(stack, 'Helm', {});
    const metadata = { name: 'x', namespace: 'ns', labels: { a: 'b' }, annotations: { c: 'd' } };
    k8s.statefulSetV1(stack, 'StatefulSet', {
      metadata,
      waitForRollout: false,
      lifecycle: { preventDestroy: true },
      spec: {
        serviceName: 'x',
        replicas: '2',
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: { container: [{ name: 'x', image: 'x:1.0.0', port: [{ containerPort: 6379 }] }] } },
        volumeClaimTemplate: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
      },
    });
    k8s.manifest(stack, 'Manifest', { manifest: { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaMirrorMaker2', metadata: { name: 'mm2', namespace: 'ns' }, spec: { replicas: 1 } } });
    k8s.serviceAccountV1(stack, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
    k8s.persistentVolumeClaimV1(stack, 'Claim', { metadata, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    k8s.serviceV1(stack, 'Service', { metadata, spec: { type: 'LoadBalancer', loadBalancerIp: '10.0.0.1', port: [{ port: 6379, targetPort: '6379' }] } });
    helmRelease(stack, 'Release', {
      name: 'redis',
      namespace: 'ns',
      repository: 'https://charts.example.internal',
      chart: 'redis',
      version: '20.6.2',
      values: [JSON.stringify({ architecture: 'replication' })],
      set: [{ name: 'replica.replicaCount', value: '3' }],
      setSensitive: [{ name: 'auth.password', value: '${var.redis_password}' }],
      lifecycle: { preventDestroy: true },
    });
    return app;
  };
  expect(synthWith('light', build)).toEqual(synthWith('generated', build));
});
