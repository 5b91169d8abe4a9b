/**
 * A Kafka DR pair's plan (one per zone): the cluster at each site, MirrorMaker 2 at the standby copying the
 * active site, and the users and ACLs both sites share.
 */
import { PORTS, type DrMode, type Endpoint, type PairPlanContext } from '../../model/middleware-model';
import type { Site } from '../../model/topology';

/** Application versions inside those releases, where the toolkit writes the manifests itself. */
export const KAFKA_VERSION = '4.1.0';
/**
 * The names MirrorMaker 2 uses at its target cluster for the mirror from `sourceAlias`: its Kafka
 * Connect group and Connect's three storage topics (named per source, so a later reverse mirror never
 * shares them). The switchover reads the offset storage topic to see how far the mirror has copied.
 */
export function mirrorMakerConnectNames(sourceAlias: string) {
  return {
    groupId: `mirrormaker2-${sourceAlias}`,
    configStorageTopic: `mirrormaker2-${sourceAlias}-configs`,
    statusStorageTopic: `mirrormaker2-${sourceAlias}-status`,
    offsetStorageTopic: `mirrormaker2-${sourceAlias}-offsets`,
  } as const;
}

/**
 * MirrorMaker 2's own topics of the mirror from `sourceAlias` into `targetAlias` (Kafka's defaults):
 * at the target, Connect's storage topics and the checkpoints; at the source, the offset syncs.
 */
export function mirrorMakerStateTopics(sourceAlias: string, targetAlias: string): { readonly atTarget: readonly string[]; readonly atSource: readonly string[] } {
  const connect = mirrorMakerConnectNames(sourceAlias);
  return {
    atTarget: [connect.configStorageTopic, connect.statusStorageTopic, connect.offsetStorageTopic, `${sourceAlias}.checkpoints.internal`],
    atSource: [`mm2-offset-syncs.${targetAlias}.internal`],
  };
}

/**
 * Topics and consumer groups MirrorMaker 2 never copies: its own defaults (`topics.exclude`,
 * `groups.exclude`, which a pattern replaces), plus the Connect storage topics of any mirror (a reverse
 * mirror would otherwise copy the old direction's storage topics) and the switchover's short-lived
 * reading groups. Regular expressions matched against the whole name.
 */
export const MIRROR_TOPICS_EXCLUDED = ['.*[\\-\\.]internal', '.*\\.replica', '__.*', 'mirrormaker2-.*-(configs|status|offsets)'] as const;
export const MIRROR_GROUPS_EXCLUDED = ['console-consumer-.*', 'connect-.*', '__.*', 'hsa-switchover-read-.*'] as const;

/**
 * How often MirrorMaker 2's Connect workers store how far they have copied (Connect's default is 60 s).
 * The switchover's caught-up check and its count of the records only the old site holds read that
 * progress, so it must be fresh within seconds.
 */
export const MIRROR_MAKER_OFFSET_FLUSH_MS = 5000;

/**
 * Kafka users of the toolkit's own machinery. MirrorMaker 2 reads the other site's cluster and writes
 * the local one as `mirrorMaker`; the switchover reads offsets and rebuilds a cluster as `switchover`.
 */
export const KAFKA_SYSTEM_USERS = { mirrorMaker: 'hsa-mirror-maker', switchover: 'hsa-switchover' } as const;

export type KafkaAclOperation = 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'DescribeConfigs' | 'AlterConfigs';

/** One ACL rule as Strimzi's KafkaUser states it (`spec.authorization.acls[]`). */
export interface KafkaAcl {
  readonly resource: { readonly type: 'topic' | 'group'; readonly name: string; readonly patternType: 'literal' | 'prefix' } | { readonly type: 'cluster' };
  readonly operations: readonly KafkaAclOperation[];
}

/**
 * A SCRAM-SHA-512 user of a Kafka pair, the same at both sites (its password is the key `<name>` of the
 * users Secret, so clients keep working after a switchover), with the ACLs it needs and no more.
 */
export interface KafkaUserPlan {
  /** User name; its password is the key of this name in `usersSecret`. */
  readonly name: string;
  /** What the user may do, on which topics and groups (Kafka's simple authorizer). */
  readonly acls: readonly KafkaAcl[];}

/** A tenant whose applications use Kafka: its user is named after its namespace, its topics and groups by prefix. */
export interface KafkaClient {
  readonly user: string;
  /** `<tenant id>.`: the project's topics and consumer groups start with it. */
  readonly prefix: string;
}

/** Every Kafka user of a zone: the toolkit's two and one per project that uses Kafka. */
export function kafkaUsers(clients: readonly KafkaClient[]): KafkaUserPlan[] {
  const all = (type: 'topic' | 'group') => ({ type, name: '*', patternType: 'literal' }) as const;
  return [
    {
      // Source side: read topics, their configs and consumer-group offsets. Target side: create and write
      // the mirrored topics, its Connect group and storage topics, translated group offsets.
      name: KAFKA_SYSTEM_USERS.mirrorMaker,
      acls: [
        { resource: all('topic'), operations: ['Read', 'Write', 'Create', 'Describe', 'DescribeConfigs', 'AlterConfigs'] },
        { resource: all('group'), operations: ['Read', 'Describe'] },
        { resource: { type: 'cluster' }, operations: ['Describe', 'DescribeConfigs'] },
      ],
    },
    {
      // Reads end offsets, group offsets and MirrorMaker 2's progress; deletes mirrored topics and groups
      // when it rebuilds the old site clean.
      name: KAFKA_SYSTEM_USERS.switchover,
      acls: [
        { resource: all('topic'), operations: ['Read', 'Describe', 'Delete'] },
        { resource: all('group'), operations: ['Read', 'Describe', 'Delete'] },
        { resource: { type: 'cluster' }, operations: ['Describe'] },
      ],
    },
    ...clients.map((client) => ({
      name: client.user,
      acls: [
        { resource: { type: 'topic', name: client.prefix, patternType: 'prefix' }, operations: ['Read', 'Write', 'Create', 'Describe'] },
        { resource: { type: 'group', name: client.prefix, patternType: 'prefix' }, operations: ['Read', 'Describe'] },
      ] satisfies KafkaAcl[],
    })),
  ];
}

/** One site's half of a Kafka pair as KafkaDrPair renders it. */
export interface KafkaPairSettings {
  /** Name of the Kafka resource at both sites (Strimzi prefixes its objects with it). */
  readonly clusterName: string;
  /** Strimzi operator chart version; the Kafka version is KAFKA_VERSION, one that operator supports. */
  readonly operatorChartVersion: string;
  /** `primary`: clients write here. `standby`: MirrorMaker 2 here copies the active site's cluster (`mirrorSource`). */
  readonly mode: DrMode;
  /** This site's bootstrap address (the external listener's LoadBalancer VIP). */
  readonly address: Endpoint;
  /**
   * This site's broker addresses, one per broker (node id = index); also the number of brokers. Pinned
   * on each broker's Service and advertised, so clients and the other site's MirrorMaker 2 reach every broker.
   */
  readonly brokerAddresses: readonly string[];
  /**
   * The active site's external listener, mirrored by MirrorMaker 2 here. Required when `mode` is `standby`.
   * @default - none: the active site runs no MirrorMaker 2
   */
  readonly mirrorSource?: Endpoint;
  /** This site's cluster and the mirrored (active) site's cluster as MirrorMaker 2 names them (`<zone>-a`, `<zone>-b`). */
  readonly localAlias: string;
  /** The mirrored (active) site's cluster as MirrorMaker 2 names it. */
  readonly sourceAlias: string;
  /** Each broker's volume (KRaft metadata shares it). */
  readonly storageGiB: number;
  /** Existing Secret with this site's external listener certificate (TLS_SECRET_KEYS); its ca.crt verifies the other site. */
  readonly tlsSecret: string;
  /** Existing Secret holding each user's SCRAM password under the user's name, the same at both sites. */
  readonly usersSecret: string;
  /** Every user: the toolkit's (KAFKA_SYSTEM_USERS) and one per project that uses Kafka. */
  readonly users: readonly KafkaUserPlan[];}

/** One site's half of a Kafka pair, as the model decides it (planKafka): what KafkaDrPair renders, and more for the network policies and the switchover. */
export interface KafkaPlan extends KafkaPairSettings {
  /** The other site's broker addresses (replication in both directions crosses to them). */
  readonly peerBrokerAddresses: readonly string[];
  /** Brokers at each site (the length of `brokerAddresses`). */
  readonly brokers: number;
}

/** The zone's Kafka pair at this site, where its applications use Kafka. */
export function planKafka(context: PairPlanContext): KafkaPlan | undefined {
  const { zone, site, activeSite, settings, modeOf, uses, vip, versions, secrets, input } = context;
  const brokers = settings?.kafka?.brokers ?? 3;
  const brokerVips = (at: Site): readonly string[] => {
    const addresses = input.kafkaBrokerVips?.[at] ?? [];
    // The schema requires one address per broker; reaching here is a toolkit bug.
    if (addresses.length !== brokers) throw new Error(`expected ${brokers} kafkaBrokerVips for site ${at}, zone ${zone}; received ${addresses.length}`);
    return addresses;
  };
  return uses('kafka')
    ? {
        clusterName: 'hsa-kafka',
        mode: modeOf('kafka'),
        address: { host: vip('kafka', site), port: PORTS.kafkaExternal },
        ...(modeOf('kafka') === 'standby' ? { mirrorSource: { host: vip('kafka', activeSite), port: PORTS.kafkaExternal } } : {}),
        localAlias: `${zone}-${site.toLowerCase()}`,
        sourceAlias: `${zone}-${activeSite.toLowerCase()}`,
        brokerAddresses: brokerVips(site),
        peerBrokerAddresses: brokerVips(site === 'A' ? 'B' : 'A'),
        brokers,
        storageGiB: settings?.kafka?.storageGiB ?? 100,
        operatorChartVersion: versions.strimzi,
        tlsSecret: secrets.kafkaTls,
        usersSecret: secrets.kafkaUsers,
        users: kafkaUsers(input.kafkaClients ?? []),
      }
    : undefined;
}
