/**
 * Apache Kafka at both datacenters as the Kafka drills run it: each site's single KRaft broker and its
 * MirrorMaker 2 (Kafka Connect with MirrorMaker 2's connectors), configured from the synthesized custom
 * resources as the Strimzi operator would (the mapping is described in kafka-failover.test.ts), in the
 * two datacenters' network namespaces (two-datacenters.ts). Used by the site-loss drill
 * (kafka-failover.test.ts) and the alerting drill (kafka-monitoring.test.ts).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { KAFKA_SYSTEM_USERS } from '../../../pairs/kafka/kafka-plan';
import { kafkaPairsOf, type KafkaPairRef } from '../../../pairs/kafka/kafka-driver';
import { withAdmin, type KafkaAccess, type KafkaTarget } from '../../../pairs/kafka/kafka-member';
import type { ProvinceModel } from '../../../model/platform-model';
import type { Site } from '../../../model/topology';
import type { Deployer } from '../../../switchover/execute-switchover';
import { issueSiteCertificates, type SiteCertificates } from './certificates';
import { buildTwoDatacenters, spawnIn } from './two-datacenters';
import { waitFor } from './timing';

const ROOT = join(__dirname, '..', '..', '..');
/** Kafka's jars (test/drills/kafka/pom.xml), copied by .ci/run. */
export const KAFKA_LIBS = process.env.HSA_KAFKA_LIBS ?? join(ROOT, '.cache', 'kafka-libs');
/** The project hxjb (核心经办): its applications' topics and groups carry its prefix, as its ACLs demand. */
export const PROJECT_USER = 'proj-hxjb';
export const PROJECT_TOPIC = 'hxjb.settlement-events';
/** The User Operator's stand-in: a super user the drill creates the users' ACLs with. */
export const OPERATOR_USER = 'hsa-drill-user-operator';
/** The in-cluster bootstrap Service, as each namespace has it. */
export const INTERNAL = '127.0.0.1:9092';
const CONNECT_PORT = 8083;

/** Fails at once, naming the command, when the Kafka jars are not there. */
export function requireKafkaLibs(): void {
  if (!existsSync(KAFKA_LIBS) || readdirSync(KAFKA_LIBS).length === 0) {
    throw new Error(`no Kafka jars in ${KAFKA_LIBS}: run mvn -f test/drills/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=${KAFKA_LIBS} (.ci/run does)`);
  }
}
export interface ClusterLogin {
  tls?: { trustedCertificates: { secretName: string; certificate: string }[] };
  authentication?: { type: 'scram-sha-512'; username: string; passwordSecret: { secretName: string; password: string } };
}

export interface MirrorMaker2 {
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

export interface KafkaListener {
  name: string;
  port: number;
  type: string;
  tls: boolean;
  authentication?: { type: 'scram-sha-512' };
  configuration?: { brokerCertChainAndKey?: { secretName: string; certificate: string; key: string }; brokers?: { broker: number; advertisedHost: string }[] };
}

export interface KafkaCluster {
  spec: { kafka: { listeners: KafkaListener[]; authorization?: { type: 'simple' } } };
}

export interface KafkaUserAcl {
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' | 'prefix' } | { type: 'cluster' };
  operations: string[];
}

export interface KafkaUser {
  metadata: { name: string };
  spec: { authentication: { type: 'scram-sha-512'; password: { valueFrom: { secretKeyRef: { name: string; key: string } } } }; authorization: { type: 'simple'; acls: KafkaUserAcl[] } };
}

/** The Kafka custom resources of one core stack as synthesized. */
export interface SynthesizedKafka {
  cluster: KafkaCluster;
  users: KafkaUser[];
  mirror?: MirrorMaker2;
}

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

export function securityProtocol(tls: boolean, scram: boolean): string {
  return `${scram ? 'SASL_' : ''}${tls ? 'SSL' : 'PLAINTEXT'}`;
}

export const scramLogin = (username: string, password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;

export class KafkaDatacenters {
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
    /** JVM options of a process by its name (`kafka-A`, `connect-B`, ...): e.g. the metrics agent Strimzi adds. */
    private readonly javaOptions: (name: string) => readonly string[] = () => [],
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
    const child = spawnIn(site, 'java', ['-Xmx512m', ...this.javaOptions(name), '-cp', `${KAFKA_LIBS}/*`, ...args]);
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
    const cp = `${KAFKA_LIBS}/*`;
    const clusterId = execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!;
    // The User Operator's part, one: each KafkaUser's SCRAM credentials, from the users Secret.
    const credentials = [OPERATOR_USER, ...users.map((u) => u.spec.authentication.password.valueFrom.secretKeyRef.key)].flatMap((user) => ['--add-scram', `SCRAM-SHA-512=[name=${user},password=${this.password(user)}]`]);
    execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', file, ...credentials], { stdio: 'ignore' });
    const broker = this.java(site, `kafka-${site}`, ['kafka.Kafka', file]);
    broker.stdout?.resume();
    this.brokers.set(site, broker);
  }

  /** Stops the site's broker as a pod's termination does (SIGTERM, then SIGKILL after 30 s). */
  async stopBroker(site: Site): Promise<void> {
    const broker = this.brokers.get(site);
    if (!broker) return;
    this.brokers.delete(site);
    await stop(broker, 'SIGTERM', 30);
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

export async function stop(child: ChildProcess, signal: NodeJS.Signals, seconds: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  await exited;
  clearTimeout(timer);
}

/** The Kafka custom resources of a synthesized core stack (its `kubernetes_manifest` manifests); `where` names it in errors. */
export function kafkaResourcesOf(where: string, manifests: readonly ({ kind: string } & Record<string, unknown>)[]): SynthesizedKafka {
  const cluster = manifests.find((m) => m.kind === 'Kafka') as unknown as KafkaCluster | undefined;
  if (!cluster) throw new Error(`${where} has no Kafka custom resource`);
  const mirror = manifests.find((m) => m.kind === 'KafkaMirrorMaker2') as unknown as MirrorMaker2 | undefined;
  return { cluster, users: manifests.filter((m) => m.kind === 'KafkaUser') as unknown as KafkaUser[], ...(mirror ? { mirror } : {}) };
}

/**
 * Both datacenters with the province's first Kafka pair: the namespaces at the environment's addresses,
 * the users Secret (the same at both sites) and each site's listener certificate as an operator would
 * create them before deploying, and each site's broker started from the resources of the stacks with A
 * active. `crs[active][site]`: the resources of each site's stack with either site active (the
 * switchover's deployer reads the other).
 */
export async function startKafkaDatacenters(work: string, province: ProvinceModel, crs: Record<Site, Record<Site, SynthesizedKafka>>, javaOptions?: (name: string) => readonly string[]): Promise<KafkaDatacenters> {
  const [pair] = kafkaPairsOf(province);
  if (!pair) throw new Error(`${province.envName} has no Kafka DR pair`);
  const brokerVip = Object.fromEntries((['A', 'B'] as const).map((s) => [s, province.units.find((u) => u.zone === pair.zone && u.site === s)!.middlewarePlan.kafka!.brokerAddresses[0]!])) as Record<Site, string>;
  const host = (s: Site) => pair.bootstrap[s].split(':')[0]!;
  buildTwoDatacenters({ A: [host('A'), brokerVip.A], B: [host('B'), brokerVip.B] });
  const users = [...new Set([...crs.A.A.users, ...crs.A.B.users].map((u) => u.spec.authentication.password.valueFrom.secretKeyRef.key)), OPERATOR_USER];
  const passwords = new Map(users.map((user) => [user, randomBytes(18).toString('base64url')]));
  const certificates = issueSiteCertificates(work, 'kafka', { A: [host('A'), brokerVip.A], B: [host('B'), brokerVip.B] });
  const dc = new KafkaDatacenters(work, pair, brokerVip, crs, certificates, passwords, javaOptions);
  dc.startBroker('A');
  dc.startBroker('B');
  // Both waits end before this returns, even when one fails: a wait left polling after its drill ended
  // would go on loading kafkajs's modules in a torn-down jest environment, which sets jest's exit code to 1
  // (seen in CI: every test passed, the run failed).
  const started = await Promise.allSettled([dc.waitForBroker('A'), dc.waitForBroker('B')]);
  const failed = started.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (failed.length > 0) throw new Error(failed.map((error) => error.message).join('; '));
  return dc;
}
