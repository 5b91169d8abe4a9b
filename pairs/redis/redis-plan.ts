/**
 * A Redis DR pair's plan (one per role and zone): what one site's half runs, as the model decides it and
 * the construct renders it, and the redis.conf lines and start-up gate it is rendered with.
 */
import { PORTS, type DrMode, type Endpoint, type PairPlanContext } from '../../model/middleware-model';

export const REDIS_PASSWORD_KEY = 'redis-password';
/** Redis's `min-replicas-to-write` and `min-replicas-max-lag` of an active primary. */
export interface RedisLagBound {
  /** The local read replicas plus the other datacenter's server: Redis counts replicas, not sites. */
  readonly minReplicas: number;
  /** How far behind (seconds) a replica may be for the primary to take a write (`middleware.<pair>.maxLagSeconds`). */
  readonly maxLagSeconds: number;
}

/** One site's half of a Redis pair, as the model decides it (planRedis) and RedisDrPair renders it. */
export interface RedisPlan {
  /** Which of a zone's Redis pairs this is; named in the annotations and in the fencing gate's log line. */
  readonly role: 'redis-cache' | 'redis-session';
  /** Helm release name, also the prefix of the Kubernetes names. */
  readonly releaseName: string;
  /** bitnami/redis chart version (the mirror must hold it). */
  readonly chartVersion: string;
  /** `primary`: this site's primary takes writes. `standby`: it replicates from `replicationSource`. */
  readonly mode: DrMode;
  /** This site's address (the primary's LoadBalancer VIP) for clients and for the other site. */
  readonly address: Endpoint;
  /**
   * The active site's address, which a standby's primary replicates from. Required when `mode` is `standby`.
   * @default - none: the active site's primary replicates from nobody
   */
  readonly replicationSource?: Endpoint;
  /**
   * The other datacenter's address of the same pair. A primary that finds a primary there when it starts
   * starts fenced (writes refused). Absent when the pair is unpaired.
   * @default - none: unpaired, no start-up gate
   */
  readonly peerAddress?: Endpoint;
  /** Read replicas next to the primary, at this site. */
  readonly replicas: number;
  /**
   * The pair's RPO bound: at the active site the primary refuses writes while a replica (the other
   * site's included) is further behind. @default - no bound (asynchronous)
   */
  readonly lagBound?: RedisLagBound;
  /** maxmemory; the container gets 1.5 times this for replication buffers and fork copy-on-write. */
  readonly memoryMiB: number;
  /** Persistent volume of each server. */
  readonly storageGiB: number;
  /** `allkeys-lru` for a cache; `volatile-lru` where live sessions must not be evicted. */
  readonly evictionPolicy: 'allkeys-lru' | 'volatile-lru';
  /** Existing Secret with the password (key REDIS_PASSWORD_KEY), the same at both sites. */
  readonly authSecret: string;
  /** Existing Secret with this site's certificate (TLS_SECRET_KEYS): Redis listens and replicates over TLS only. */
  readonly tlsSecret: string;
}

/**
 * redis.conf lines of one site's Redis primary (bitnami `master.configuration`). At the standby site the
 * primary is itself a replica of the active site (`replicaof`): the declarative state survives restarts,
 * and promotion (`REPLICAOF NO ONE`, then this file without `replicaof`) keeps the data.
 */
export function redisPrimaryConfiguration(plan: Pick<RedisPlan, 'role' | 'mode' | 'replicationSource' | 'lagBound'>): string {
  const lines = [`# ${plan.role}: ${plan.mode} (managed by hsa-dr-toolkit)`];
  if (plan.replicationSource) lines.push(`replicaof ${plan.replicationSource.host} ${plan.replicationSource.port}`, 'replica-read-only yes', 'replica-serve-stale-data yes');
  // The RPO bound holds at the active primary only: a promoted standby must take writes without the
  // site it lost (the switchover puts the bound back once that site follows again).
  if (plan.mode === 'primary' && plan.lagBound) lines.push(`min-replicas-to-write ${plan.lagBound.minReplicas}`, `min-replicas-max-lag ${plan.lagBound.maxLagSeconds}`);
  return `${lines.join('\n')}\n`;
}

/** Seconds between the primary's pings to its replicas (redis.conf `repl-ping-replica-period`). */
export const REDIS_REPLICATION_PING_SECONDS = 2;
/** Seconds without data after which either side drops the replication link (`repl-timeout`). */
export const REDIS_REPLICATION_TIMEOUT_SECONDS = 10;

/** redis.conf lines shared by every Redis server of a pair (bitnami `commonConfiguration`). */
export function redisCommonConfiguration(plan: Pick<RedisPlan, 'memoryMiB' | 'evictionPolicy'>): string {
  return [
    `maxmemory ${plan.memoryMiB}mb`,
    `maxmemory-policy ${plan.evictionPolicy}`,
    'appendonly yes',
    'appendfsync everysec',
    // Replication of the large cross-site link: a generous backlog avoids full resyncs after short cuts.
    'repl-backlog-size 256mb',
    'repl-diskless-sync yes',
    // The chart's TLS mode closes the plaintext port; replicas, the other datacenter's included, must
    // then replicate over TLS too.
    'tls-replication yes',
    // A dead cross-site link must show within seconds: by default a replica reports
    // master_link_status:up for repl-timeout (60 s) after the link dies. The primary pings its replicas
    // every 2 s, and either side drops the link after 10 s without data; TCP keepalive every 10 s
    // finds half-open connections.
    `repl-ping-replica-period ${REDIS_REPLICATION_PING_SECONDS}`,
    `repl-timeout ${REDIS_REPLICATION_TIMEOUT_SECONDS}`,
    'tcp-keepalive 10',
    '',
  ].join('\n');
}

/**
 * More replicas than any pair has: a primary told to wait for this many refuses every write with
 * `NOREPLICAS` and still serves reads. That is the fence (隔离) of an old primary: its data stays
 * readable for the divergence report, and no client can write to it.
 */
export const REDIS_FENCE_MIN_REPLICAS = 1000;

/**
 * The key the switchover's fence writes into the old primary's own data: it lives in the server's
 * append-only files, survives any restart, and is gone once the server is re-pointed (a replica's data
 * is replaced by its primary's). The start-up gate finds it there and starts the server fenced again.
 */
export const REDIS_FENCE_MARKER_KEY = 'hsa-dr:fenced-by-switchover';

/**
 * Start-up gate of a primary (bitnami `master.preExecCmds`, run by the chart's start script just before
 * `exec redis-server "${ARGS[@]}"`). Whatever restarts the server (a crash, a node reboot, the
 * datacenter coming back) goes through it, and it starts the server fenced, its writes refused until the
 * switchover has saved what only it holds and re-pointed it, when either
 * - its own data holds the switchover's fence marker (`REDIS_FENCE_MARKER_KEY`, looked for in the files
 *   of the `dir` its included configuration names): it was fenced before this restart, whether or not
 *   the other datacenter answers now; or
 * - the other datacenter's server of the pair answers as a primary itself: this site was failed over
 *   while it was away.
 * When neither holds (never fenced, and the other datacenter silent for 3 s) the primary starts
 * writable: the standby site's outage must not stop the active site.
 */
export function redisStartupGate(plan: Pick<RedisPlan, 'role' | 'mode' | 'peerAddress'>): string[] {
  if (plan.mode !== 'primary' || !plan.peerAddress) return [];
  const { host, port } = plan.peerAddress;
  return [
    [
      // The data directory: the last `dir` of the configuration files the start script includes.
      'HSA_DR_DIR=""',
      'for (( i = 0; i + 1 < ${#ARGS[@]}; i++ )); do',
      '  if [ "${ARGS[$i]}" = "--include" ]; then d="$(awk \'$1 == "dir" { print $2 }\' "${ARGS[$((i + 1))]}" 2>/dev/null | tail -n 1)"; [ -n "$d" ] && HSA_DR_DIR="$d"; fi',
      'done',
      `if [ -n "$HSA_DR_DIR" ] && grep -rqaF '${REDIS_FENCE_MARKER_KEY}' "$HSA_DR_DIR/appendonlydir" "$HSA_DR_DIR/dump.rdb" 2>/dev/null; then`,
      `  echo "hsa-dr: ${plan.role} was fenced by a switchover before this restart (its data holds the fence marker): starting fenced, writes refused until the switchover re-points this server" >&2`,
      `  ARGS+=("--min-replicas-to-write" "${REDIS_FENCE_MIN_REPLICAS}")`,
      // REDIS_TLS_CA_FILE is set by the chart's TLS mode: the other site's certificate comes from the same CA.
      // The password reaches redis-cli in REDISCLI_AUTH, as it reads it, never on its command line (ps).
      `elif [ "$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 3 redis-cli --tls --cacert "$REDIS_TLS_CA_FILE" -h ${host} -p ${port} ROLE 2>/dev/null | head -n 1)" = "master" ]; then`,
      `  echo "hsa-dr: ${plan.role} at ${host}:${port} (the other datacenter) is a primary: starting fenced, writes refused until the switchover re-points this server" >&2`,
      `  ARGS+=("--min-replicas-to-write" "${REDIS_FENCE_MIN_REPLICAS}")`,
      'fi',
    ].join('\n'),
  ];
}

/** The zone's Redis pairs at this site: cache and sessions, where its applications use them. */
export function planRedis(context: PairPlanContext): RedisPlan[] {
  const { site, activeSite, settings, modeOf, uses, vip, versions, secrets } = context;
  const unpaired = { has: context.unpaired };
  return (['redis-cache', 'redis-session'] as const).filter(uses).map((role) => {
    const size = role === 'redis-cache' ? settings?.redisCache : settings?.redisSession;
    const mode = modeOf(role);
    return {
      role,
      releaseName: role,
      mode,
      address: { host: vip(role, site), port: PORTS.redis },
      ...(mode === 'standby' ? { replicationSource: { host: vip(role, activeSite), port: PORTS.redis } } : {}),
      ...(unpaired.has(role) ? {} : { peerAddress: { host: vip(role, site === 'A' ? 'B' : 'A'), port: PORTS.redis } }),
      replicas: size?.replicas ?? 2,
      ...(size?.maxLagSeconds !== undefined && !unpaired.has(role) ? { lagBound: { minReplicas: (size.replicas ?? 2) + 1, maxLagSeconds: size.maxLagSeconds } } : {}),
      memoryMiB: size?.memoryMiB ?? 2048,
      storageGiB: size?.storageGiB ?? 20,
      evictionPolicy: role === 'redis-cache' ? 'allkeys-lru' : 'volatile-lru',
      authSecret: secrets.redis,
      tlsSecret: secrets.redisTls,
      chartVersion: versions.redis,
    };
  });
}
