/**
 * GB/T 20988 disaster-recovery level (灾难恢复等级) a province achieves, computed from what it declares
 * and synthesizes plus what its operators attest.
 *
 * Source: GB/T 20988-2007 《信息安全技术 信息系统灾难恢复规范》, Appendix A (normative): six levels, each
 * defined by seven elements (数据备份系统, 备用数据处理系统, 备用网络系统, 备用基础设施, 专业技术支持能力,
 * 运行维护管理能力, 灾难恢复预案); a level is reached only when every element of it and of the levels
 * below is met. The elements this toolkit can judge are listed in LEVEL_ELEMENTS with the clause they
 * come from. Reference RPO/RTO of the 2007 edition (Appendix A example): L5 RPO 0-30 min, RTO minutes to
 * 2 days; L6 RPO 0, RTO minutes.
 *
 * GB/T 20988-2025 《网络安全技术 信息系统灾难恢复规范》 supersedes the 2007 edition (and GB/T 30285-2013)
 * from 2026-01-01 and keeps graded levels (clause 6.4 灾难恢复中心选址和等级). Its element texts could not be
 * checked against the published text while this was written, so for the 2025 edition the same elements
 * are applied and every report says so (`editionNote`). Verify before relying on it in an audit.
 */
import type { ProvinceModel } from '../model/platform-model';
import type { DrAttestation, GbT20988Edition, StackJson } from './types';
import { detectDrFacts, type DrFacts } from './dr-facts';

export interface LevelElement {
  readonly id: string;
  /** Level that first requires the element. */
  readonly level: 1 | 2 | 3 | 4 | 5 | 6;
  readonly nameZh: string;
  readonly description: string;
}

/** The elements the toolkit judges, by the level that first requires them (GB/T 20988-2007 Appendix A). */
export const LEVEL_ELEMENTS: readonly LevelElement[] = [
  { id: 'offsite-backup-media', level: 1, nameZh: '备份介质场外存放', description: 'backup media stored off site (A.1 数据备份系统)' },
  { id: 'standby-site', level: 2, nameZh: '备用场地', description: 'a standby site with infrastructure for recovery (A.2 备用基础设施)' },
  { id: 'daily-full-backup', level: 3, nameZh: '完全数据备份至少每天一次', description: 'full data backup at least once a day (A.3 数据备份系统)' },
  { id: 'electronic-transfer', level: 3, nameZh: '关键数据电子传输', description: 'key data transferred electronically to the standby site (A.3 数据备份系统)' },
  { id: 'standby-processing-partial', level: 3, nameZh: '部分数据处理设备', description: 'part of the data processing equipment at the standby site (A.3 备用数据处理系统)' },
  { id: 'standby-processing-complete', level: 4, nameZh: '全部数据处理设备就绪或运行', description: 'all data processing equipment for recovery ready or running at the standby site (A.4/A.5 备用数据处理系统)' },
  { id: 'standby-network-ready', level: 4, nameZh: '网络设备就绪', description: 'standby network equipment ready (A.4 备用网络系统)' },
  { id: 'staff-7x24', level: 4, nameZh: '7x24小时专职技术支持', description: '7x24 professional technical support (A.4 专业技术支持能力)' },
  { id: 'real-time-replication', level: 5, nameZh: '关键数据实时复制', description: 'every data-holding middleware replicated in real time to the standby site (A.5 数据备份系统)' },
  { id: 'network-switchover', level: 5, nameZh: '网络自动或集中切换', description: 'network switchover automatic or centrally controlled (A.5 备用网络系统)' },
  { id: 'drilled-plan', level: 5, nameZh: '经过完整测试和演练的预案', description: 'a fully tested and drilled recovery plan, drilled within 12 months (A.5 灾难恢复预案)' },
  { id: 'zero-data-loss', level: 6, nameZh: '数据零丢失', description: 'remote real-time backup with zero data loss: synchronous replication (A.6 数据备份系统)' },
  { id: 'remote-cluster', level: 6, nameZh: '远程集群', description: 'standby processing equal to production, clustered, with seamless real-time switchover (A.6 备用数据处理系统)' },
];

export interface ElementResult extends LevelElement {
  readonly met: boolean;
  /** Why: what was found, or what is missing. */
  readonly evidence: string;
}

export interface DrLevelReport {
  readonly edition: GbT20988Edition;
  readonly editionNote: string;
  readonly achievedLevel: number;
  readonly requiredLevel: number;
  readonly elements: readonly ElementResult[];
  /** Elements that keep the province from the next level (empty at level 6). */
  readonly blockingNextLevel: readonly ElementResult[];
  readonly facts: DrFacts;
}

const DRILL_VALIDITY_MONTHS = 12;
/** A cron schedule whose day of month, month and day of week are `*`: at least once a day. */
const DAILY_CRON = /^\S+ \S+ \* \* \*$/;

export function computeDrLevel(
  model: ProvinceModel,
  stacks: ReadonlyMap<string, StackJson>,
  attestation: DrAttestation | undefined,
  edition: GbT20988Edition,
): DrLevelReport {
  const facts = detectDrFacts(model, stacks);
  const judged = new Map<string, { met: boolean; evidence: string }>();
  const attested = (value: boolean | undefined, what: string) =>
    value === true ? { met: true, evidence: `attested in the environment (${what})` } : { met: false, evidence: `not attested: set compliance.attestation.${what} = true once it holds` };

  // Backups are built by the toolkit (environment `backup`): judged from the built Velero release and
  // database job, never from an annotation or an attestation.
  const noBackup = facts.stacksWithoutBackup.length > 0 ? `no backup built for ${facts.stacksWithoutBackup.join(', ')}: declare \`backup\` in the environment` : undefined;
  // The business database is the system of record: a province declaring one has no full backup
  // until the database has its own, and that backup leaves the site only inside the stack's Velero backup.
  const noDatabaseBackup =
    facts.databasesWithoutBackup.length > 0
      ? `no backup of the business database built for ${facts.databasesWithoutBackup.map((d) => `${d.stack} (${d.product})`).join(', ')}: declare middleware.database.backup (for a product other than PostgreSQL, its backup tool's image and command)`
      : undefined;
  // Off site is proven by address: the store's host lies in the other datacenter's declared networks.
  const unprovable = model.siteNetworks === undefined;
  const onSite = facts.backups.filter((b) => b.storeSite !== (b.site === 'A' ? 'B' : 'A'));
  const databaseOnSite = facts.databaseBackups.filter((d) => !facts.backups.some((b) => b.stack === d.stack && b.namespaces.includes(d.namespace)));
  const uniq = <T>(values: readonly T[]) => [...new Set(values)].join(', ');
  const databaseEvidence =
    facts.databaseBackups.length > 0
      ? `; the business database (${uniq(facts.databaseBackups.map((d) => d.product))}) backed up by its own job at "${uniq(facts.databaseBackups.map((d) => d.schedule))}" in ${uniq(facts.databaseBackups.map((d) => d.stack))}, onto a volume of ${uniq(facts.databaseBackups.map((d) => d.namespace))} that this backup copies`
      : '';
  judged.set(
    'offsite-backup-media',
    noBackup
      ? { met: false, evidence: noBackup }
      : unprovable
        ? { met: false, evidence: `where the backup stores lie cannot be proven (${uniq(facts.backups.map((b) => b.storeAddress))}): declare sites.A.networks and sites.B.networks, the datacenters' address ranges` }
        : onSite.length > 0
          ? { met: false, evidence: `backups not written to the other datacenter: ${onSite.map((b) => `${b.stack} -> ${b.storeAddress}, ${b.storeSite ? `in site ${b.storeSite}'s networks` : "in neither site's networks"}`).join(', ')}` }
          : databaseOnSite.length > 0
            ? { met: false, evidence: `the business database's backup stays on site: ${databaseOnSite.map((d) => `${d.stack} keeps it in ${d.namespace}, which its off-site backup does not copy`).join(', ')}` }
            : { met: true, evidence: `built: every stack's Velero backup goes to a store in the other datacenter's networks (${facts.backups.map((b) => `${b.stack} -> ${b.target} at site ${b.storeSite!}`).join(', ')})${databaseEvidence}` },
  );
  judged.set('standby-site', { met: true, evidence: 'two datacenters declared (sites A and B), each zone deployed at both' });
  const notDaily = [...facts.backups.flatMap((b) => b.schedules.map((schedule) => ({ stack: b.stack, schedule }))), ...facts.databaseBackups].filter((b) => !DAILY_CRON.test(b.schedule));
  judged.set(
    'daily-full-backup',
    noBackup || noDatabaseBackup
      ? { met: false, evidence: [noBackup, noDatabaseBackup].filter((e) => e !== undefined).join('; ') }
      : notDaily.length > 0
        ? { met: false, evidence: `schedules that do not run every day: ${notDaily.map((b) => `${b.stack} "${b.schedule}"`).join(', ')}` }
        : {
            met: true,
            evidence: `built: Velero full backup of ${uniq(facts.backups.flatMap((b) => b.namespaces))} (objects and volumes, Redis dumped and checked first) at "${[...new Set(facts.backups.flatMap((b) => b.schedules))].join('", "')}", kept ${uniq(facts.backups.map((b) => b.retentionDays ?? '?'))} days${databaseEvidence}; the backup commands are restore-verified by the restore drill`,
          },
  );
  judged.set('staff-7x24', attested(attestation?.staff7x24, 'staff7x24'));
  judged.set('drilled-plan', drillJudgement(attestation));

  const pairs = facts.pairs;
  const missingPairs = facts.requiredPairs.filter((r) => !pairs.some((p) => p.zone === r.zone && p.role === r.role));
  const unproven = (role: string, zone: string) => facts.unprovenPairs.find((u) => u.role === role && u.zone === zone);
  judged.set(
    'electronic-transfer',
    pairs.length > 0
      ? { met: true, evidence: `${pairs.length} DR pair(s) replicate to the standby site` }
      : { met: false, evidence: 'no DR pair replicates data to the standby site' },
  );
  judged.set(
    'real-time-replication',
    missingPairs.length === 0 && facts.requiredPairs.length > 0
      ? { met: true, evidence: `every data-holding middleware is paired, each proven by its standby's configuration: ${pairs.map((p) => `${p.role}@${p.zone} (${p.replication}: ${p.proof})`).join(', ')}` }
      : { met: false, evidence: `no real-time replication for ${missingPairs.map((p) => `${p.role} in the ${p.zone} zone${unproven(p.role, p.zone) ? ` (${unproven(p.role, p.zone)!.stack} is marked a standby, but ${unproven(p.role, p.zone)!.reason})` : ''}`).join(', ') || 'any data-holding middleware'}` },
  );
  const asyncPairs = pairs.filter((p) => p.replication !== 'synchronous');
  judged.set(
    'zero-data-loss',
    asyncPairs.length === 0 && pairs.length > 0
      ? { met: true, evidence: 'every pair replicates synchronously (RPO 0)' }
      : { met: false, evidence: `asynchronous replication loses the last writes on failover (RPO > 0): ${asyncPairs.map((p) => `${p.role}@${p.zone}`).join(', ') || 'no pairs'}` },
  );

  const { standbyApplications, activeApplications } = facts;
  judged.set(
    'standby-processing-partial',
    standbyApplications > 0 ? { met: true, evidence: `${standbyApplications} application deployment(s) at the standby site` } : { met: false, evidence: 'no application deployed at the standby site' },
  );
  judged.set(
    'standby-processing-complete',
    facts.missingAtStandby.length === 0 && standbyApplications > 0
      ? { met: true, evidence: `all ${activeApplications} applications of the active site run at the standby site too` }
      : { met: false, evidence: `missing at the standby site: ${facts.missingAtStandby.join(', ') || 'every application'}` },
  );
  judged.set(
    'standby-network-ready',
    facts.unitsWithLoadBalancer === model.units.length
      ? { met: true, evidence: 'a site load balancer listens at every unit\'s ingress address with a rule for each of its applications, in every zone of both datacenters' }
      : { met: false, evidence: `site load balancer (负载均衡) deployed in ${facts.unitsWithLoadBalancer} of ${model.units.length} units` },
  );
  judged.set(
    'network-switchover',
    facts.unitsWithDnsController === model.units.length
      ? { met: true, evidence: 'a DNS controller (DNS控制器) serves the zone at every cluster\'s DNS address and moves all stable names to the active site: switchover is centrally controlled' }
      : { met: false, evidence: `DNS controller deployed in ${facts.unitsWithDnsController} of ${model.units.length} units` },
  );
  judged.set(
    'remote-cluster',
    facts.standbyGroups.length === 0 && facts.unitsWithLoadBalancer === model.units.length
      ? { met: true, evidence: 'both sites serve every application (active-active): no group of the built load balancers has a standby member' }
      : { met: false, evidence: `the standby site does not serve all traffic at once: load balancer groups with a standby member: ${facts.standbyGroups.join(', ') || 'none built'}` },
  );

  const elements: ElementResult[] = LEVEL_ELEMENTS.map((e) => ({ ...e, ...judged.get(e.id)! }));
  let achievedLevel = 0;
  for (let level = 1; level <= 6; level++) {
    if (elements.filter((e) => e.level <= level).every((e) => e.met)) achievedLevel = level;
    else break;
  }
  const blockingNextLevel = achievedLevel >= 6 ? [] : elements.filter((e) => e.level <= achievedLevel + 1 && !e.met);
  return {
    edition,
    editionNote:
      edition === '2007'
        ? 'GB/T 20988-2007 Appendix A'
        : 'GB/T 20988-2025 (in force from 2026-01-01): the 2007 Appendix A elements are applied; check them against the 2025 text before an audit',
    achievedLevel,
    requiredLevel: model.requiredDrLevel,
    elements,
    blockingNextLevel,
    facts,
  };
}

function drillJudgement(attestation: DrAttestation | undefined): { met: boolean; evidence: string } {
  const drill = attestation?.lastDrillDate;
  const on = attestation?.attestedOn;
  if (!drill || !on) return { met: false, evidence: 'no drill attested: set compliance.attestation.lastDrillDate and attestedOn' };
  const months = monthsBetween(drill, on);
  if (months < 0) return { met: false, evidence: `lastDrillDate ${drill} is after attestedOn ${on}` };
  if (months > DRILL_VALIDITY_MONTHS) return { met: false, evidence: `last drill ${drill} is ${months} months before the attestation (${on}); drill at least every ${DRILL_VALIDITY_MONTHS} months` };
  return { met: true, evidence: `plan drilled on ${drill}, attested on ${on}` };
}

function monthsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number];
  return (ty - fy) * 12 + (tm - fm) - (td < fd ? 1 : 0);
}
