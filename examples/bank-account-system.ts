/**
 * Example: a bank's account system (账户型, JR/T 0209-2021) in two datacenters, built only from the
 * toolkit's public exports (`../index`). One zone, the account service and a transaction-flow service at
 * both sites, Redis and Kafka paired across the datacenters; each datacenter is its own stack with its
 * own cluster and state.
 *
 *   node --require tsx/cjs examples/bank-account-system.ts [outdir]
 */
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import {
  BusinessApplication,
  chartSourceOf,
  CHART_VERSIONS,
  ClusterProviders,
  configureStateBackend,
  KafkaDrPair,
  kafkaUsers,
  otherSite,
  Peer,
  PlatformNamespace,
  PORTS,
  RedisDrPair,
  SITES,
  TenantNamespace,
  type Site,
} from '../index';

/** The bank's own addresses for each datacenter's Redis and Kafka (cross-datacenter VIPs). */
const MIDDLEWARE_VIPS = {
  A: { 'redis-cache': '172.20.1.21', kafka: '172.20.1.23' },
  B: { 'redis-cache': '172.21.1.21', kafka: '172.21.1.23' },
} as const;
/** One address per Kafka broker in each datacenter (clients and the other site connect to each). */
const KAFKA_BROKER_VIPS = {
  A: ['172.20.1.31', '172.20.1.32', '172.20.1.33'],
  B: ['172.21.1.31', '172.21.1.32', '172.21.1.33'],
} as const;

export interface BankSiteProps {
  readonly site: Site;
  readonly activeSite: Site;
  readonly kubeconfigContext: string;
  readonly imageRegistry: string;
}

/** One datacenter of the bank's account system. */
export class BankAccountSiteStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: BankSiteProps) {
    super(scope, id);
    configureStateBackend(this, id, { type: 'local', directory: 'terraform-state' });
    new ClusterProviders(this, 'Cluster', { connection: { kubeconfig: { path: '~/.kube/bank.yaml', context: props.kubeconfigContext } } });

    // Redis (idempotency store) and Kafka (transaction flow), paired across the datacenters: the
    // active site is primary, the other follows it; changing activeSite reverses both pairs. The pairs
    // take plain values: the bank's own names, sizes and Secrets, no province model.
    const middleware = new PlatformNamespace(this, 'Middleware', { name: 'bank-middleware' });
    const source = chartSourceOf('https://charts.bank.example.internal', props.imageRegistry);
    const common = { zone: 'core' as const, site: props.site, namespace: middleware.namespaceName, source };
    const mode = props.site === props.activeSite ? 'primary' : 'standby';
    const vips = MIDDLEWARE_VIPS[props.site];
    const activeVips = MIDDLEWARE_VIPS[props.activeSite];
    new RedisDrPair(this, 'Redis', {
      ...common,
      role: 'redis-cache',
      releaseName: 'redis-cache',
      chartVersion: CHART_VERSIONS.redis,
      mode,
      address: { host: vips['redis-cache'], port: PORTS.redis },
      ...(mode === 'standby' ? { replicationSource: { host: activeVips['redis-cache'], port: PORTS.redis } } : {}),
      peerAddress: { host: MIDDLEWARE_VIPS[otherSite(props.site)]['redis-cache'], port: PORTS.redis },
      replicas: 2,
      memoryMiB: 4096,
      storageGiB: 20,
      evictionPolicy: 'allkeys-lru',
      authSecret: 'bank-redis-auth',
      tlsSecret: 'bank-redis-tls',
    });
    new KafkaDrPair(this, 'Kafka', {
      ...common,
      clusterName: 'bank-kafka',
      operatorChartVersion: CHART_VERSIONS.strimzi,
      mode,
      address: { host: vips.kafka, port: PORTS.kafkaExternal },
      brokerAddresses: KAFKA_BROKER_VIPS[props.site],
      ...(mode === 'standby' ? { mirrorSource: { host: activeVips.kafka, port: PORTS.kafkaExternal } } : {}),
      localAlias: `bank-${props.site.toLowerCase()}`,
      sourceAlias: `bank-${props.activeSite.toLowerCase()}`,
      storageGiB: 200,
      tlsSecret: 'bank-kafka-tls',
      usersSecret: 'bank-kafka-users',
      // The toolkit's MirrorMaker 2 and switchover users, and the transfer flow's (topics and groups `transfer.*`).
      users: kafkaUsers([{ user: 'bank-transfer-flow', prefix: 'transfer.' }]),
    });

    const namespace = new TenantNamespace(this, 'Accounts', {
      kind: 'project',
      namespace: 'bank-accounts',
      displayName: '账户系统',
      group: 'bank:accounts-ops',
      quota: { cpu: 32, memoryGiB: 64, pods: 100 },
      labels: { 'bank.example/site': props.site },
    });
    namespace.allowFrom('AllowFromIngress', Peer.namespace('bank-ingress'), [8080]);

    const app = {
      namespace,
      requests: { cpuMilli: 1000, memoryMiB: 2048 },
      limits: { cpuMilli: 2000, memoryMiB: 4096 },
      labels: { 'bank.example/site': props.site },
    };
    // Account type: strong consistency, so only the active site takes writes; the standby runs warm.
    const active = props.site === props.activeSite;
    new BusinessApplication(this, 'AccountService', {
      ...app,
      name: 'account-service',
      image: `${props.imageRegistry}/account-service:5.2.0`,
      version: '5.2.0',
      replicas: active ? 4 : 2,
      config: { ACCOUNT_DB_HOST: 'account-db.bank.example.internal', ACCOUNT_WRITES_ENABLED: String(active) },
    });
    new BusinessApplication(this, 'TransferFlow', {
      ...app,
      name: 'transfer-flow',
      image: `${props.imageRegistry}/transfer-flow:5.2.0`,
      version: '5.2.0',
      replicas: 3,
      config: { SERIAL_NUMBER_PREFIX: `T${props.site}`, IDEMPOTENCY_STORE: 'redis.bank.example.internal:6379' },
    });
  }
}

export function buildBankAccountSystem(outdir: string, activeSite: Site = 'A'): App {
  const app = new App({ outdir, stackTraces: false });
  for (const site of SITES) {
    new BankAccountSiteStack(app, `bank-accounts-${site.toLowerCase()}`, {
      site,
      activeSite,
      kubeconfigContext: `bank-${site.toLowerCase()}`,
      imageRegistry: 'registry.bank.example.internal/core',
    });
  }
  return app;
}

if (require.main === module) {
  buildBankAccountSystem(process.argv[2] ?? 'cdktf.out.examples').synth();
}
