// The README's reuse example, as a consumer writes it against the published package: a Redis DR pair
// of another system (a bank's idempotency store) in two datacenters. test/package.test.ts runs this file
// against the packed tarball.
const { App, TerraformStack } = require('cdktf');
const { ClusterProviders, PlatformNamespace, RedisDrPair, chartSourceOf, CHART_VERSIONS } = require('hsa-dr-toolkit');

const app = new App({ outdir: process.argv[2] ?? 'cdktf.out', stackTraces: false });
const vips = { A: '172.20.1.21', B: '172.21.1.21' };
const activeSite = 'A';
for (const site of ['A', 'B']) {
  const stack = new TerraformStack(app, `bank-${site.toLowerCase()}`);
  new ClusterProviders(stack, 'Cluster', { connection: { kubeconfig: { path: '~/.kube/bank.yaml', context: `bank-${site.toLowerCase()}` } } });
  const namespace = new PlatformNamespace(stack, 'Middleware', { name: 'bank-middleware' });
  const standby = site !== activeSite;
  new RedisDrPair(stack, 'Redis', {
    zone: 'core',
    site,
    namespace: namespace.namespaceName,
    source: chartSourceOf('https://charts.bank.example.internal', 'registry.bank.example.internal/platform'),
    role: 'redis-cache',
    releaseName: 'idempotency',
    chartVersion: CHART_VERSIONS.redis,
    mode: standby ? 'standby' : 'primary',
    address: { host: vips[site], port: 6379 },
    ...(standby ? { replicationSource: { host: vips[activeSite], port: 6379 } } : {}),
    peerAddress: { host: vips[site === 'A' ? 'B' : 'A'], port: 6379 },
    replicas: 2,
    memoryMiB: 2048,
    storageGiB: 20,
    evictionPolicy: 'allkeys-lru',
    authSecret: 'bank-redis-auth',
    tlsSecret: 'bank-redis-tls',
  });
}
app.synth();
