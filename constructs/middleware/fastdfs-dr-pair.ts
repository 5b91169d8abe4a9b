import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { FASTDFS_IMAGE_TAG, FASTDFS_STORAGE_BASE_PATH, fastdfsJoinGate, PORTS, type FastdfsPlan } from '../../model/middleware-model';
import type { Site, Zone } from '../../model/topology';
import { annotateResource } from '../annotations';
import { configMapV1, serviceV1, statefulSetV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';
import type { ChartSource } from './chart-source';
import { CONFIG_HASH_ANNOTATION } from '../../model/platform-model';

export interface FastdfsDrPairProps {
  readonly plan: FastdfsPlan;
  readonly zone: Zone;
  readonly site: Site;
  readonly namespace: string;
  readonly source: ChartSource;
  /** lifecycle.prevent_destroy on the storage StatefulSet. @default true */
  readonly preventDestroy?: boolean;
}

/**
 * The FastDFS configuration files of one site (pure, tested): both sites' storage servers are members
 * of the same group, identified by storage id, and every storage reports to the trackers of both sites.
 * FastDFS syncs files between the members of a group from its binlog (asynchronously), so the standby
 * holds every file; its access mode (`rw=none`) keeps clients on the active site's storage.
 */
export function fastdfsConfigFiles(plan: FastdfsPlan): Record<string, string> {
  // This site's tracker first: at its start fdfs_storaged asks the trackers in this order, three times
  // each, five seconds apart (storage_ip_changed_dealer.c), so with the other site away a storage server
  // that listed it first came up 15 s late, and so did the failover (FastDFS drill).
  const own = (t: { host: string }) => (t.host === plan.address.host ? 0 : 1);
  const trackers = [...plan.trackers].sort((x, y) => own(x) - own(y)).map((t) => `tracker_server = ${t.host}:${t.port}`);
  return {
    'tracker.conf': [
      'disabled = false',
      `port = ${PORTS.fastdfsTracker}`,
      'base_path = /var/fdfs/tracker',
      'store_lookup = 2',
      'use_storage_id = true',
      'storage_ids_filename = storage_ids.conf',
      'id_type_in_filename = id',
      '',
    ].join('\n'),
    'storage.conf': [
      'disabled = false',
      `group_name = ${plan.group}`,
      `port = ${PORTS.fastdfsStorage}`,
      `base_path = ${FASTDFS_STORAGE_BASE_PATH}`,
      'store_path_count = 1',
      `store_path0 = ${FASTDFS_STORAGE_BASE_PATH}`,
      ...trackers,
      'sync_binlog_buff_interval = 1',
      // fdfs_storaged 6.13 refuses to start below 320 KB ("thread_stack_size 262144 is invalid"),
      // and 256 KB is its built-in default.
      'thread_stack_size = 512KB',
      '',
    ].join('\n'),
    'storage_ids.conf': [
      '# <storage id> <group> <address> <client access mode>',
      ...plan.storageServers.map((s) => `${s.id} ${plan.group} ${s.host} rw=${s.access}`),
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
    const { plan } = props;
    const image = `${props.source.imageRegistry}/${props.source.imagePath}/fastdfs:${FASTDFS_IMAGE_TAG}`;
    const labels = (component: string) => ({ 'app.kubernetes.io/name': plan.name, 'app.kubernetes.io/component': component });
    const files = fastdfsConfigFiles(plan);
    const config = configMapV1(this, 'Config', { metadata: { name: `${plan.name}-config`, namespace: props.namespace }, data: files });
    // FastDFS reads its files at start: a changed access mode (switchover) must restart the servers.
    const configHash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
    const configName = metadataNameOf(config);

    const securityContext = { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
    const volumeMounts = (component: 'tracker' | 'storage') => [
      { name: 'config', mountPath: '/etc/fdfs' },
      { name: 'data', mountPath: `/var/fdfs/${component}` },
    ];
    // The standby's storage server joins the group only after the active one (see fastdfsJoinGate).
    const joinGate = fastdfsJoinGate(plan);
    const server = (component: 'tracker' | 'storage', port: number, command: string, storageGiB: number) =>
      statefulSetV1(this, component === 'tracker' ? 'Tracker' : 'Resource', {
        metadata: { name: `${plan.name}-${component}`, namespace: props.namespace, labels: labels(component) },
        waitForRollout: true,
        lifecycle: { preventDestroy: component === 'storage' ? (props.preventDestroy ?? true) : false },
        spec: {
          serviceName: `${plan.name}-${component}`,
          replicas: '1',
          selector: { matchLabels: labels(component) },
          template: {
            metadata: { labels: labels(component), annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
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
    this.storage = server('storage', PORTS.fastdfsStorage, 'storaged', plan.storageGiB);
    annotateResource(this.storage, { component: 'dr-pair', role: 'fastdfs', zone: props.zone, site: props.site, mode: plan.mode, replication: 'asynchronous', ...(plan.mode === 'standby' ? { source: `${plan.storageServers.find((s) => s.access === 'both')!.host}:${PORTS.fastdfsStorage}` } : {}) });

    // Tracker and storage share the site's VIP (MetalLB shared IP): the other site reaches both there.
    for (const [component, port] of [['tracker', PORTS.fastdfsTracker], ['storage', PORTS.fastdfsStorage]] as const) {
      serviceV1(this, component === 'tracker' ? 'TrackerService' : 'StorageService', {
        metadata: { name: `${plan.name}-${component}`, namespace: props.namespace, annotations: { 'metallb.universe.tf/allow-shared-ip': plan.name } },
        spec: { type: 'LoadBalancer', loadBalancerIp: plan.address.host, selector: labels(component), port: [{ name: component, port, targetPort: String(port) }] },
      });
    }
  }
}
