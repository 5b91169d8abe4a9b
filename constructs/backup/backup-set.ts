import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { BACKUP_CREDENTIALS_KEY, VELERO_CHART_VERSION, type BackupStore } from '../../model/backup-plan';
import { IMAGES, imageReference } from '../../model/images';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import type { SitePlacement } from '../placement';
import { annotateResource, declareImages } from '../annotations';
import { helmRelease } from '../l1/helm';
import { helmValues, type ChartSource } from '../middleware/chart-source';
import { addPlatformNamespace } from '../tenancy/platform-namespace';
import { Peer } from '../tenancy/network-policy-set';

export interface BackupSetProps extends SitePlacement {
  /** The other datacenter's object store, where this cluster's backups go. */
  readonly store: BackupStore;
  /** This cluster's backups inside the bucket, e.g. `demo/core-a`. */
  readonly prefix: string;
  /** Cron (cluster time) of the daily full backup. */
  readonly schedule: string;
  /** Days a backup is kept (Velero's `ttl`). */
  readonly retentionDays: number;
  /** Namespaces backed up, objects and volumes. */
  readonly namespaces: readonly string[];
  /** The province's chart repository and image mirror (Velero and its plugin). */
  readonly source: ChartSource;
  /** The cluster's API server as pods reach it: Velero watches and reads the cluster through it. */
  readonly apiServer: { readonly host: string; readonly port: number };
  /** Velero's metrics port, when the site's Prometheus (namespace `hsa-monitoring`) scrapes it. @default - not scraped */
  readonly monitoringPorts?: readonly number[];
}

/** Name of the backup storage location every schedule writes to. */
const LOCATION = 'offsite';

/** The subset of vmware-tanzu/velero values the toolkit sets, typed so a misspelled key fails to compile. */
interface VeleroChartValues {
  readonly image: { readonly repository: string; readonly tag: string };
  /** The object-store plugin is copied into Velero's plugin directory by an init container. */
  readonly initContainers: readonly {
    readonly name: string;
    readonly image: string;
    readonly volumeMounts: readonly { readonly mountPath: string; readonly name: string }[];
  }[];
  /** CRDs come from the chart's crds/ on install; the upgrade job would pull a kubectl image from outside the mirror. */
  readonly upgradeCRDs: false;
  readonly credentials: { readonly useSecret: true; readonly existingSecret: string };
  readonly snapshotsEnabled: false;
  readonly deployNodeAgent: true;
  readonly configuration: {
    readonly backupStorageLocation: readonly {
      readonly name: string;
      readonly provider: 'aws';
      readonly bucket: string;
      readonly prefix: string;
      readonly default: true;
      readonly credential: { readonly name: string; readonly key: string };
      readonly config: { readonly region: string; readonly s3Url: string; readonly s3ForcePathStyle: 'true' };
    }[];
    readonly uploaderType: 'kopia';
    readonly defaultVolumesToFsBackup: true;
  };
  readonly schedules: Readonly<
    Record<
      string,
      {
        readonly disabled: false;
        readonly schedule: string;
        readonly template: { readonly ttl: string; readonly includedNamespaces: readonly string[]; readonly storageLocation: string; readonly defaultVolumesToFsBackup: true };
      }
    >
  >;
}

/**
 * Daily off-site backup of one cluster (数据备份): Velero in its own namespace, with the node agent
 * copying pod volumes, a schedule over the middleware namespace, and the other datacenter's object
 * store as the only storage location. Credentials come from an existing Secret. The namespace allows
 * egress only to the API server and the store; it is `privileged` for Pod Security Admission because the
 * node agent reads pod volumes from the node (hostPath), which `restricted` and `baseline` refuse.
 */
export class BackupSet extends Construct {
  private readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: BackupSetProps) {
    super(scope, id);
    const { namespaceName, policies } = addPlatformNamespace(this, 'Namespace', {
      name: PLATFORM_NAMESPACES.backup,
      labels: { 'pod-security.kubernetes.io/enforce': 'privileged' },
    });
    policies.allowTo('AllowToApiServer', Peer.addresses([props.apiServer.host]), [props.apiServer.port], { name: 'allow-to-api-server' });
    if (props.monitoringPorts) policies.allowFrom('AllowMonitoring', Peer.namespace(PLATFORM_NAMESPACES.monitoring), props.monitoringPorts, { name: 'allow-from-monitoring' });
    policies.allowTo('AllowToOffsiteStore', Peer.addresses([props.store.host]), [props.store.port], { name: 'allow-to-offsite-store' });

    const reference = (id: 'velero' | 'veleroPluginForAws') => imageReference(props.source.imageRegistry, props.source.imagePath, id);
    const values: VeleroChartValues = {
      image: { repository: `${props.source.imageRegistry}/${props.source.imagePath}/${IMAGES.velero.name}`, tag: IMAGES.velero.tag },
      initContainers: [{ name: 'velero-plugin-for-aws', image: reference('veleroPluginForAws'), volumeMounts: [{ mountPath: '/target', name: 'plugins' }] }],
      upgradeCRDs: false,
      credentials: { useSecret: true, existingSecret: props.store.credentialsSecret },
      snapshotsEnabled: false,
      deployNodeAgent: true,
      configuration: {
        backupStorageLocation: [
          {
            name: LOCATION,
            provider: 'aws',
            bucket: props.store.bucket,
            prefix: props.prefix,
            default: true,
            credential: { name: props.store.credentialsSecret, key: BACKUP_CREDENTIALS_KEY },
            config: { region: props.store.region, s3Url: props.store.endpoint, s3ForcePathStyle: 'true' },
          },
        ],
        uploaderType: 'kopia',
        defaultVolumesToFsBackup: true,
      },
      schedules: {
        daily: {
          disabled: false,
          schedule: props.schedule,
          template: { ttl: `${props.retentionDays * 24}h0m0s`, includedNamespaces: props.namespaces, storageLocation: LOCATION, defaultVolumesToFsBackup: true },
        },
      },
    };
    this.release = helmRelease(this, 'Velero', {
      name: 'velero',
      namespace: namespaceName,
      repository: props.source.repository,
      chart: 'velero',
      version: VELERO_CHART_VERSION,
      values: [helmValues(values)],
      atomic: true,
      timeout: 900,
    });
    declareImages(this.release, [reference('velero'), reference('veleroPluginForAws')]);
    annotateResource(this.release, {
      component: 'backup',
      zone: props.zone,
      site: props.site,
      schedule: props.schedule,
      retentionDays: props.retentionDays,
      storeSite: props.store.site,
      target: `${props.store.endpoint}/${props.store.bucket}/${props.prefix}`,
      namespaces: props.namespaces,
    });
  }
}
