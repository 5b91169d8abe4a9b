/**
 * The business database run by CloudNativePG (#15; ningxia declares `middleware.database.product`
 * "cloudnative-pg"), read from the synthesized output. `npm run conformance -- --env ningxia` renders the
 * operator chart at its pinned version and validates these Clusters against the chart's own CRD; what a
 * real operator does with them is not drilled here (no Kubernetes cluster on this project's machines).
 */
import type { JsonObject } from '../compliance/types';
import { databasePairsOf } from '../pairs/database/database-driver';
import { resolveProvince } from '../model/platform-model';
import { firstDeployStep } from '../review/first-deploy';
import { loadEnvironment, synthesizeStacks, type SynthesizedStack } from './support/fixtures';

const ningxia = loadEnvironment('ningxia');
const activeA = synthesizeStacks([ningxia]);
const activeB = synthesizeStacks([ningxia], { activeSite: 'B' });

const clusterOf = (stack: SynthesizedStack) => {
  const found = Object.entries(stack.resource.kubernetes_manifest ?? {}).filter(([, m]) => (m.manifest as JsonObject).kind === 'Cluster');
  expect(found).toHaveLength(1);
  return found[0]![1];
};
const specOf = (stack: SynthesizedStack) => (clusterOf(stack).manifest as { spec: JsonObject }).spec;
const policy = (stack: SynthesizedStack, name: string) =>
  Object.values(stack.resource.kubernetes_network_policy_v1 ?? {}).find((p) => (p.metadata as JsonObject).name === name && String((p.metadata as JsonObject).namespace).includes('Middleware'))?.spec as JsonObject | undefined;

describe.each([
  ['A', activeA, 'ningxia-core-a', 'ningxia-core-b', 'hsa-db-a', 'hsa-db-b'],
  ['B', activeB, 'ningxia-core-b', 'ningxia-core-a', 'hsa-db-b', 'hsa-db-a'],
] as const)('with site %s active', (_site, stacks, activeStack, standbyStack, activeCluster, standbyCluster) => {
  test('a distributed topology of two Clusters: both name the active one primary, the standby streams from it over TLS', () => {
    const active = specOf(stacks.get(activeStack)!);
    const standby = specOf(stacks.get(standbyStack)!);
    expect(active.replica).toEqual({ self: activeCluster, primary: activeCluster, source: standbyCluster });
    expect(standby.replica).toEqual({ self: standbyCluster, primary: activeCluster, source: activeCluster });
    // Each names both Clusters, at their sites' database VIPs, logging in as streaming_replica with a client certificate.
    for (const spec of [active, standby]) {
      expect((spec.externalClusters as JsonObject[]).map((c) => [c.name, (c.connectionParameters as JsonObject).host])).toEqual([['hsa-db-a', '10.64.2.40'], ['hsa-db-b', '10.65.2.40']]);
      for (const external of spec.externalClusters as JsonObject[]) {
        expect(external.connectionParameters).toMatchObject({ user: 'streaming_replica', sslmode: 'verify-full', port: '5432' });
        expect(external).toMatchObject({ sslCert: { name: 'hsa-db-replication-tls', key: 'tls.crt' }, sslKey: { name: 'hsa-db-replication-tls', key: 'tls.key' }, sslRootCert: { name: 'hsa-db-tls', key: 'ca.crt' } });
      }
      expect(spec.certificates).toEqual({ serverTLSSecret: 'hsa-db-tls', serverCASecret: 'hsa-db-tls', clientCASecret: 'hsa-db-tls', replicationTLSSecret: 'hsa-db-replication-tls' });
      expect(spec).toMatchObject({ instances: 2, storage: { size: '200Gi' }, imageName: 'harbor.nx.hsa.internal/hsa/cloudnative-pg-postgresql:17.6-standard-trixie', enableSuperuserAccess: false });
    }
    // Created empty at the active site (with Nacos's and XXL-JOB's databases), copied at the other.
    expect(active.bootstrap).toEqual({ initdb: { database: 'hsa', owner: 'hsa', secret: { name: 'hsa-db-owner' }, dataChecksums: true, postInitSQL: ['CREATE DATABASE nacos OWNER hsa', 'CREATE DATABASE xxl_job OWNER hsa'] } });
    // The copy names the same application database: CloudNativePG's exporter runs its queries there
    // (its default, `app`, does not exist in the copy; the database monitoring drill found every
    // replication metric of the standby site missing).
    expect(standby.bootstrap).toEqual({ pg_basebackup: { source: activeCluster, database: 'hsa', owner: 'hsa', secret: { name: 'hsa-db-owner' } } });
    expect((clusterOf(stacks.get(standbyStack)!)['//'] as JsonObject).hsa).toMatchObject({ component: 'dr-pair', role: 'database', mode: 'standby', source: `${activeCluster === 'hsa-db-a' ? '10.64.2.40' : '10.65.2.40'}:5432` });
    expect((clusterOf(stacks.get(activeStack)!)['//'] as JsonObject).hsa).toMatchObject({ component: 'dr-pair', role: 'database', mode: 'primary' });
  });
});

test("each site's VIP is a LoadBalancer on its Cluster's primary; the backup and switchover roles are managed from existing Secrets; Velero skips the data volume", () => {
  for (const [stackName, vip] of [['ningxia-core-a', '10.64.2.40'], ['ningxia-core-b', '10.65.2.40']] as const) {
    const spec = specOf(activeA.get(stackName)!);
    expect((spec.managed as JsonObject).services).toEqual({ additional: [{ selectorType: 'rw', serviceTemplate: { metadata: { name: 'hsa-db-vip' }, spec: { type: 'LoadBalancer', loadBalancerIP: vip } } }] });
    expect((spec.managed as JsonObject).roles).toEqual([
      { name: 'hsa_backup', ensure: 'present', login: true, replication: true, passwordSecret: { name: 'hsa-db-backup' } },
      { name: 'hsa_switchover', ensure: 'present', login: true, inRoles: ['pg_monitor'], passwordSecret: { name: 'hsa-db-switchover' } },
    ]);
    expect(spec.postgresql).toEqual({ pg_hba: ['hostssl replication hsa_backup all scram-sha-256'] });
    expect(spec.inheritedMetadata).toEqual({ annotations: { 'backup.velero.io/backup-volumes-excludes': 'pgdata' } });
    // The toolkit's pg_basebackup job backs up this site's Cluster at its VIP.
    const [job] = Object.values(activeA.get(stackName)!.resource.kubernetes_cron_job_v1 ?? {}) as unknown as { spec: { job_template: { spec: { template: { spec: { container: { env: { name: string; value?: string }[] }[] } } } } } }[];
    expect(job!.spec.job_template.spec.template.spec.container[0]!.env.find((e) => e.name === 'PGHOST')!.value).toBe(vip);
  }
});

test('the operator is namespace-scoped, from the mirror, applied before its Clusters, and the namespace admits what it and the replica need', () => {
  const stack = activeA.get('ningxia-core-b')!;
  const [operator] = Object.values(stack.resource.helm_release ?? {}).filter((r) => r.chart === 'cloudnative-pg');
  expect(operator).toMatchObject({ name: 'cnpg', version: '0.29.0', atomic: true });
  expect(JSON.parse((operator!.values as string[])[0]!)).toEqual({
    image: { repository: 'harbor.nx.hsa.internal/hsa/cloudnative-pg', tag: '1.30.0' },
    config: { clusterWide: false, data: { POSTGRES_IMAGE_NAME: 'harbor.nx.hsa.internal/hsa/cloudnative-pg-postgresql:17.6-standard-trixie' } },
  });
  expect((operator!['//'] as JsonObject).images).toEqual(['harbor.nx.hsa.internal/hsa/cloudnative-pg-postgresql:17.6-standard-trixie', 'harbor.nx.hsa.internal/hsa/cloudnative-pg:1.30.0']);
  expect(firstDeployStep('ningxia-core-b', stack).crdReleases).toContain('helm_release.Platform_Middleware_Database_Operator_54D8CBE4');
  // The API server calls the webhooks; the other site's replica cluster streams on 5432; tenants reach the database in the namespace.
  expect(policy(stack, 'allow-from-api-server')).toMatchObject({ ingress: [{ from: [{ ip_block: { cidr: '10.65.2.5/32' } }], ports: [{ port: '9443', protocol: 'TCP' }] }] });
  expect(JSON.stringify(policy(stack, 'allow-from-peer-datacenter'))).toContain('"cidr":"10.64.2.40/32"');
  expect(JSON.stringify(policy(stack, 'allow-from-peer-datacenter'))).toContain('"port":"5432"');
  expect(JSON.stringify(policy(stack, 'allow-from-tenants'))).toContain('"port":"5432"');
  // A province whose database is outside the cluster keeps none of this.
  const demo = synthesizeStacks([loadEnvironment('demo')]).get('demo-core-b')!;
  expect(policy(demo, 'allow-from-api-server')).toBeUndefined();
  expect(JSON.stringify(policy(demo, 'allow-from-tenants'))).not.toContain('"port":"5432"');
});

test('the switchover checks the pair with PostgreSQL\'s views and tells the operator the CloudNativePG steps, with the demotion token when planned', () => {
  const [pair] = databasePairsOf(resolveProvince('ningxia', ningxia.environment));
  expect(pair!.address).toEqual({ A: { host: '10.64.2.40', port: 5432 }, B: { host: '10.65.2.40', port: 5432 } });
  const planned = { from: 'A', to: 'B', siteLost: false, newPrimary: '10.65.2.40' } as const;
  expect(pair!.probe.dba.demote(planned)).toContain(`patch clusters.postgresql.cnpg.io hsa-db-a --type merge -p '{"spec":{"replica":{"primary":"hsa-db-b"}}}'`);
  const promote = pair!.probe.dba.promote(planned);
  expect(promote).toContain(`get clusters.postgresql.cnpg.io hsa-db-a -o jsonpath='{.status.demotionToken}'`);
  expect(promote).toContain(`patch clusters.postgresql.cnpg.io hsa-db-b --type merge -p '{"spec":{"replica":{"primary":"hsa-db-b","promotionToken":"<the token>"}}}'`);
  const lost = pair!.probe.dba.promote({ ...planned, siteLost: true });
  expect(lost).not.toContain('promotionToken');
  expect(lost).toContain('without a token');
  expect(pair!.probe.dba.repoint({ ...planned, siteLost: true })).toContain('rebuild it from site B');
});
