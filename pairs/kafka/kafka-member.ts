/**
 * What the switchover reads and does at one Kafka cluster of a DR pair, over the cluster's external
 * listener (the one the other site's MirrorMaker 2 uses): end offsets of the mirrored topics, consumer
 * group offsets, how far MirrorMaker 2 has copied (Kafka Connect's offset storage topic at the target),
 * whether MirrorMaker 2's Connect workers still run, the records only the old site holds, and the
 * clean rebuild of the old cluster's data before it follows again (Strimzi's DR guidance).
 *
 * MirrorMaker 2's progress is what Kafka Connect stores for each MirrorSourceConnector task: key
 * `["<connector>", {"cluster": <source alias>, "topic": t, "partition": p}]`, value `{"offset": o}`,
 * o being the offset at the source of the last record copied. Connect writes it every
 * `offset.flush.interval.ms` (set in the synthesized KafkaMirrorMaker2) and when the task stops.
 */
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { MIRROR_TOPICS_EXCLUDED } from './kafka-plan';

/**
 * How the switchover logs in to a Kafka cluster's external listener: TLS verified with the CA of the
 * sites' listener certificates, SCRAM-SHA-512 as its own user (KAFKA_SYSTEM_USERS.switchover).
 */
export interface KafkaAccess {
  /** PEM: `ca.crt` of the Kafka TLS Secret. */
  readonly ca: Buffer;
  readonly username: string;
  readonly password: string;
}

export interface KafkaTarget {
  /** `host:port` of the cluster's external listener. */
  readonly bootstrap: string;
  readonly access: KafkaAccess;
}

/** `<topic>:<partition>` */
export type PartitionKey = `${string}:${number}`;

const CONNECT_TIMEOUT_MS = 3000;
const REQUEST_TIMEOUT_MS = 10_000;

function client(target: KafkaTarget): Kafka {
  return new Kafka({
    clientId: 'hsa-switchover',
    brokers: [target.bootstrap],
    ssl: { ca: [target.access.ca] },
    sasl: { mechanism: 'scram-sha-512', username: target.access.username, password: target.access.password },
    connectionTimeout: CONNECT_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // An unreachable site answers "unreachable" quickly; the switchover decides what to do.
    retry: { retries: 1, initialRetryTime: 300, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
}

export async function withAdmin<T>(target: KafkaTarget, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client(target).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The cluster answered but refused the switchover's login: a wrong password or user, not a site that is down. */
export class KafkaAuthenticationError extends Error {}

/** Whether the cluster answers; a refused login is thrown, never taken for a site that is down. */
export async function kafkaReachable(target: KafkaTarget): Promise<boolean> {
  try {
    await withAdmin(target, (admin) => admin.listTopics());
    return true;
  } catch (error) {
    const e = error as Error;
    // kafkajs: KafkaJSSASLAuthenticationError, also when wrapped by a connection retry.
    if (e.name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed/i.test(e.message)) {
      throw new KafkaAuthenticationError(`${target.bootstrap} refused the login of user "${target.access.username}" (${e.message}): check the Kafka password (HSA_KAFKA_PASSWORD or --kafka-password-file) against the users Secret`);
    }
    return false;
  }
}

const EXCLUDED_TOPICS = MIRROR_TOPICS_EXCLUDED.map((pattern) => new RegExp(`^(?:${pattern})$`));

/** Topics MirrorMaker 2 copies: all but those the synthesized mirror excludes (Kafka's, Connect's, its own). */
export function isMirroredTopic(topic: string): boolean {
  return !EXCLUDED_TOPICS.some((pattern) => pattern.test(topic));
}

/** End offset (next offset to be written) and start offset of every partition of the mirrored topics. */
export async function topicOffsets(target: KafkaTarget): Promise<Map<PartitionKey, { low: number; high: number }>> {
  return withAdmin(target, async (admin) => {
    const topics = (await admin.listTopics()).filter(isMirroredTopic).sort();
    const result = new Map<PartitionKey, { low: number; high: number }>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) result.set(`${topic}:${p.partition}`, { low: Number(p.low), high: Number(p.high) });
    }
    return result;
  });
}

/** Committed offsets of every consumer group on the mirrored topics: group -> partition -> offset. */
export async function groupOffsets(target: KafkaTarget): Promise<Map<string, Map<PartitionKey, number>>> {
  return withAdmin(target, async (admin) => {
    const topics = (await admin.listTopics()).filter(isMirroredTopic);
    const groups = await consumerGroupIds(admin);
    const result = new Map<string, Map<PartitionKey, number>>();
    for (const groupId of groups) {
      const committed = new Map<PartitionKey, number>();
      for (const topic of await admin.fetchOffsets({ groupId, topics })) {
        for (const p of topic.partitions) if (Number(p.offset) >= 0) committed.set(`${topic.topic}:${p.partition}`, Number(p.offset));
      }
      if (committed.size > 0) result.set(groupId, committed);
    }
    return result;
  });
}

/** Consumer groups (not Connect's): those applications use, and whose offsets MirrorMaker 2 translates. */
async function consumerGroupIds(admin: Admin): Promise<string[]> {
  return (await admin.listGroups()).groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId).sort();
}

/** Consumer groups with members connected now. */
export async function connectedConsumerGroups(target: KafkaTarget): Promise<string[]> {
  return withAdmin(target, async (admin) => {
    const groups = await consumerGroupIds(admin);
    const described = groups.length > 0 ? (await admin.describeGroups(groups)).groups : [];
    return described.filter((g) => g.members.length > 0).map((g) => g.groupId);
  });
}

/** Whether the Connect workers of a MirrorMaker 2 (its Connect group at the target) are running. */
export async function connectGroupState(target: KafkaTarget, groupId: string): Promise<{ running: boolean; members: number; state: string }> {
  return withAdmin(target, async (admin) => {
    const [group] = (await admin.describeGroups([groupId])).groups;
    const members = group?.members.length ?? 0;
    return { running: members > 0, members, state: group?.state ?? 'Dead' };
  });
}

/**
 * MirrorMaker 2's progress from `sourceAlias`, read from Connect's offset storage topic at the target:
 * for each source partition, the source offset of the last record copied. Empty when the topic does not
 * exist (MirrorMaker 2 never ran there).
 */
export async function mirrorProgress(target: KafkaTarget, offsetStorageTopic: string, sourceAlias: string): Promise<Map<PartitionKey, number>> {
  const progress = new Map<PartitionKey, number>();
  const exists = await withAdmin(target, async (admin) => (await admin.listTopics()).includes(offsetStorageTopic));
  if (!exists) return progress;
  await readRecords(target, offsetStorageTopic, undefined, (record) => {
    if (!record.key) return;
    const key = JSON.parse(record.key.toString('utf8')) as unknown;
    if (!Array.isArray(key) || typeof key[0] !== 'string' || !key[0].endsWith('MirrorSourceConnector')) return;
    const partition = key[1] as { cluster?: string; topic?: string; partition?: number };
    if (partition.cluster !== sourceAlias || typeof partition.topic !== 'string' || typeof partition.partition !== 'number') return;
    const at: PartitionKey = `${partition.topic}:${partition.partition}`;
    if (record.value === null) {
      progress.delete(at);
      return;
    }
    const value = JSON.parse(record.value.toString('utf8')) as { offset?: number };
    if (typeof value.offset === 'number') progress.set(at, value.offset);
  });
  return progress;
}

/** The next source offset MirrorMaker 2 has not copied, per partition (0 where it copied nothing). */
export function mirroredUpTo(progress: ReadonlyMap<PartitionKey, number>, partition: PartitionKey): number {
  const last = progress.get(partition);
  return last === undefined ? 0 : last + 1;
}

export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Reads records of `topic` (or of the listed partitions from given offsets) up to the end offsets
 * taken when the read starts, then stops. A consumer group of its own (`hsa-switchover-read-*`) with
 * nothing committed is deleted afterwards.
 */
export async function readRecords(
  target: KafkaTarget,
  topic: string,
  from: ReadonlyMap<number, number> | undefined,
  onRecord: (record: KafkaRecord) => void,
  timeoutMs = 60_000,
): Promise<number> {
  const kafka = client(target);
  const ends = await withAdmin(target, async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }])));
  const start = (partition: number) => Math.max(from?.get(partition) ?? ends.get(partition)!.low, ends.get(partition)!.low);
  const pending = new Set([...ends.keys()].filter((p) => (from === undefined || from.has(p)) && start(p) < ends.get(p)!.high));
  if (pending.size === 0) return 0;
  const groupId = `hsa-switchover-read-${process.pid}-${Date.now()}`;
  const consumer: Consumer = kafka.consumer({ groupId, retry: { retries: 2 }, sessionTimeout: 10_000 });
  let count = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} at ${target.bootstrap}: ${pending.size} partition(s) not read to their end after ${timeoutMs / 1000} s`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const offset = Number(message.offset);
            const end = ends.get(partition)?.high ?? 0;
            if (!pending.has(partition) || offset < start(partition) || offset >= end) return;
            onRecord({
              topic,
              partition,
              offset,
              timestamp: Number(message.timestamp),
              key: message.key,
              value: message.value,
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : String(v)])),
            });
            count++;
            if (offset + 1 >= end) {
              pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
        })
        .then(() => {
          for (const partition of pending) consumer.seek({ topic, partition, offset: String(start(partition)) });
        }, reject);
    });
  } finally {
    await consumer.disconnect();
    await withAdmin(target, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
  return count;
}

/**
 * Deletes the mirrored topics and the consumer groups of a cluster, so MirrorMaker 2 in the new
 * direction copies into an empty cluster (Strimzi: rebuild the old cluster clean; a reverse mirror over
 * old data duplicates records), and the given MirrorMaker 2 topics left from an earlier direction (their
 * offsets refer to data that is gone). Waits until the topics are gone.
 */
export async function deleteMirroredData(target: KafkaTarget, staleMirrorTopics: readonly string[] = [], waitSeconds = 60): Promise<{ topics: string[]; groups: string[] }> {
  return withAdmin(target, async (admin) => {
    const existing = await admin.listTopics();
    const topics = [...existing.filter(isMirroredTopic), ...staleMirrorTopics.filter((t) => existing.includes(t))].sort();
    const groups = await consumerGroupIds(admin);
    if (groups.length > 0) await admin.deleteGroups(groups);
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: waitSeconds * 1000 });
    const deadline = Date.now() + waitSeconds * 1000;
    while ((await admin.listTopics()).some((t) => topics.includes(t))) {
      if (Date.now() > deadline) throw new Error(`topics at ${target.bootstrap} not deleted after ${waitSeconds} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { topics, groups };
  });
}
