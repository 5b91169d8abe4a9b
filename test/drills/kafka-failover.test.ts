/**
 * Kafka DR drill: two real Apache Kafka clusters (KRaft, the version the toolkit deploys, jars from Maven
 * Central: test/drills/kafka/pom.xml), one in each datacenter's network namespace at the environment's
 * own addresses (the zone's Kafka VIP and first broker VIP, port 9094; the in-cluster bootstrap Service
 * stands as 127.0.0.1:9092 inside each namespace). What the Strimzi operator would make of the
 * synthesized custom resources, the drill makes itself and says so:
 * - Kafka: each `spec.kafka.listeners[]` entry becomes a broker listener (`tls` -> SSL with the
 *   certificate of `configuration.brokerCertChainAndKey`, `authentication.type: scram-sha-512` ->
 *   SASL with SCRAM-SHA-512); `authorization.type: simple` -> the StandardAuthorizer. Strimzi's own
 *   replication and controller listeners (its brokers' identity) are plaintext on 127.0.0.1 here, as
 *   super user; the drill's single broker takes its replication factors from the drill, not from
 *   `spec.kafka.config`.
 * - KafkaUser (the User Operator): SCRAM-SHA-512 credentials from the users Secret (formatted into the
 *   cluster's metadata), `spec.authorization.acls` created as Kafka ACLs.
 * - KafkaMirrorMaker2: `spec.target` becomes the Connect worker (bootstrap, group id, the three storage
 *   topics, its config, its login), each `spec.mirrors[]` entry a MirrorSourceConnector and a
 *   MirrorCheckpointConnector posted to Connect's REST API with the entry's patterns (include and
 *   exclude), tasks and connector config, byte-array converters, and each cluster's `tls` and
 *   `authentication` as `source.cluster.*` / `target.cluster.*` client settings (the truststore as a
 *   PEM file where Strimzi builds a PKCS12 one). Its source is the other site's real address, across
 *   the inter-datacenter link, over TLS as `hsa-mirror-maker`.
 * The project's applications (producer, consumer group) log in as the project's user on its topic
 * prefix; the switchover logs in as `hsa-switchover`. A project's user must not reach another project's
 * topics, and the external listener must not answer without TLS.
 *
 * The switchover is `executeSwitchover` (what `npm run switchover` runs) with a deployer that starts or
 * stops MirrorMaker 2 as the synthesized stacks of the new active site say. A producer writes at a steady
 * rate at A, a consumer group commits part of it; the link is cut mid-write and A keeps acknowledging
 * writes of its own. The failover promotes B; the group resumes at B from its translated offsets; when A
 * is back its records MirrorMaker 2 never copied are counted and saved, A is rebuilt clean and follows B.
 * Every acknowledged message must be at B or saved (0 lost), and the count of saved records must equal
 * the acknowledged messages missing at B. Then a planned failback to A (B writes, then stops; the
 * switchover waits for the mirror, moves, rebuilds B clean): 0 lost, 0 twice. Without the identity
 * replication policy, or with a plaintext external listener, the drill must fail.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { loadEnvironments } from '../../model/load-environment';
import { KAFKA_SYSTEM_USERS } from '../../pairs/kafka/kafka-plan';
import { resolveProvince } from '../../model/platform-model';
import { otherSite, type Site } from '../../model/topology';
import { buildPlatformApp } from '../../stacks/platform-app';
import { executeSwitchover, InjectedFault, type Deployer, type SwitchoverOutcome } from '../../switchover/execute-switchover';
import { kafkaPairsOf, type KafkaPairRef } from '../../pairs/kafka/kafka-driver';
import { groupOffsets, KafkaAuthenticationError, kafkaReachable, readRecords, withAdmin, type KafkaAccess, type KafkaTarget } from '../../pairs/kafka/kafka-member';
import { issueSiteCertificates, type SiteCertificates } from './support/certificates';
import { buildTwoDatacenters, cutLink, namespacesAvailable, restoreLink, setSeatReachable, spawnIn, tearDownAll } from './support/two-datacenters';
import { sleep, waitFor } from './support/timing';
import { terraformLiteralText } from '../../synthesized/terraform-literal';

jest.setTimeout(900_000);

const ROOT = join(__dirname, '..', '..');
const LIBS = process.env.HSA_KAFKA_LIBS ?? join(ROOT, '.cache', 'kafka-libs');
// The project hxjb (核心经办): its applications' topics and groups carry its prefix, as its ACLs demand.
const PROJECT_USER = 'proj-hxjb';
const TOPIC = 'hxjb.settlement-events';
const GROUP = 'hxjb.settlement-app';
/** The User Operator's stand-in: a super user the drill creates the users' ACLs with. */
const OPERATOR_USER = 'hsa-drill-user-operator';
// 100 s of writes: Connect starts, the consumer group's offsets reach B (checkpoints every 10 s) and
// the link is cut while A still writes.
const MESSAGES = 40000;
const PER_SECOND = 400;
const INTERNAL = '127.0.0.1:9092';
const CONNECT_PORT = 8083;

interface ClusterLogin {
  tls?: { trustedCertificates: { secretName: string; certificate: string }[] };
  authentication?: { type: 'scram-sha-512'; username: string; passwordSecret: { secretName: string; password: string } };
}

interface MirrorMaker2 {
  spec: {
    target: { alias: string; bootstrapServers: string; groupId: string; configStorageTopic: string; statusStorageTopic: string; offsetStorageTopic: string; config: Record<string, string | number> } & ClusterLogin;
    mirrors: {
      source: { alias: string; bootstrapServers: string } & ClusterLogin;
      sourceConnector: { tasksMax: number; config: Record<string, string | number> };
      checkpointConnector: { tasksMax: number; config: Record<string, string | number> };
      topicsPattern: string;
      topicsExcludePattern: string;
      groupsPattern: string;
      groupsExcludePattern: string;
    }[];
  };
}

interface KafkaListener {
  name: string;
  port: number;
  type: string;
  tls: boolean;
  authentication?: { type: 'scram-sha-512' };
  configuration?: { brokerCertChainAndKey?: { secretName: string; certificate: string; key: string }; brokers?: { broker: number; advertisedHost: string }[] };
}

interface KafkaCluster {
  spec: { kafka: { listeners: KafkaListener[]; authorization?: { type: 'simple' } } };
}

interface KafkaUserAcl {
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' | 'prefix' } | { type: 'cluster' };
  operations: string[];
}

interface KafkaUser {
  metadata: { name: string };
  spec: { authentication: { type: 'scram-sha-512'; password: { valueFrom: { secretKeyRef: { name: string; key: string } } } }; authorization: { type: 'simple'; acls: KafkaUserAcl[] } };
}

/** The Kafka custom resources of one core stack as synthesized. */
interface SynthesizedKafka {
  cluster: KafkaCluster;
  users: KafkaUser[];
  mirror?: MirrorMaker2;
}

type Mutation = 'none' | 'default-replication-policy' | 'plaintext-external-listener';

/** The synthesized Kafka resources of each core stack, per active site, broken on purpose by `mutation`. */
function synthesizedKafka(work: string, mutation: Mutation): Record<Site, Record<Site, SynthesizedKafka>> {
  const envs = loadEnvironments(join(ROOT, 'environments'), ['demo']);
  const result = { A: {}, B: {} } as Record<Site, Record<Site, SynthesizedKafka>>;
  for (const active of ['A', 'B'] as const) {
    const outdir = join(work, `synth-${active}`);
    buildPlatformApp(outdir, envs, { activeSite: active }).synth();
    for (const site of ['A', 'B'] as const) {
      const stack = JSON.parse(terraformLiteralText(readFileSync(join(outdir, 'stacks', `demo-core-${site.toLowerCase()}`, 'cdk.tf.json'), 'utf8'))) as { resource: { kubernetes_manifest?: Record<string, { manifest: { kind: string } }> } };
      const manifests = Object.values(stack.resource.kubernetes_manifest ?? {}).map((m) => m.manifest);
      const cluster = manifests.find((m) => m.kind === 'Kafka') as (KafkaCluster & { kind: string }) | undefined;
      if (!cluster) throw new Error(`demo-core-${site.toLowerCase()} (active ${active}) has no Kafka custom resource`);
      const mirror = manifests.find((m) => m.kind === 'KafkaMirrorMaker2') as (MirrorMaker2 & { kind: string }) | undefined;
      if (mirror && mutation === 'default-replication-policy') {
        for (const entry of mirror.spec.mirrors) {
          delete entry.sourceConnector.config['replication.policy.class'];
          delete entry.checkpointConnector.config['replication.policy.class'];
        }
      }
      if (mutation === 'plaintext-external-listener') {
        for (const listener of cluster.spec.kafka.listeners) if (listener.type === 'loadbalancer') listener.tls = false;
      }
      result[active][site] = { cluster, users: manifests.filter((m) => m.kind === 'KafkaUser') as unknown as KafkaUser[], ...(mirror ? { mirror } : {}) };
    }
  }
  return result;
}

/** Security protocol of a listener as Strimzi configures it. */
/** A KafkaUser ACL operation as the admin API names it. */
function aclOperation(operation: string): AclOperationTypes {
  const operations: Record<string, AclOperationTypes> = {
    Read: AclOperationTypes.READ,
    Write: AclOperationTypes.WRITE,
    Create: AclOperationTypes.CREATE,
    Delete: AclOperationTypes.DELETE,
    Alter: AclOperationTypes.ALTER,
    Describe: AclOperationTypes.DESCRIBE,
    DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
    AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
    All: AclOperationTypes.ALL,
  };
  const found = operations[operation];
  if (found === undefined) throw new Error(`KafkaUser ACL operation ${operation}: the drill does not map it`);
  return found;
}

function securityProtocol(tls: boolean, scram: boolean): string {
  return `${scram ? 'SASL_' : ''}${tls ? 'SSL' : 'PLAINTEXT'}`;
}

const scramLogin = (username: string, password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;

class KafkaDatacenters {
  private readonly mirrors = new Map<Site, { worker: ChildProcess; cr: MirrorMaker2 }>();
  private readonly brokers = new Map<Site, ChildProcess>();

  constructor(
    readonly work: string,
    readonly pair: KafkaPairRef,
    private readonly brokerVip: Record<Site, string>,
    private readonly crs: Record<Site, Record<Site, SynthesizedKafka>>,
    /** Each site's Kafka TLS Secret (one CA; a certificate per site naming its Kafka addresses). */
    readonly certificates: Record<Site, SiteCertificates>,
    /** The users Secret: a password per user, the same at both sites. */
    private readonly passwords: ReadonlyMap<string, string>,
  ) {}

  password(user: string): string {
    const password = this.passwords.get(user);
    if (password === undefined) throw new Error(`the users Secret has no key ${user}`);
    return password;
  }

  /** How the drill logs in on a site's external listener as `user` (the switchover's way in). */
  access(user: string): KafkaAccess {
    return { ca: readFileSync(this.certificates.A.ca), username: user, password: this.password(user) };
  }

  target(site: Site, user: string = KAFKA_SYSTEM_USERS.switchover): KafkaTarget {
    return { bootstrap: this.pair.bootstrap[site], access: this.access(user) };
  }

  /** A client properties file for an application of the project inside the site (internal listener). */
  clientConfig(user: string): string {
    const file = join(this.work, `client-${user}.properties`);
    writeFileSync(file, [`security.protocol=${securityProtocol(false, true)}`, 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=${scramLogin(user, this.password(user))}`, ''].join('\n'));
    return file;
  }

  java(site: Site, name: string, args: readonly string[]): ChildProcess {
    const child = spawnIn(site, 'java', ['-Xmx512m', '-cp', `${LIBS}/*`, ...args]);
    const log = join(this.work, `${name}.log`);
    writeFileSync(log, '', { flag: 'a' });
    child.stderr?.on('data', (c: Buffer) => writeFileSync(log, c, { flag: 'a' }));
    return child;
  }

  /** A single-node KRaft cluster at the site's Kafka addresses, its listeners and users from the Kafka resources. */
  startBroker(site: Site): void {
    const { cluster, users } = this.crs.A[site];
    const dir = join(this.work, `kafka-${site}`);
    mkdirSync(dir, { recursive: true });
    const listeners = cluster.spec.kafka.listeners.map((listener) => {
      const name = listener.name.toUpperCase();
      const external = listener.type !== 'internal';
      const scram = listener.authentication?.type === 'scram-sha-512';
      const lines: string[] = [];
      if (scram) lines.push(`listener.name.${listener.name}.sasl.enabled.mechanisms=SCRAM-SHA-512`, `listener.name.${listener.name}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`);
      if (listener.tls) {
        const secret = listener.configuration?.brokerCertChainAndKey;
        if (!secret) throw new Error(`listener ${listener.name}: tls without brokerCertChainAndKey (the drill maps only the toolkit's custom certificate)`);
        // The mounted Secret's key and certificate, as one PEM keystore.
        const keystore = join(dir, `${listener.name}-keystore.pem`);
        writeFileSync(keystore, Buffer.concat([readFileSync(join(this.certificates[site].dir, secret.key)), readFileSync(join(this.certificates[site].dir, secret.certificate))]));
        lines.push(`listener.name.${listener.name}.ssl.keystore.type=PEM`, `listener.name.${listener.name}.ssl.keystore.location=${keystore}`);
      }
      const host = external ? listener.configuration?.brokers?.[0]?.advertisedHost ?? this.brokerVip[site] : '127.0.0.1';
      return { name, bind: `${name}://${external ? '0.0.0.0' : '127.0.0.1'}:${listener.port}`, advertised: `${name}://${host}:${listener.port}`, protocol: `${name}:${securityProtocol(listener.tls, scram)}`, lines };
    });
    const file = join(dir, 'server.properties');
    writeFileSync(
      file,
      [
        'process.roles=broker,controller',
        'node.id=1',
        'controller.quorum.voters=1@127.0.0.1:9093',
        // REPLICATION and CONTROLLER stand for Strimzi's own listeners (its brokers' identity).
        `listeners=${[...listeners.map((l) => l.bind), 'REPLICATION://127.0.0.1:9091', 'CONTROLLER://127.0.0.1:9093'].join(',')}`,
        `advertised.listeners=${[...listeners.map((l) => l.advertised), 'REPLICATION://127.0.0.1:9091'].join(',')}`,
        `listener.security.protocol.map=${[...listeners.map((l) => l.protocol), 'REPLICATION:PLAINTEXT', 'CONTROLLER:PLAINTEXT'].join(',')}`,
        ...listeners.flatMap((l) => l.lines),
        'inter.broker.listener.name=REPLICATION',
        'controller.listener.names=CONTROLLER',
        ...(cluster.spec.kafka.authorization?.type === 'simple' ? ['authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', `super.users=User:ANONYMOUS;User:${OPERATOR_USER}`] : []),
        `log.dirs=${join(dir, 'data')}`,
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        '',
      ].join('\n'),
    );
    const cp = `${LIBS}/*`;
    const clusterId = execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!;
    // The User Operator's part, one: each KafkaUser's SCRAM credentials, from the users Secret.
    const credentials = [OPERATOR_USER, ...users.map((u) => u.spec.authentication.password.valueFrom.secretKeyRef.key)].flatMap((user) => ['--add-scram', `SCRAM-SHA-512=[name=${user},password=${this.password(user)}]`]);
    execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', file, ...credentials], { stdio: 'ignore' });
    const broker = this.java(site, `kafka-${site}`, ['kafka.Kafka', file]);
    broker.stdout?.resume();
    this.brokers.set(site, broker);
  }

  async waitForBroker(site: Site): Promise<void> {
    const operator = this.target(site, OPERATOR_USER);
    const answersTls = () =>
      withAdmin(operator, (admin) => admin.listTopics()).then(
        () => true,
        () => false,
      );
    // The external listener, the one the datacenter link carries, must not answer without TLS.
    const answersPlaintext = async () => {
      const plaintext = new Kafka({ clientId: 'hsa-drill-plaintext-probe', brokers: [this.pair.bootstrap[site]], connectionTimeout: 3000, retry: { retries: 0 }, logLevel: logLevel.NOTHING, sasl: { mechanism: 'scram-sha-512', username: operator.access.username, password: operator.access.password } }).admin();
      const answered = await plaintext.connect().then(
        () => plaintext.listTopics().then(() => true),
        () => false,
      );
      await plaintext.disconnect().catch(() => undefined);
      return answered;
    };
    await waitFor(async () => (await answersTls()) || (await answersPlaintext()), 90, `Kafka at ${site} (${this.pair.bootstrap[site]}) did not start`);
    if (await answersPlaintext()) throw new Error(`Kafka at ${site} (${this.pair.bootstrap[site]}) answers without TLS: the datacenter link would carry its records in clear`);
    // The User Operator's part, two: each KafkaUser's ACLs.
    const acl = this.crs.A[site].users.flatMap((user) =>
      user.spec.authorization.acls.flatMap((rule) =>
        rule.operations.map((operation) => ({
          resourceType: { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, cluster: AclResourceTypes.CLUSTER }[rule.resource.type],
          resourceName: rule.resource.type === 'cluster' ? 'kafka-cluster' : rule.resource.name,
          resourcePatternType: rule.resource.type !== 'cluster' && rule.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
          principal: `User:${user.metadata.name}`,
          host: '*',
          operation: aclOperation(operation),
          permissionType: AclPermissionTypes.ALLOW,
        })),
      ),
    );
    await withAdmin(operator, (admin) => admin.createAcls({ acl }));
  }

  /** Kafka Connect running MirrorMaker 2 at `site`, configured from the custom resource as Strimzi does. */
  async startMirror(site: Site, cr: MirrorMaker2): Promise<void> {
    const target = cr.spec.target;
    const file = join(this.work, `connect-${site}-${Date.now()}.properties`);
    const byteArray = 'org.apache.kafka.connect.converters.ByteArrayConverter';
    const mapAddress = (bootstrap: string) => (bootstrap === target.bootstrapServers ? INTERNAL : bootstrap);
    // A cluster's `tls` and `authentication` as Kafka client settings (Strimzi's KafkaMirrorMaker2Connectors).
    const login = (cluster: ClusterLogin, prefix: string): string[] => {
      const settings: string[] = [];
      const trusted = cluster.tls?.trustedCertificates ?? [];
      if (trusted.length > 0) {
        const truststore = join(this.work, `truststore-${site}-${prefix || 'worker'}.pem`);
        writeFileSync(truststore, Buffer.concat(trusted.map((t) => readFileSync(join(this.certificates[site].dir, t.certificate)))));
        settings.push(`${prefix}ssl.truststore.type=PEM`, `${prefix}ssl.truststore.location=${truststore}`);
      }
      const auth = cluster.authentication;
      if (auth) settings.push(`${prefix}sasl.mechanism=SCRAM-SHA-512`, `${prefix}sasl.jaas.config=${scramLogin(auth.username, this.password(auth.passwordSecret.password))}`);
      settings.push(`${prefix}security.protocol=${securityProtocol(cluster.tls !== undefined, auth?.type === 'scram-sha-512')}`);
      return settings;
    };
    const properties = (lines: string[]) => Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    writeFileSync(
      file,
      [
        `bootstrap.servers=${mapAddress(target.bootstrapServers)}`,
        `group.id=${target.groupId}`,
        `config.storage.topic=${target.configStorageTopic}`,
        `status.storage.topic=${target.statusStorageTopic}`,
        `offset.storage.topic=${target.offsetStorageTopic}`,
        ...Object.entries(target.config).map(([k, v]) => `${k}=${v}`),
        // The worker and its clients log in to the target as the target's `authentication` says.
        ...['', 'producer.', 'consumer.', 'admin.'].flatMap((prefix) => login(target, prefix)),
        `key.converter=${byteArray}`,
        `value.converter=${byteArray}`,
        `listeners=http://${this.pair.bootstrap[site].split(':')[0]}:${CONNECT_PORT}`,
        '',
      ].join('\n'),
    );
    const worker = this.java(site, `connect-${site}`, ['org.apache.kafka.connect.cli.ConnectDistributed', file]);
    worker.stdout?.resume();
    this.mirrors.set(site, { worker, cr });
    await waitFor(async () => (await this.connect(site, 'GET', '/connectors')).status === 200, 120, `Kafka Connect at ${site} did not start`);
    for (const mirror of cr.spec.mirrors) {
      const common = {
        'source.cluster.alias': mirror.source.alias,
        'target.cluster.alias': target.alias,
        'source.cluster.bootstrap.servers': mapAddress(mirror.source.bootstrapServers),
        'target.cluster.bootstrap.servers': mapAddress(target.bootstrapServers),
        ...properties(login(mirror.source, 'source.cluster.')),
        ...properties(login(target, 'target.cluster.')),
        ...Object.fromEntries(Object.entries(target.config).map(([k, v]) => [`target.cluster.${k}`, String(v)])),
        'key.converter': byteArray,
        'value.converter': byteArray,
      };
      const connectors = [
        { name: `${mirror.source.alias}->${target.alias}.MirrorSourceConnector`, class: 'org.apache.kafka.connect.mirror.MirrorSourceConnector', spec: mirror.sourceConnector, extra: { topics: mirror.topicsPattern, 'topics.exclude': mirror.topicsExcludePattern } },
        { name: `${mirror.source.alias}->${target.alias}.MirrorCheckpointConnector`, class: 'org.apache.kafka.connect.mirror.MirrorCheckpointConnector', spec: mirror.checkpointConnector, extra: { groups: mirror.groupsPattern, 'groups.exclude': mirror.groupsExcludePattern } },
      ];
      for (const connector of connectors) {
        const config = { 'connector.class': connector.class, 'tasks.max': String(connector.spec.tasksMax), ...common, ...connector.extra, ...Object.fromEntries(Object.entries(connector.spec.config).map(([k, v]) => [k, String(v)])) };
        const response = await this.connect(site, 'PUT', `/connectors/${encodeURIComponent(connector.name)}/config`, config);
        if (response.status !== 200 && response.status !== 201) throw new Error(`Connect at ${site} refused ${connector.name}: ${response.status} ${response.body}`);
      }
    }
  }

  /** Stops MirrorMaker 2 at `site` as removing the custom resource does (the workers shut down cleanly). */
  async stopMirror(site: Site): Promise<void> {
    const running = this.mirrors.get(site);
    if (!running) return;
    this.mirrors.delete(site);
    await stop(running.worker, 'SIGTERM', 60);
  }

  /** The deployer `executeSwitchover` uses: MirrorMaker 2 at each core stack's site as synthesized. */
  deployer(): Deployer {
    return {
      describe: (stacks, activeSite) => `start or stop MirrorMaker 2 as the synthesized ${stacks.join(', ')} (active site ${activeSite}) say`,
      deploy: async (stacks, activeSite) => {
        for (const stack of stacks.filter((s) => s.includes('-core-'))) {
          const site: Site = stack.endsWith('-a') ? 'A' : 'B';
          const cr = this.crs[activeSite][site].mirror;
          if (this.mirrors.get(site)?.cr === cr) continue;
          await this.stopMirror(site);
          if (cr) await this.startMirror(site, cr);
        }
      },
    };
  }

  connect(site: Site, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ host: this.pair.bootstrap[site].split(':')[0], port: CONNECT_PORT, path, method, headers: data ? { 'content-type': 'application/json' } : {}, timeout: 10_000 }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', () => resolve({ status: 0, body: '' }));
      req.on('timeout', () => req.destroy());
      req.end(data);
    });
  }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals, seconds: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  await exited;
  clearTimeout(timer);
}

/** JSON events of a Verifiable* tool, line by line. */
function events(child: ChildProcess, on: (event: { name: string; value?: string; success?: boolean }) => void): Promise<void> {
  let buffer = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) on(JSON.parse(line) as { name: string; value?: string; success?: boolean });
  });
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * An application consuming as GROUP at `site`, committing as it goes, from its committed offsets (at B:
 * those MirrorMaker 2 translated); a partition the group never committed is read from its beginning.
 */
function startConsumer(dc: KafkaDatacenters, site: Site): { values: string[]; idleMs: () => number; stop: () => Promise<string[]> } {
  const child = dc.java(site, `consumer-${site}`, ['org.apache.kafka.tools.VerifiableConsumer', '--topic', TOPIC, '--group-id', GROUP, '--verbose', '--reset-policy', 'earliest', '--bootstrap-server', INTERNAL, '--consumer.config', dc.clientConfig(PROJECT_USER)]);
  const values: string[] = [];
  let last = Date.now();
  let committed = 0;
  const log = join(dc.work, `consumer-${site}.events`);
  const exited = events(child, (event) => {
    if (event.name !== 'record_data') writeFileSync(log, `${JSON.stringify(event)}\n`, { flag: 'a' });
    if (event.name === 'record_data') {
      values.push(event.value!);
      last = Date.now();
    }
    if (event.name === 'offsets_committed' && event.success) committed++;
  });
  return {
    values,
    idleMs: () => Date.now() - last,
    stop: async () => {
      await stop(child, 'SIGTERM', 20);
      await exited;
      if (values.length > 0 && committed === 0) throw new Error(`consumer at ${site} committed no offsets`);
      return values;
    },
  };
}

async function topicValues(dc: KafkaDatacenters, site: Site): Promise<string[]> {
  const values: string[] = [];
  await readRecords(dc.target(site), TOPIC, undefined, (r) => values.push(r.value?.toString('utf8') ?? ''));
  return values;
}

/**
 * Runs the switchover as an operator would. With `kills`, the run is killed at every fault point it has
 * not been killed at yet (before and after each step) and started again on its journal each time.
 */
async function switchover(dc: KafkaDatacenters, journal: string, activeSite: Site, extra: { siteLost?: Site; discardDivergent?: boolean; kills?: Set<string> } = {}): Promise<SwitchoverOutcome> {
  const env = loadEnvironments(join(ROOT, 'environments'), ['demo'])[0]!.environment;
  const province = resolveProvince('demo', { ...env, activeSite });
  const lines: string[] = [];
  const kills = extra.kills;
  let killed = 0;
  for (;;) {
    try {
      const outcome = await executeSwitchover({
        province,
        kinds: ['kafka'],
        to: otherSite(activeSite),
        ...(extra.siteLost ? { siteLost: extra.siteLost } : {}),
        execute: true,
        journalDir: journal,
        kafka: dc.access(KAFKA_SYSTEM_USERS.switchover),
        discardDivergent: extra.discardDivergent ?? false,
        deployer: dc.deployer(),
        print: (line) => lines.push(line),
        ...(kills ? { killAt: (point: string) => !kills.has(point) && kills.add(point) !== undefined } : {}),
      });
      console.log(`switchover ${activeSite} -> ${otherSite(activeSite)}${extra.siteLost ? ` (site ${extra.siteLost} lost)` : ''}: ${outcome.status}${kills ? ` after ${killed} kills and restarts` : ''}${'reason' in outcome ? ` (${outcome.reason})` : ''}\n${lines.join('\n')}`);
      return outcome;
    } catch (error) {
      if (!(error instanceof InjectedFault)) throw error;
      killed++;
      lines.push(`-- ${error.message}; started again on the journal`);
    }
  }
}

interface DrillResult {
  acknowledged: number;
  missingAtB: number;
  divergentSaved: number;
  lostForGood: number;
  resumedAtB: number;
  reconsumedAtB: number;
  consumedAtA: number;
  rtoSeconds: number;
  windowSeconds: number;
  duplicatesAtA: number;
  failback?: FailbackResult;
}

interface FailbackResult {
  acknowledgedAtB: number;
  lost: number;
  unmirroredWhenMoved: number;
  duplicates: { A: number; B: number };
  sameRecords: boolean;
  reconsumedAtA: number;
  rtoSeconds: number;
}

/**
 * Failing back, planned (both sites up, B active, A following): B's applications write and consume, then
 * stop; the switchover B -> A waits until MirrorMaker 2 at A has every record and the group's offsets,
 * promotes A, stops the mirror at A, rebuilds B clean, and verifies B follows A. Every record B
 * acknowledged must be at A, each once, and the group resumes at A.
 */
async function plannedFailback(dc: KafkaDatacenters, journal: string): Promise<FailbackResult> {
  const acknowledged = new Set<string>();
  // Values "2.<n>": distinct from the first producer's.
  const producer = dc.java('B', 'producer-B', ['org.apache.kafka.tools.VerifiableProducer', '--topic', TOPIC, '--max-messages', '4000', '--throughput', String(PER_SECOND), '--acks', '-1', '--value-prefix', '2', '--bootstrap-server', INTERNAL, '--producer.config', dc.clientConfig(PROJECT_USER)]);
  const produced = events(producer, (event) => {
    if (event.name === 'producer_send_success') acknowledged.add(event.value!);
  });
  const consumerAtB = startConsumer(dc, 'B');
  await produced;
  await waitFor(async () => consumerAtB.idleMs() > 10_000, 120, 'the group at B did not settle');
  const consumedAtB = await consumerAtB.stop();

  const outcome = await switchover(dc, journal, 'B');
  expect(outcome).toMatchObject({ status: 'completed' });
  const report = outcome.status === 'completed' ? outcome.report : undefined;
  const kafka = report!.pairs.find((p) => p.pair.startsWith('kafka@'))!;

  const [atA, atB] = [await topicValues(dc, 'A'), await topicValues(dc, 'B')];
  const consumerAtA = startConsumer(dc, 'A');
  await waitFor(async () => consumerAtA.idleMs() > 15_000, 180, 'the group at A did not settle');
  const resumedAtA = await consumerAtA.stop();
  const seen = new Set([...consumedAtB, ...resumedAtA]);
  const setA = new Set(atA);
  const seenAtB = new Set(consumedAtB);
  const result: FailbackResult = {
    acknowledgedAtB: acknowledged.size,
    lost: [...acknowledged].filter((v) => !setA.has(v) || !seen.has(v)).length,
    unmirroredWhenMoved: kafka.unmirroredRecords ?? -1,
    duplicates: { A: atA.length - setA.size, B: atB.length - new Set(atB).size },
    sameRecords: atA.length === atB.length && atB.every((v) => setA.has(v)),
    reconsumedAtA: resumedAtA.filter((v) => seenAtB.has(v)).length,
    rtoSeconds: report!.rtoSeconds,
  };
  console.log(
    `Kafka planned failback B -> A: ${result.acknowledgedAtB} acknowledged at B, not copied when the switchover moved: ${result.unmirroredWhenMoved}, lost: ${result.lost}; ` +
      `A holds ${atA.length} records (${result.duplicates.A} twice), B rebuilt from A ${atB.length} (${result.duplicates.B} twice); the group read ${result.reconsumedAtA} again at A; RTO ${result.rtoSeconds.toFixed(1)} s`,
  );
  return result;
}

async function siteLossDrill(mutation: Mutation): Promise<DrillResult> {
  if (!existsSync(LIBS) || readdirSync(LIBS).length === 0) {
    throw new Error(`no Kafka jars in ${LIBS}: run mvn -f test/drills/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=${LIBS} (.ci/run does)`);
  }
  const work = mkdtempSync(join(tmpdir(), 'hsa-kafka-drill-'));
  const journal = join(work, 'journal');
  try {
    const env = loadEnvironments(join(ROOT, 'environments'), ['demo'])[0]!.environment;
    const province = resolveProvince('demo', { ...env, activeSite: 'A' });
    const [pair] = kafkaPairsOf(province);
    if (!pair) throw new Error('demo has no Kafka DR pair');
    const brokerVip = Object.fromEntries((['A', 'B'] as const).map((s) => [s, province.units.find((u) => u.zone === pair.zone && u.site === s)!.middlewarePlan.kafka!.brokerAddresses[0]!])) as Record<Site, string>;
    const host = (s: Site) => pair.bootstrap[s].split(':')[0]!;
    buildTwoDatacenters({ A: [host('A'), brokerVip.A], B: [host('B'), brokerVip.B] });
    const crs = synthesizedKafka(work, mutation);
    // The users Secret (the same at both sites) and each site's listener certificate, as an operator
    // would create them before deploying.
    const users = [...new Set([...crs.A.A.users, ...crs.A.B.users].map((u) => u.spec.authentication.password.valueFrom.secretKeyRef.key)), OPERATOR_USER];
    const passwords = new Map(users.map((user) => [user, randomBytes(18).toString('base64url')]));
    const certificates = issueSiteCertificates(work, 'kafka', { A: [host('A'), brokerVip.A], B: [host('B'), brokerVip.B] });
    const dc = new KafkaDatacenters(work, pair, brokerVip, crs, certificates, passwords);
    dc.startBroker('A');
    dc.startBroker('B');
    await Promise.all([dc.waitForBroker('A'), dc.waitForBroker('B')]);
    await withAdmin(dc.target('A', PROJECT_USER), (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }));
    // Least privilege: another project's user reaches none of this project's topics.
    const otherProject = crs.A.A.users.map((u) => u.metadata.name).find((name) => name.startsWith('proj-') && name !== PROJECT_USER);
    if (!otherProject) throw new Error('demo core has one Kafka project only: the least-privilege check needs two');
    const seenByOther = await withAdmin(dc.target('A', otherProject), (admin) => admin.fetchTopicMetadata({ topics: [TOPIC] })).then(
      () => 'read the topic metadata',
      (error: Error) => error.message,
    );
    if (!/not authorized|authoriz/i.test(seenByOther)) throw new Error(`${otherProject} reached ${TOPIC} of ${PROJECT_USER}: ${seenByOther}`);
    // A wrong password is a refused login, said so with the user, never "does not answer".
    const wrong = dc.target('A');
    const loginRefused = await kafkaReachable({ ...wrong, access: { ...wrong.access, password: 'not-the-password' } }).then(
      (answered) => `answered: ${String(answered)}`,
      (error: Error) => (error instanceof KafkaAuthenticationError ? error.message : `${error.name}: ${error.message}`),
    );
    if (!loginRefused.includes(`refused the login of user "${KAFKA_SYSTEM_USERS.switchover}"`)) throw new Error(`a wrong Kafka password was reported as: ${loginRefused}`);
    console.log(`Kafka, a wrong password: ${loginRefused}`);

    // A steady producer at A; a consumer group commits part of it there.
    const acknowledged = new Set<string>();
    const producer = dc.java('A', 'producer-A', ['org.apache.kafka.tools.VerifiableProducer', '--topic', TOPIC, '--max-messages', String(MESSAGES), '--throughput', String(PER_SECOND), '--acks', '-1', '--bootstrap-server', INTERNAL, '--producer.config', dc.clientConfig(PROJECT_USER)]);
    const produced = events(producer, (event) => {
      if (event.name === 'producer_send_success') acknowledged.add(event.value!);
    });
    const consumerAtA = startConsumer(dc, 'A');
    // Site A active: B's stacks as synthesized (MirrorMaker 2 at B mirroring A).
    await dc.deployer().deploy(['demo-core-b'], 'A');
    await waitFor(async () => (await groupOffsets(dc.target('B')).catch(() => new Map())).has(GROUP), 90, `the group ${GROUP} has no translated offsets at B`);
    // One more checkpoint interval, so the translated offsets follow the group closely.
    await sleep(12_000);

    const sum = (offsets: Map<string, Map<string, number>>) => [...(offsets.get(GROUP)?.values() ?? [])].reduce((a, b) => a + b, 0);
    const committedAtA = sum(await groupOffsets(dc.target('A')));
    const translatedAtB = sum(await groupOffsets(dc.target('B')));
    console.log(`group ${GROUP}: committed ${committedAtA} at A, translated to ${translatedAtB} at B`);

    // Site A lost mid-write: the link and the operator's way into A cut; A keeps acknowledging writes
    // (its consuming application is lost with it).
    const cutAt = acknowledged.size;
    if (cutAt >= MESSAGES) throw new Error(`the producer finished before the link was cut (${cutAt} acknowledged): the drill would prove nothing`);
    cutLink();
    setSeatReachable('A', false);
    const consumedAtA = await consumerAtA.stop();
    // Without a broken configuration, every run of the site loss is killed at every fault point and resumed.
    const kills = mutation === 'none' ? new Set<string>() : undefined;
    const failover = await switchover(dc, journal, 'A', { siteLost: 'A', ...(kills ? { kills } : {}) });
    expect(failover).toMatchObject({ status: 'waiting' });
    await produced;
    expect(acknowledged.size).toBe(MESSAGES);

    // The group resumes at B from its translated offsets.
    const consumerAtB = startConsumer(dc, 'B');
    // Until it has read nothing for 15 s (the JVM starts and joins within that).
    await waitFor(async () => consumerAtB.idleMs() > 15_000, 180, 'the group at B did not settle');
    const resumedAtB = await consumerAtB.stop();
    const atB = new Set(await topicValues(dc, 'B'));
    const missingAtB = [...acknowledged].filter((v) => !atB.has(v));

    // A is back: its records B never got are counted and saved; the switchover refuses until acknowledged.
    restoreLink();
    setSeatReachable('A', true);
    const refused = await switchover(dc, journal, 'A', { siteLost: 'A', ...(kills ? { kills } : {}) });
    expect(refused).toMatchObject({ status: 'refused' });
    const savedFile = join(journal, `divergent-kafka-${pair.zone}.jsonl`);
    const saved = readFileSync(savedFile, 'utf8').split('\n').filter(Boolean).map((l) => Buffer.from((JSON.parse(l) as { value: string }).value, 'base64').toString('utf8'));
    const completed = await switchover(dc, journal, 'A', { siteLost: 'A', discardDivergent: true, ...(kills ? { kills } : {}) });
    if (kills) console.log(`Kafka site loss: killed at ${kills.size} fault points and resumed each time`);
    expect(completed).toMatchObject({ status: 'completed' });
    const report = completed.status === 'completed' ? completed.report : undefined;
    const kafkaReport = report!.pairs.find((p) => p.pair === `kafka@${pair.zone}`)!;

    // A was rebuilt clean and follows B: it holds B's records, each once.
    const atA = await topicValues(dc, 'A');
    const duplicatesAtA = atA.length - new Set(atA).size;
    expect(new Set(atA)).toEqual(atB);

    const savedSet = new Set(saved);
    const lostForGood = [...acknowledged].filter((v) => !atB.has(v) && !savedSet.has(v)).length;
    const seenAtA = new Set(consumedAtA);
    const reconsumedAtB = resumedAtB.filter((v) => seenAtA.has(v)).length;
    const result: DrillResult = {
      acknowledged: acknowledged.size,
      missingAtB: missingAtB.length,
      divergentSaved: kafkaReport.divergentRecords ?? -1,
      lostForGood,
      resumedAtB: resumedAtB.length,
      reconsumedAtB,
      consumedAtA: consumedAtA.length,
      rtoSeconds: report!.rtoSeconds,
      windowSeconds: kafkaReport.windowSeconds ?? -1,
      duplicatesAtA,
    };
    if (mutation === 'none') result.failback = await plannedFailback(dc, join(work, 'journal-failback'));
    console.log(
      `Kafka site-loss drill (${mutation}): ${result.acknowledged} acknowledged at A (${cutAt} before the cut); ` +
        `missing at B: ${result.missingAtB}, saved at A as divergent: ${result.divergentSaved} (${saved.length} lines), lost for good: ${lostForGood}; ` +
        `group consumed ${consumedAtA.length} at A, then ${result.resumedAtB} at B of which ${reconsumedAtB} already consumed at A; RTO ${result.rtoSeconds.toFixed(1)} s, window ${result.windowSeconds} s; ` +
        `A rebuilt: ${atA.length} records, ${duplicatesAtA} duplicates`,
    );
    return result;
  } finally {
    await tearDownAll();
    // HSA_DRILL_KEEP=1 keeps the logs and the journal for a look after a failure.
    if (process.env.HSA_DRILL_KEEP === '1') console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

const available = namespacesAvailable();

afterAll(async () => {
  await tearDownAll();
});

test('site loss, then planned failback: the group resumes at B from translated offsets; every acknowledged record is at B or saved at A, the saved count equals what B misses; A rebuilt clean follows B; failing back loses nothing and copies nothing twice', async () => {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const result = await siteLossDrill('none');
  expect(result.lostForGood).toBe(0);
  expect(result.divergentSaved).toBe(result.missingAtB);
  expect(result.resumedAtB).toBeGreaterThan(0);
  // Resumed from the translated offsets: without them the group would read all it consumed at A again.
  expect(result.reconsumedAtB).toBeLessThan(result.consumedAtA / 2);
  expect(result.duplicatesAtA).toBe(0);
  // (c) failback, planned: nothing lost, nothing twice, both sites hold the same records.
  expect(result.failback).toMatchObject({ lost: 0, unmirroredWhenMoved: 0, duplicates: { A: 0, B: 0 }, sameRecords: true });
  expect(result.failback!.acknowledgedAtB).toBe(4000);
});

test('fails with a broken configuration: without the identity replication policy the topic is renamed at B and the group finds nothing', async () => {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const outcome = await siteLossDrill('default-replication-policy').then(
    (result) => result,
    (error: Error) => error,
  );
  console.log(`Kafka drill without IdentityReplicationPolicy: ${outcome instanceof Error ? outcome.message.split('\n')[0] : JSON.stringify(outcome)}`);
  // The drill must fail on the broken configuration, not on its own machinery: a drill that cannot
  // start its servers proves nothing about the mirror.
  if (outcome instanceof Error) expect(outcome.message).not.toMatch(/no Kafka jars|did not start|needs root|Connect at [AB] refused/);
  const passed = !(outcome instanceof Error) && outcome.lostForGood === 0 && outcome.divergentSaved === outcome.missingAtB && outcome.resumedAtB > 0 && outcome.duplicatesAtA === 0;
  expect(passed).toBe(false);
});

test('fails with a broken configuration: a plaintext external listener is refused before any record crosses the datacenter link', async () => {
  if (!available) throw new Error('this drill needs root and iproute2 (ip netns)');
  const outcome = await siteLossDrill('plaintext-external-listener').then(
    (result) => result,
    (error: Error) => error,
  );
  console.log(`Kafka drill with a plaintext external listener: ${outcome instanceof Error ? outcome.message.split('\n')[0] : JSON.stringify(outcome)}`);
  expect(outcome).toBeInstanceOf(Error);
  expect((outcome as Error).message).toContain('answers without TLS');
});
