/**
 * The switchover's steps for a Kafka DR pair (one per zone): the active site's cluster mirrored by
 * MirrorMaker 2 running at the standby site (IdentityReplicationPolicy: same topic names, consumer group
 * offsets translated and synced). Each step reads the real clusters through their external listeners
 * and returns what it measured; the executor journals it (switchover/execute-switchover.ts).
 *
 *   check      the new site's cluster answers (and the old one, planned); MirrorMaker 2's progress and,
 *              after losing a site, the age of the newest mirrored record (the window of possible loss)
 *   caught-up  planned: every record of the old site copied (progress = end offsets, unchanged) and every
 *              consumer group's offsets translated to the new site
 *   stopped    after the deploy at the new site: MirrorMaker 2's Connect workers there have left
 *   divergence the records only the old site holds (after the progress MirrorMaker 2 stored), counted and
 *              saved with their keys, values, headers and timestamps
 *   rebuild    the old cluster's mirrored topics and consumer groups deleted (Strimzi's DR guidance:
 *              rebuild the old cluster clean; a reverse mirror over old data duplicates records), with
 *              MirrorMaker 2's state there from earlier directions
 *   following  after the deploy at the old site: its MirrorMaker 2 has copied every record of the new site
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { savedFile, writeLinesDurably, type SavedFile } from '../../switchover/journal';
import { writableData, SwitchoverError, type PairKind, type PairReport, type StepResult, type SwitchoverPair } from '../kind';
import type { ProvinceModel } from '../../model/platform-model';
import { MIRROR_MAKER_OFFSET_FLUSH_MS, mirrorMakerConnectNames, mirrorMakerStateTopics } from './kafka-plan';
import { PORTS } from '../../model/middleware-model';
import { otherSite, ZONES, type Site, type Zone } from '../../model/topology';
import {
  connectedConsumerGroups,
  connectGroupState,
  deleteMirroredData,
  groupOffsets,
  KafkaAuthenticationError,
  kafkaReachable,
  mirroredUpTo,
  mirrorProgress,
  readRecords,
  topicOffsets,
  type KafkaAccess,
  type KafkaTarget,
  type PartitionKey,
} from './kafka-member';

export interface KafkaPairRef {
  readonly zone: Zone;
  /** Each site's bootstrap address (external listener). */
  readonly bootstrap: Readonly<Record<Site, string>>;
  /** Each site's cluster alias in MirrorMaker 2 (`<zone>-a`, `<zone>-b`). */
  readonly alias: Readonly<Record<Site, string>>;
  /** How to log in; absent in a dry run, which reaches no cluster. */
  readonly access?: KafkaAccess;
}

export const kafkaPairName = (pair: KafkaPairRef) => `kafka@${pair.zone}`;

/** The Kafka pairs of a province: zones whose standby site mirrors the active one. */
export function kafkaPairsOf(province: ProvinceModel, access?: KafkaAccess): KafkaPairRef[] {
  return ZONES.flatMap((zone) => {
    const at = (site: Site) => province.units.find((u) => u.zone === zone && u.site === site)?.middlewarePlan.kafka;
    const [a, b] = [at('A'), at('B')];
    if (!a || !b || !(a.mirrorSource ?? b.mirrorSource)) return [];
    return [{ zone, bootstrap: { A: `${a.address.host}:${PORTS.kafkaExternal}`, B: `${b.address.host}:${PORTS.kafkaExternal}` }, alias: { A: a.localAlias, B: b.localAlias }, ...(access ? { access } : {}) }];
  });
}

function target(pair: KafkaPairRef, site: Site): KafkaTarget {
  if (!pair.access) throw new Error(`${kafkaPairName(pair)}: no credentials to reach site ${site} (a dry run reaches no cluster)`);
  return { bootstrap: pair.bootstrap[site], access: pair.access };
}

/** MirrorMaker 2 at `at`, copying from the other site: its progress stored at `at`. */
function progressAt(pair: KafkaPairRef, at: Site): Promise<Map<PartitionKey, number>> {
  const source = otherSite(at);
  return mirrorProgress(target(pair, at), mirrorMakerConnectNames(pair.alias[source]).offsetStorageTopic, pair.alias[source]);
}

/** The offset ranges from `startOf(partition)` (or the partition's start) to its end, where not empty. */
function recordsFrom(ends: ReadonlyMap<PartitionKey, { low: number; high: number }>, startOf: (partition: PartitionKey) => number): Map<PartitionKey, { from: number; to: number }> {
  const result = new Map<PartitionKey, { from: number; to: number }>();
  for (const [partition, { low, high }] of ends) {
    const from = Math.max(startOf(partition), low);
    if (high > from) result.set(partition, { from, to: high });
  }
  return result;
}

/** Records at the source MirrorMaker 2 (at the other site) has not copied, per partition. */
const unmirrored = (sourceEnds: ReadonlyMap<PartitionKey, { low: number; high: number }>, progress: ReadonlyMap<PartitionKey, number>) => recordsFrom(sourceEnds, (partition) => mirroredUpTo(progress, partition));

const total = (gaps: ReadonlyMap<PartitionKey, { from: number; to: number }>) => [...gaps.values()].reduce((sum, g) => sum + g.to - g.from, 0);

export async function checkKafkaPair(pair: KafkaPairRef, from: Site, to: Site, siteLost: boolean, now: () => Date): Promise<{ problems: string[]; data: Record<string, unknown> }> {
  const name = kafkaPairName(pair);
  const problems: string[] = [];
  const answers = (site: Site) => kafkaReachable(target(pair, site)).catch((e: Error) => (e instanceof KafkaAuthenticationError ? e : Promise.reject(e)));
  const newSide = await answers(to);
  if (newSide instanceof KafkaAuthenticationError) return { problems: [`${name} at ${to}: ${newSide.message}`], data: {} };
  if (!newSide) return { problems: [`${name} at ${to} (${pair.bootstrap[to]}) does not answer`], data: {} };
  const progress = await progressAt(pair, to);
  const data: Record<string, unknown> = { mirroredPartitions: progress.size };
  if (siteLost) {
    // The newest record MirrorMaker 2 copied to the new site: writes at the old site after it may be lost.
    const newest = await newestRecordTimestamp(target(pair, to), [...progress.keys()]);
    if (newest !== undefined) data.newestMirroredRecordAgeSeconds = Math.max(0, Math.round((now().getTime() - newest) / 1000));
  } else {
    const oldSide = await answers(from);
    if (oldSide instanceof KafkaAuthenticationError) problems.push(`${name} at ${from}: ${oldSide.message}`);
    else if (!oldSide) problems.push(`${name} at ${from} (${pair.bootstrap[from]}) does not answer: if site ${from} is lost, run with --site-lost ${from}`);
    else {
      const gaps = unmirrored(await topicOffsets(target(pair, from)), progress);
      data.unmirroredRecords = total(gaps);
    }
    const mirror = await connectGroupState(target(pair, to), mirrorMakerConnectNames(pair.alias[from]).groupId);
    if (!mirror.running) problems.push(`${name} at ${to}: MirrorMaker 2 from ${pair.alias[from]} is not running (Connect group ${mirrorMakerConnectNames(pair.alias[from]).groupId}: ${mirror.state})`);
  }
  return { problems, data };
}

/**
 * Planned: waits until MirrorMaker 2 at the new site has copied every record of the old one, the old
 * site's end offsets have not moved for one progress interval (its producers stopped), and every consumer
 * group committed at the old site has translated offsets at the new one.
 */
export async function kafkaCaughtUp(pair: KafkaPairRef, from: Site, to: Site, timeoutSeconds: number, settleMs: number): Promise<StepResult> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let previousEnds = '';
  let stableSince = Date.now();
  for (;;) {
    const ends = await topicOffsets(target(pair, from));
    const gaps = unmirrored(ends, await progressAt(pair, to));
    const endsKey = JSON.stringify([...ends]);
    if (endsKey !== previousEnds) [previousEnds, stableSince] = [endsKey, Date.now()];
    const [groupsAtOld, groupsAtNew, endsAtNew] = await Promise.all([groupOffsets(target(pair, from)), groupOffsets(target(pair, to)), topicOffsets(target(pair, to))]);
    const untranslated: string[] = [];
    const reread: Record<string, number> = {};
    for (const [group, committed] of groupsAtOld) {
      const translated = groupsAtNew.get(group);
      let extra = 0;
      for (const [partition, offset] of committed) {
        const at = translated?.get(partition);
        if (at === undefined) {
          untranslated.push(`${group} ${partition}`);
          continue;
        }
        // Records the group will read again at the new site: its lag there minus its lag here.
        extra += (endsAtNew.get(partition)?.high ?? 0) - at - ((ends.get(partition)?.high ?? 0) - offset);
      }
      reread[group] = extra;
    }
    const settled = Date.now() - stableSince >= settleMs;
    if (gaps.size === 0 && untranslated.length === 0 && settled) {
      return { status: 'done', data: { unmirroredRecords: 0, partitions: ends.size, groups: groupsAtOld.size, recordsReadAgainByGroup: reread } };
    }
    if (Date.now() > deadline) {
      const why = [
        ...(gaps.size > 0 ? [`${total(gaps)} record(s) at ${from} not copied to ${to} (${[...gaps.keys()].slice(0, 5).join(', ')})`] : []),
        ...(untranslated.length > 0 ? [`consumer offsets not translated at ${to}: ${untranslated.slice(0, 5).join(', ')}`] : []),
        ...(!settled ? [`site ${from}'s topics still receive writes: stop its producers (take its applications out of service)`] : []),
      ];
      return { status: 'refused', data: { unmirroredRecords: total(gaps), untranslated: untranslated.length }, message: `${kafkaPairName(pair)} after ${timeoutSeconds} s: ${why.join('; ')}` };
    }
    await sleep(1000);
  }
}

/** After the deploy at `at` removed its MirrorMaker 2: its Connect workers have left their group. */
export async function kafkaMirrorStopped(pair: KafkaPairRef, at: Site, timeoutSeconds: number): Promise<StepResult> {
  const groupId = mirrorMakerConnectNames(pair.alias[otherSite(at)]).groupId;
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const state = await connectGroupState(target(pair, at), groupId);
    if (!state.running) return { status: 'done', data: { connectGroup: groupId, state: state.state } };
    if (Date.now() > deadline) return { status: 'refused', message: `${kafkaPairName(pair)} at ${at}: MirrorMaker 2 still runs ${timeoutSeconds} s after the deploy (${state.members} worker(s) in ${groupId}); a mirror still copying into the new primary would mix the sites' writes` };
    await sleep(1000);
  }
}

/**
 * The records only the old site holds: after the progress MirrorMaker 2 (stopped by now) stored at the
 * new site. Saved one JSON line each and fsynced before the step is journalled.
 */
export async function kafkaDivergence(pair: KafkaPairRef, from: Site, to: Site, file: string): Promise<StepResult> {
  if (!(await kafkaReachable(target(pair, from)))) return { status: 'waiting', message: `${kafkaPairName(pair)} at site ${from} (${pair.bootstrap[from]}) does not answer; run again when site ${from} is back` };
  const ends = await topicOffsets(target(pair, from));
  const progress = await progressAt(pair, to);
  const gaps = unmirrored(ends, progress);
  const saved = await saveRecords(target(pair, from), gaps, file);
  // What the old site deleted after the cut cannot be saved, only named (replay: delete the same at the new
  // site): records below a partition's start that the mirror had not copied (DeleteRecords, retention),
  // and whole mirrored topics gone at the old site.
  const deletions: string[] = [];
  for (const [partition, upTo] of progress) {
    const end = ends.get(partition);
    if (end && end.low > upTo) deletions.push(JSON.stringify({ deletedAtOld: { topic: topicOf(partition), partition: partitionOf(partition), fromOffset: upTo, toOffset: end.low } }));
  }
  for (const topic of [...new Set([...progress.keys()].map(topicOf))].sort()) {
    if (![...ends.keys()].some((k) => topicOf(k) === topic)) deletions.push(JSON.stringify({ topicAbsentAtOld: topic }));
  }
  if (deletions.length > 0) writeLinesDurably(file, deletions, 'a');
  // Transaction markers take offsets but are not records: fewer saved than the offset span then, never more.
  return { status: 'done', data: { divergentRecords: saved, deletionsAtOld: deletions.length, offsetSpan: total(gaps), file, ends: Object.fromEntries([...ends].map(([k, v]) => [k, v.high])) } };
}

/**
 * Deletes the old site's mirrored topics and consumer groups before its MirrorMaker 2 copies the new
 * site's data into it. Records that arrived after the divergent ones were saved are saved too (`lateFile`)
 * first; refuses while the old site's consumers are connected or its producers still write.
 */
export async function kafkaRebuild(pair: KafkaPairRef, at: Site, savedEnds: Readonly<Record<string, number>>, lateFile: string): Promise<StepResult> {
  const name = kafkaPairName(pair);
  if (!(await kafkaReachable(target(pair, at)))) return { status: 'waiting', message: `${name} at site ${at} does not answer; run again when it is back` };
  const active = await connectedConsumerGroups(target(pair, at));
  if (active.length > 0) return { status: 'refused', message: `${name} at site ${at}: consumers still connected (${active.join(', ')}); stop site ${at}'s applications and run again` };
  const ends = await topicOffsets(target(pair, at));
  const late = recordsFrom(ends, (partition) => savedEnds[partition] ?? 0);
  const lateRecords = late.size > 0 ? await saveRecords(target(pair, at), late, lateFile) : 0;
  if (JSON.stringify([...(await topicOffsets(target(pair, at)))]) !== JSON.stringify([...ends])) {
    return { status: 'refused', data: { lateRecords, lateFile }, message: `${name} at site ${at}: its topics still receive writes; stop site ${at}'s producers and run again (what arrived so far is saved in ${lateFile})` };
  }
  // MirrorMaker 2's state left at this site from earlier directions refers to offsets that are gone: the
  // storage and checkpoints of a mirror into this site (it would resume past the rebuilt topics' ends,
  // or keep translating with old checkpoints) and the offset syncs of the mirror out of it.
  const other = pair.alias[otherSite(at)];
  const stale = [...mirrorMakerStateTopics(other, pair.alias[at]).atTarget, ...mirrorMakerStateTopics(pair.alias[at], other).atSource];
  const deleted = await deleteMirroredData(target(pair, at), stale);
  return { status: 'done', data: { deletedTopics: deleted.topics, deletedGroups: deleted.groups, lateRecords, ...(lateRecords > 0 ? { lateFile } : {}) } };
}

/** Saves the records of the given offset ranges, one JSON line each (base64 key, value), fsynced. */
async function saveRecords(at: KafkaTarget, ranges: ReadonlyMap<PartitionKey, { from: number; to: number }>, file: string): Promise<number> {
  const fd = openSync(file, 'w');
  let saved = 0;
  try {
    for (const topic of [...new Set([...ranges.keys()].map(topicOf))].sort()) {
      const starts = new Map([...ranges].filter(([k]) => topicOf(k) === topic).map(([k, g]) => [partitionOf(k), g.from]));
      await readRecords(at, topic, starts, (r) => {
        if (r.offset >= (ranges.get(`${topic}:${r.partition}`)?.to ?? 0)) return;
        writeSync(fd, `${JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key?.toString('base64') ?? null, value: r.value?.toString('base64') ?? null, headers: r.headers })}\n`);
        saved++;
      });
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return saved;
}

const topicOf = (key: PartitionKey) => key.slice(0, key.lastIndexOf(':'));
const partitionOf = (key: PartitionKey) => Number(key.slice(key.lastIndexOf(':') + 1));

/** After the deploy at the old site: its MirrorMaker 2 runs and has copied every record of the new site. */
export async function kafkaFollowing(pair: KafkaPairRef, oldSite: Site, timeoutSeconds: number): Promise<StepResult> {
  const newSite = otherSite(oldSite);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const [ends, progress, mirror] = await Promise.all([
      topicOffsets(target(pair, newSite)),
      progressAt(pair, oldSite),
      connectGroupState(target(pair, oldSite), mirrorMakerConnectNames(pair.alias[newSite]).groupId),
    ]);
    const gaps = unmirrored(ends, progress);
    if (mirror.running && gaps.size === 0) return { status: 'done', data: { partitions: ends.size, records: [...ends.values()].reduce((s, e) => s + e.high - e.low, 0) } };
    if (Date.now() > deadline) {
      return { status: 'refused', message: `${kafkaPairName(pair)} at site ${oldSite} does not follow site ${newSite} after ${timeoutSeconds} s: MirrorMaker 2 ${mirror.running ? 'runs' : `is not running (${mirror.state})`}, ${total(gaps)} record(s) not copied` };
    }
    await sleep(1000);
  }
}

async function newestRecordTimestamp(at: KafkaTarget, partitions: readonly PartitionKey[]): Promise<number | undefined> {
  const ends = await topicOffsets(at);
  let newest: number | undefined;
  const byTopic = new Map<string, Map<number, number>>();
  for (const key of partitions) {
    const end = ends.get(key);
    if (!end || end.high <= end.low) continue;
    const topic = topicOf(key);
    const map = byTopic.get(topic) ?? new Map<number, number>();
    map.set(partitionOf(key), end.high - 1);
    byTopic.set(topic, map);
  }
  for (const [topic, starts] of byTopic) {
    await readRecords(at, topic, starts, (r) => {
      newest = Math.max(newest ?? 0, r.timestamp);
    });
  }
  return newest;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

declare module '../kind' {
  interface PairAccess {
    /** How to reach the Kafka clusters (CA, the switchover's user and password); required when Kafka pairs are switched. */
    readonly kafka?: KafkaAccess;
  }
}

export const kafkaPairKind: PairKind = {
  name: 'kafka',
  pairsOf: (province, access) => kafkaPairsOf(province, access.kafka).map(kafkaSwitchoverPair),
  missingAccess: (access) => (access.kafka ? undefined : "switching Kafka pairs needs the CA and the switchover user's password (options.kafka)"),
};

function kafkaSwitchoverPair(pair: KafkaPairRef): SwitchoverPair {
  const name = kafkaPairName(pair);
  const withRto = (result: StepResult, rtoSeconds: number): StepResult => (result.status === 'done' ? { ...result, data: { ...result.data, rtoSeconds } } : result);
  return {
    kind: 'kafka',
    name,
    check: ({ from, to, siteLost, now }) => checkKafkaPair(pair, from, to, siteLost, now),
    steps: ({ from, to }) => ({
      'caught-up': {
        id: `caught-up:${name}`,
        title: `Wait until MirrorMaker 2 at site ${to} has copied every record of ${name} at site ${from} (its producers stopped) and translated every consumer group's offsets`,
        run: (context) => kafkaCaughtUp(pair, from, to, context.timeouts.kafkaCaughtUpSeconds, MIRROR_MAKER_OFFSET_FLUSH_MS * 2),
      },
      writable: {
        id: `stopped:${name}`,
        title: `Verify MirrorMaker 2 at site ${to} has stopped (its Connect workers left), so ${name} at site ${to} holds only its own producers' writes`,
        run: async (context) => withRto(await kafkaMirrorStopped(pair, to, context.timeouts.kafkaFollowingSeconds), context.secondsSinceStart()),
      },
      divergence: {
        id: `divergence:${name}`,
        title: `Find and save the records only ${name} at site ${from} holds (after what MirrorMaker 2 copied)`,
        async run(context) {
          const file = join(context.directory, `divergent-kafka-${pair.zone}.jsonl`);
          const result = await kafkaDivergence(pair, from, to, file);
          return result.status === 'done' ? { ...result, data: { ...result.data, saved: savedFile(file) } } : result;
        },
      },
      'clean-old': {
        id: `rebuild:${name}`,
        title: `Rebuild ${name} at site ${from} clean: delete its mirrored topics and consumer groups (saved above) so MirrorMaker 2 copies site ${to} into an empty cluster`,
        async run(context) {
          const saved = context.last(`divergence:${name}`)?.data?.ends as Record<string, number> | undefined;
          if (!saved) throw new SwitchoverError(`${name}: no saved divergence in the journal before rebuilding site ${from}`);
          return kafkaRebuild(pair, from, saved, join(context.directory, `divergent-kafka-${pair.zone}-late.jsonl`));
        },
      },
      following: {
        id: `following:${name}`,
        title: `Verify MirrorMaker 2 at site ${from} runs and has copied every record of ${name} at site ${to}`,
        run: (context) => kafkaFollowing(pair, from, context.timeouts.kafkaFollowingSeconds),
      },
    }),
    divergence({ last }) {
      const saved = last(`divergence:${name}`)?.data;
      // The file also names what the old site deleted (records, topics): one line each.
      return [{ pair: name, writes: Number(saved?.divergentRecords ?? 0) + Number(saved?.deletionsAtOld ?? 0), unit: 'records', format: 'a record (topic, partition, key, value, headers, timestamp) or a deletion at the old site: produce the records again at the new site', ...(saved?.saved ? { saved: saved.saved as SavedFile } : {}) }];
    },
    report({ siteLost, last }) {
      const checked = last('check')?.data?.[name] as { newestMirroredRecordAgeSeconds?: number } | undefined;
      const caught = last(`caught-up:${name}`)?.data;
      const divergence = last(`divergence:${name}`)?.data;
      const late = Number(last(`rebuild:${name}`)?.data?.lateRecords ?? 0);
      const { rtoSeconds, writableAt } = writableData(last(`stopped:${name}`));
      return {
        kind: 'kafka',
        pair: name,
        rtoSeconds,
        ...(writableAt ? { writableAt } : {}),
        ...(siteLost ? { windowSeconds: Number(checked?.newestMirroredRecordAgeSeconds ?? 0) } : { unmirroredRecords: Number(caught?.unmirroredRecords ?? 0) }),
        ...(caught?.recordsReadAgainByGroup ? { recordsReadAgainByGroup: caught.recordsReadAgainByGroup as Record<string, number> } : {}),
        divergentRecords: Number(divergence?.divergentRecords ?? 0) + late,
        ...(divergence?.file ? { divergentFile: String(divergence.file) } : {}),
      };
    },
    describe(p: PairReport, { from, to, siteLost }) {
      const rto = `; RTO ${p.rtoSeconds?.toFixed(1)} s from the start of the run`;
      const before = siteLost ? `writes possibly lost: those of the last ${p.windowSeconds} s before the promotion${rto}` : `records not copied when writes stopped: ${p.unmirroredRecords}${rto}`;
      const reread = p.recordsReadAgainByGroup ? `; read again at site ${to} by consumer group: ${JSON.stringify(p.recordsReadAgainByGroup)}` : '';
      return `${p.pair}: ${before}; divergent writes at site ${from}: ${p.divergentRecords} records${p.divergentFile ? ` (saved in ${p.divergentFile})` : ''}${reread}`;
    },
  };
}
