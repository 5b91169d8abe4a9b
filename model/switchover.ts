/**
 * The switchover procedure (容灾切换), written once as data: `npm run runbook` prints it, and the drills
 * carry out the same steps against real servers. Failing back is the same procedure in the other
 * direction.
 *
 * Order matters for data: writes stop at the old active site, every pair is checked caught up, the
 * standby is promoted in place (keeping its data) before the declarative deploy makes the new roles
 * permanent, and only then is the old active site re-pointed to follow the new one (which discards
 * whatever it wrote after the cut).
 */
import { DR_PAIRED_MIDDLEWARE, type MiddlewareRole } from './catalog';
import type { DeploymentUnit, ProvinceModel } from './platform-model';
import { otherSite, stackName, ZONES, type Site, type Zone } from './topology';
import { cdktfDeployCommand } from './deploy-command';

export interface PairRef {
  readonly zone: Zone;
  readonly role: MiddlewareRole;
  /** Address of the pair's member at the old active site and at the new one. */
  readonly from: string;
  readonly to: string;
}

export type SwitchoverStep =
  | { readonly kind: 'freeze-writes'; readonly site: Site; readonly title: string; readonly detail: string }
  | { readonly kind: 'check-caught-up'; readonly pair: PairRef; readonly title: string; readonly detail: string }
  | { readonly kind: 'promote'; readonly pair: PairRef; readonly site: Site; readonly title: string; readonly detail: string }
  | { readonly kind: 'deploy'; readonly site: Site; readonly stacks: readonly string[]; readonly command: string; readonly title: string; readonly detail: string }
  | { readonly kind: 'wait-for-site'; readonly site: Site; readonly title: string; readonly detail: string }
  | { readonly kind: 'verify-following'; readonly pair: PairRef; readonly title: string; readonly detail: string };

export interface SwitchoverPlan {
  readonly envName: string;
  readonly from: Site;
  readonly to: Site;
  readonly pairs: readonly PairRef[];
  readonly steps: readonly SwitchoverStep[];
}

/** A switchover asked for towards the site that is already active: nothing to plan. */
export class AlreadyActiveError extends Error {
  override readonly name = 'AlreadyActiveError';
}

/** Steps to move production from the province's active site to `to`. */
export function planSwitchover(province: ProvinceModel, to: Site): SwitchoverPlan {
  const from = otherSite(to);
  if (province.activeSite !== from) {
    throw new AlreadyActiveError(`${province.envName}: site ${to} is already active; a switchover goes from the active site (${province.activeSite}) to the other one`);
  }
  const unit = (zone: Zone, site: Site): DeploymentUnit => province.units.find((u) => u.zone === zone && u.site === site)!;
  const middlewarePairs: PairRef[] = ZONES.flatMap((zone) =>
    unit(zone, from)
      .middleware.filter((role) => DR_PAIRED_MIDDLEWARE.includes(role))
      .map((role) => ({ zone, role, from: unit(zone, from).middlewareVips[role]!, to: unit(zone, to).middlewareVips[role]! })),
  );
  // The business database pair, where the environment declares one (npm run switchover checks it too).
  const databasePairs: PairRef[] = ZONES.flatMap((zone) => {
    const [old, next] = [unit(zone, from).middlewarePlan.database, unit(zone, to).middlewarePlan.database];
    return old && next ? [{ zone, role: 'database' as const, from: old.address.host, to: next.address.host }] : [];
  });
  const pairs = [...middlewarePairs, ...databasePairs];
  const stacksAt = (site: Site) => ZONES.map((zone) => stackName(province.envName, zone, site));
  const deploy = (site: Site) => cdktfDeployCommand(province.envName, stacksAt(site), { activeSite: to });

  const steps: SwitchoverStep[] = [
    {
      kind: 'freeze-writes',
      site: from,
      title: `Stop writes at site ${from}`,
      detail: `If site ${from} still runs, take its applications out of the load balancer (or scale them to 0) so no write lands after the cut. Skip when site ${from} is down.`,
    },
    ...pairs.map(
      (pair): SwitchoverStep => ({
        kind: 'check-caught-up',
        pair,
        title: `Check ${pair.role} (${pair.zone}) at site ${to} has caught up`,
        detail: caughtUpCheck(pair),
      }),
    ),
    ...pairs.map(
      (pair): SwitchoverStep => ({
        kind: 'promote',
        pair,
        site: to,
        title: `Promote ${pair.role} (${pair.zone}) at site ${to}`,
        detail: promotion(pair),
      }),
    ),
    {
      kind: 'deploy',
      site: to,
      stacks: stacksAt(to),
      command: deploy(to),
      title: `Deploy site ${to} as the active site`,
      detail: `Makes the promotion permanent (no replicaof, no MirrorMaker 2 at ${to}) and moves every stable DNS name to site ${to}. Then set "activeSite": "${to}" in environments/${province.envName}.json and commit it.`,
    },
    {
      kind: 'wait-for-site',
      site: from,
      title: `Wait until site ${from} is back`,
      detail: `Nothing more happens at site ${from} until its clusters answer again.`,
    },
    {
      kind: 'deploy',
      site: from,
      stacks: stacksAt(from),
      command: deploy(from),
      title: `Deploy site ${from} as the standby site`,
      detail: `Re-points every pair at site ${from} to follow site ${to}: Redis resynchronises from ${to} (npm run switchover saves and counts the writes only ${from} holds first), FastDFS storage at ${from} is set to rw=none. Kafka, as Strimzi's DR guidance says: rebuild the old cluster at ${from} clean before it follows (delete its KafkaNodePool volumes, then deploy), so MirrorMaker 2 at ${from} copies ${to}'s topics into an empty cluster; a reverse mirror over the old data would duplicate records.`,
    },
    ...pairs.map(
      (pair): SwitchoverStep => ({
        kind: 'verify-following',
        pair,
        title: `Verify ${pair.role} (${pair.zone}) at site ${from} follows site ${to}`,
        detail: following(pair),
      }),
    ),
  ];
  return { envName: province.envName, from, to, pairs, steps };
}

function caughtUpCheck(pair: PairRef): string {
  switch (pair.role) {
    case 'redis-cache':
    case 'redis-session':
      return `redis-cli -h ${pair.to} -p 6379 --askpass INFO replication: master_link_status:up and slave_repl_offset equal to master_repl_offset of ${pair.from} (unchanged for 10 s once writes stopped).`;
    case 'kafka':
      return `MirrorMaker 2 at the new site has copied every record: its stored progress (Connect offset topic mirrormaker2-<source alias>-offsets) reaches the old site's end offsets, which no longer move, and every consumer group has translated offsets at the new site (npm run switchover checks both).`;
    case 'fastdfs':
      return `A file stored at ${pair.from}'s storage server arrives at ${pair.to}'s (binlog sync is in order: every earlier file has then arrived too). npm run switchover does it with a marker file; by hand: fdfs_upload_file at ${pair.from}'s storage, then fdfs_file_info at ${pair.to}'s answers. fdfs_monitor's last_synced_timestamp is seconds-coarse and can lag after a restart: not proof.`;
    case 'database':
      return `Once the applications stopped writing, the standby database at ${pair.to} has replayed every transaction of ${pair.from}: npm run switchover reads it with the database's own views (PostgreSQL and CloudNativePG: the replay position against the primary's; another product: its declared check command).`;
    default:
      return 'replication caught up';
  }
}

function promotion(pair: PairRef): string {
  switch (pair.role) {
    case 'redis-cache':
    case 'redis-session':
      return `redis-cli -h ${pair.to} -p 6379 --askpass REPLICAOF NO ONE: the primary at the new site stops following and keeps its data.`;
    case 'kafka':
      return 'Stop MirrorMaker 2 at the new site (the deploy below removes it); consumers resume there from the synced group offsets.';
    case 'fastdfs':
      return 'The deploy below sets the new site\'s storage to rw=both in storage_ids.conf; files are already there from binlog sync.';
    case 'database':
      return `The database's DBA demotes the primary at ${pair.from} (when it still runs), then promotes the standby at ${pair.to} (CloudNativePG: spec.replica.primary with the demotion token, which npm run switchover prints); the toolkit checks each step and changes no database role itself.`;
    default:
      return 'promote';
  }
}

function following(pair: PairRef): string {
  switch (pair.role) {
    case 'redis-cache':
    case 'redis-session':
      return `redis-cli -h ${pair.from} -p 6379 --askpass INFO replication: role:slave, master_host:${pair.to}, master_link_status:up.`;
    case 'kafka':
      return 'The KafkaMirrorMaker2 at the old site is Ready and its connectors RUNNING.';
    case 'fastdfs':
      return 'fdfs_monitor at both trackers shows both storage servers ACTIVE, the old site\'s with read write mode none, and both trackers send uploads to the new site; a file stored at either site arrives at the other.';
    case 'database':
      return `The database at ${pair.from} replicates from ${pair.to} (npm run switchover verifies it with the database's own views).`;
    default:
      return 'following';
  }
}

/** Plain-text runbook for operators. */
export function renderRunbook(plan: SwitchoverPlan): string {
  const lines = [
    `# Switchover of ${plan.envName}: site ${plan.from} -> site ${plan.to} (容灾切换)`,
    '',
    `DR pairs (灾备组): ${plan.pairs.map((p) => `${p.role}@${p.zone} ${p.from} -> ${p.to}`).join(', ')}`,
    '',
  ];
  plan.steps.forEach((step, i) => {
    lines.push(`${i + 1}. ${step.title}`);
    if (step.kind === 'deploy') lines.push(`   $ ${step.command}`);
    lines.push(`   ${step.detail}`);
  });
  lines.push('', `Failing back: run this runbook again with --to ${plan.from} once site ${plan.to} is active.`);
  return `${lines.join('\n')}\n`;
}

