// The README's reuse example, as a consumer writes it against the published package: a Redis DR pair
// of another system (a bank's idempotency store) in two datacenters. test/package.test.ts runs this file
// against the packed tarball.
const { App, TerraformStack } = require('cdktf');
const { ClusterProviders, PlatformNamespace, RedisDrPair, chartSourceOf, planMiddleware } = require('hsa-dr-toolkit');

const app = new App({ outdir: process.argv[2] ?? 'cdktf.out', stackTraces: false });
for (const site of ['A', 'B']) {
  const stack = new TerraformStack(app, `bank-${site.toLowerCase()}`);
  new ClusterProviders(stack, 'Cluster', { connection: { kubeconfig: { path: '~/.kube/bank.yaml', context: `bank-${site.toLowerCase()}` } } });
  const namespace = new PlatformNamespace(stack, 'Middleware', { name: 'bank-middleware' });
  const plan = planMiddleware({
    zone: 'core',
    site,
    activeSite: 'A',
    middleware: ['redis-cache'],
    vips: { A: { 'redis-cache': '172.20.1.21' }, B: { 'redis-cache': '172.21.1.21' } },
  });
  new RedisDrPair(stack, 'Redis', {
    plan: plan.redis[0],
    zone: 'core',
    site,
    namespace: namespace.namespaceName,
    source: chartSourceOf('https://charts.bank.example.internal', 'registry.bank.example.internal/platform'),
  });
}
app.synth();
