/**
 * A FastDFS DR pair's plan (one per zone): both sites' storage servers in one group, syncing both ways,
 * the active site's writable.
 */
import { PORTS, type DrMode, type Endpoint, type PairPlanContext } from '../../model/middleware-model';
import type { Site } from '../../model/topology';

export const FASTDFS_IMAGE_TAG = 'V6.13.0';
/** Where a FastDFS storage server keeps its data (`base_path`, `store_path0`, the volume's mount path). */
export const FASTDFS_STORAGE_BASE_PATH = '/var/fdfs/storage';
/** A FastDFS storage server's heartbeat to its trackers (`heart_beat_interval`; FastDFS's default is 30 s). */
export const FASTDFS_HEARTBEAT_SECONDS = 5;

export interface FastdfsStorageServer {
  /** FastDFS storage id (storage_ids.conf); file ids name it, so it never changes. */
  readonly id: number;
  /** The datacenter it runs in. */
  readonly site: Site;
  /** Its address (its site's VIP). */
  readonly host: string;
  /** `both` on the active site's storage server; `none` keeps clients off the standby's. */
  readonly access: 'both' | 'none';
}

/** One site's half of a FastDFS pair, as the model decides it (planFastdfs) and FastdfsDrPair renders it. */
export interface FastdfsPlan {
  /** Prefix of the Kubernetes names. */
  readonly name: string;
  /** `standby`: this site's storage server only receives the active site's files. */
  readonly mode: DrMode;
  /** The storage group both sites' storage servers belong to: the unit of cross-site sync. */
  readonly group: string;
  /** Both sites' storage servers, in site order (one when the pair is unpaired). */
  readonly storageServers: readonly FastdfsStorageServer[];
  /** The trackers of both datacenters: each storage server reports to all of them. */
  readonly trackers: readonly Endpoint[];
  /** This site's VIP, shared by its tracker and storage server (the port is the tracker's). */
  readonly address: Endpoint;
  /** The storage server's volume. */
  readonly storageGiB: number;}

/**
 * A paired storage server's join gate (an init container's shell script), or undefined when unpaired.
 * FastDFS V6.13's tracker gives a storage server that joins a group for the first time a sync source
 * only among the group's *writable* members (`tracker_get_group_sync_src_server`): if the standby
 * (`rw=none`) joined first, the active site's new storage server would never get one and would stay
 * `INIT` for good, and uploads would fail (found by the FastDFS drill, the standby's servers started
 * first). So a storage server that has not yet finished a first sync (no `sync_old_done=1` in its
 * `.data_init_flag`) and is not the active one waits until the active one is ACTIVE at the active
 * site's tracker; one that has synced before starts at once, also while the other site is away. The
 * active one is read from storage_ids.conf at start, so the script is the same whichever site is active:
 * a switchover does not change the storage server's pod, and does not restart it.
 */
export function fastdfsJoinGate(plan: Pick<FastdfsPlan, 'group' | 'address'> & { readonly storageServers: readonly unknown[] }): string | undefined {
  if (plan.storageServers.length < 2) return undefined;
  return [
    `grep -qx 'sync_old_done=1' ${FASTDFS_STORAGE_BASE_PATH}/data/.data_init_flag 2>/dev/null && exit 0`,
    `active=$(awk '$2 == "${plan.group}" && $4 == "rw=both" { print $3; exit }' /etc/fdfs/storage_ids.conf)`,
    `[ "$active" = "${plan.address.host}" ] && exit 0`,
    `pattern="^[[:space:]]*ip_addr = $(printf '%s' "$active" | sed 's/[.]/[.]/g')[^ ]*  ACTIVE$"`,
    `until fdfs_monitor /etc/fdfs/storage.conf -h "$active:${PORTS.fastdfsTracker}" list ${plan.group} 2>/dev/null | grep -Eq "$pattern"; do`,
    `  echo "hsa-dr: first join of ${plan.group}: waiting until the active site's storage server ($active) is ACTIVE" >&2`,
    '  sleep 5',
    'done',
    '',
  ].join('\n');
}

/** The zone's FastDFS pair at this site, where its applications use FastDFS. */
export function planFastdfs(context: PairPlanContext): FastdfsPlan | undefined {
  const { site, activeSite, settings, modeOf, uses, vip } = context;
  const unpaired = { has: context.unpaired };
  return uses('fastdfs')
    ? {
        name: 'fastdfs',
        mode: modeOf('fastdfs'),
        group: 'group1',
        // Unpaired: each site's storage is alone in its group and reports to its own tracker only.
        storageServers: (['A', 'B'] as const)
          .map((s, i) => ({ id: 100001 + i, site: s, host: vip('fastdfs', s), access: s === activeSite || unpaired.has('fastdfs') ? ('both' as const) : ('none' as const) }))
          .filter((s) => !unpaired.has('fastdfs') || s.site === site),
        trackers: (['A', 'B'] as const).filter((s) => !unpaired.has('fastdfs') || s === site).map((s) => ({ host: vip('fastdfs', s), port: PORTS.fastdfsTracker })),
        address: { host: vip('fastdfs', site), port: PORTS.fastdfsTracker },
        storageGiB: settings?.fastdfs?.storageGiB ?? 200,
      }
    : undefined;
}
