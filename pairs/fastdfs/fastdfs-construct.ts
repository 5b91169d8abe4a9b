import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { FASTDFS_HEARTBEAT_SECONDS, FASTDFS_IMAGE_TAG, FASTDFS_STORAGE_BASE_PATH, fastdfsJoinGate, type FastdfsPlan } from './fastdfs-plan';
import { PORTS } from '../../model/middleware-model';
import { annotateResource } from '../../constructs/annotations';
import { configMapV1, serviceV1, statefulSetV1 } from '../../constructs/l1/kubernetes';
import { metadataNameOf } from '../../constructs/l1/light-resource';
import { CONFIG_HASH_ANNOTATION } from '../../model/platform-model';
import type { DrPairPlacement } from '../placement';

/** A storage server of the group, at either site. */
/** `preventDestroy` covers the storage StatefulSet. */
export interface FastdfsDrPairProps extends DrPairPlacement, FastdfsPlan {}

/** Each server's data volume, its `base_path` (the storage server's is also its one store path and what the join gate reads). */
const DATA_PATH = { tracker: '/var/fdfs/tracker', storage: FASTDFS_STORAGE_BASE_PATH } as const;

/**
 * The FastDFS configuration files of one site (pure, tested): both sites' storage servers are members
 * of the same group, identified by storage id, and every storage reports to the trackers of both sites.
 * FastDFS syncs files between the members of a group from its binlog (asynchronously), so the standby
 * holds every file; its access mode (`rw=none`) keeps clients on the active site's storage.
 */
export function fastdfsConfigFiles(pair: Pick<FastdfsDrPairProps, 'group' | 'storageServers' | 'trackers'>): Record<string, string> {
  const trackers = pair.trackers.map((t) => `tracker_server = ${t.host}:${t.port}`);
  return {
    'tracker.conf': [
      'disabled = false',
      `port = ${PORTS.fastdfsTracker}`,
      `base_path = ${DATA_PATH.tracker}`,
      'store_lookup = 2',
      'use_storage_id = true',
      'storage_ids_filename = storage_ids.conf',
      'id_type_in_filename = id',
      '',
    ].join('\n'),
    'storage.conf': [
      'disabled = false',
      `group_name = ${pair.group}`,
      `port = ${PORTS.fastdfsStorage}`,
      `base_path = ${FASTDFS_STORAGE_BASE_PATH}`,
      'store_path_count = 1',
      `store_path0 = ${FASTDFS_STORAGE_BASE_PATH}`,
      ...trackers,
      'sync_binlog_buff_interval = 1',
      // The trackers learn a storage server's status, upload counts and sync progress at its heartbeat
      // (30 s by default): the FastDFS drill's failover waited ~18 s on it for the new site to take
      // uploads, and a new member's sync started up to 30 s late.
      `heart_beat_interval = ${FASTDFS_HEARTBEAT_SECONDS}`,
      // fdfs_storaged 6.13 refuses to start below 320 KB ("thread_stack_size 262144 is invalid"),
      // and 256 KB is its built-in default.
      'thread_stack_size = 512KB',
      '',
    ].join('\n'),
    'storage_ids.conf': [
      '# <storage id> <group> <address> <client access mode>',
      ...pair.storageServers.map((s) => `${s.id} ${pair.group} ${s.host} rw=${s.access}`),
      '',
    ].join('\n'),
  };
}

/**
 * One datacenter's half of the FastDFS DR pair (灾备组): a tracker and a storage server, with the
 * configuration from {@link fastdfsConfigFiles}, both reachable from the other site at this site's VIP.
 * FastDFS has no official chart, so the toolkit writes the Kubernetes objects itself.
 */
export class FastdfsDrPair extends Construct {
  private readonly storage: TerraformResource;

  constructor(scope: Construct, id: string, props: FastdfsDrPairProps) {
    super(scope, id);
    const active = props.storageServers.find((server) => server.access === 'both');
    if (!active) throw new Error(`FastdfsDrPair ${this.node.path}: no storage server has access 'both' (the active site's)`);
    const image = `${props.source.imageRegistry}/${props.source.imagePath}/fastdfs:${FASTDFS_IMAGE_TAG}`;
    const labels = (component: string) => ({ 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/component': component });
    const files = fastdfsConfigFiles(props);
    const config = configMapV1(this, 'Config', { metadata: { name: `${props.name}-config`, namespace: props.namespace }, data: files });
    // FastDFS reads its files at start, so a changed file restarts the server that reads it. The access
    // modes (storage_ids.conf) are the trackers' alone: a switchover restarts the trackers and leaves the
    // storage servers running. A storage server that starts while the other site is away spends 15 s
    // (45 s where the dead site's packets are dropped) trying its tracker before it serves
    // (storage_get_my_tracker_client_ip, three tries five seconds apart): the FastDFS drill's failover
    // waited 18 s on it when the switchover restarted the storage server too.
    const hashOf = (names: readonly string[]) => createHash('sha256').update(JSON.stringify(names.map((n) => [n, files[n]]))).digest('hex').slice(0, 16);
    const configHash = { tracker: hashOf(['tracker.conf', 'storage_ids.conf']), storage: hashOf(['storage.conf']) };
    const configName = metadataNameOf(config);

    const securityContext = { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
    const volumeMounts = (component: 'tracker' | 'storage') => [
      { name: 'config', mountPath: '/etc/fdfs' },
      { name: 'data', mountPath: DATA_PATH[component] },
    ];
    // A storage server joins the group for the first time only after the active one (see fastdfsJoinGate).
    const joinGate = fastdfsJoinGate(props);
    const server = (component: 'tracker' | 'storage', port: number, command: string, storageGiB: number) =>
      statefulSetV1(this, component === 'tracker' ? 'Tracker' : 'Resource', {
        metadata: { name: `${props.name}-${component}`, namespace: props.namespace, labels: labels(component) },
        waitForRollout: true,
        lifecycle: { preventDestroy: component === 'storage' ? (props.preventDestroy ?? true) : false },
        spec: {
          serviceName: `${props.name}-${component}`,
          replicas: '1',
          selector: { matchLabels: labels(component) },
          template: {
            metadata: { labels: labels(component), annotations: { [CONFIG_HASH_ANNOTATION]: configHash[component] } },
            spec: {
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: '10001', runAsGroup: '10001', fsGroup: '10001', seccompProfile: { type: 'RuntimeDefault' } },
              ...(component === 'storage' && joinGate
                ? { initContainer: [{ name: 'join-gate', image, command: ['sh', '-c', joinGate], resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } }, securityContext, volumeMount: volumeMounts(component) }] }
                : {}),
              container: [
                {
                  name: component,
                  image,
                  // -N: in the foreground. Without it fdfs_trackerd/fdfs_storaged daemonize, the
                  // container's first process exits and the pod restarts forever.
                  command: ['fdfs_' + command, `/etc/fdfs/${component}.conf`, '-N'],
                  port: [{ name: component, containerPort: port }],
                  resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } },
                  readinessProbe: { tcpSocket: [{ port: String(port) }], periodSeconds: 10 },
                  livenessProbe: { tcpSocket: [{ port: String(port) }], initialDelaySeconds: 30, periodSeconds: 20 },
                  securityContext,
                  volumeMount: volumeMounts(component),
                },
              ],
              volume: [{ name: 'config', configMap: { name: configName } }],
            },
          },
          volumeClaimTemplate: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${storageGiB}Gi` } } } }],
        },
      });

    server('tracker', PORTS.fastdfsTracker, 'trackerd', 10);
    this.storage = server('storage', PORTS.fastdfsStorage, 'storaged', props.storageGiB);
    annotateResource(this.storage, { component: 'dr-pair', role: 'fastdfs', zone: props.zone, site: props.site, mode: props.mode, replication: 'asynchronous', ...(props.mode === 'standby' ? { source: `${active.host}:${PORTS.fastdfsStorage}` } : {}) });

    // Tracker and storage share the site's VIP (MetalLB shared IP): the other site reaches both there.
    for (const [component, port] of [['tracker', PORTS.fastdfsTracker], ['storage', PORTS.fastdfsStorage]] as const) {
      serviceV1(this, component === 'tracker' ? 'TrackerService' : 'StorageService', {
        metadata: { name: `${props.name}-${component}`, namespace: props.namespace, annotations: { 'metallb.universe.tf/allow-shared-ip': props.name } },
        spec: { type: 'LoadBalancer', loadBalancerIp: props.address.host, selector: labels(component), port: [{ name: component, port, targetPort: String(port) }] },
      });
    }
  }
}
