import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { redisCommonConfiguration, redisPrimaryConfiguration, redisStartupGate, REDIS_PASSWORD_KEY, type RedisPlan } from './redis-plan';
import { TLS_SECRET_KEYS } from '../../model/middleware-model';
import { redisBackupHookAnnotations } from './redis-backup';
import { IMAGES, imageReference } from '../../model/images';
import { annotateResource, declareImages } from '../../constructs/annotations';
import { helmRelease } from '../../constructs/l1/helm';
import { helmValues } from '../../constructs/middleware/chart-source';
import type { DrPairPlacement } from '../placement';

export interface RedisDrPairProps extends DrPairPlacement, RedisPlan {
  /**
   * Where the Velero pre-backup hook writes the primary's checked dump.
   * @default - none: the cluster is not backed up, no hook
   */
  readonly backupFile?: string;
}

/** The subset of bitnami/redis values the toolkit sets, typed so a misspelled key fails to compile. */
interface RedisChartValues {
  readonly architecture: 'replication';
  readonly global: { readonly imageRegistry: string; readonly security: { readonly allowInsecureImages: boolean } };
  readonly image: ChartImage;
  readonly auth: { readonly enabled: true; readonly existingSecret: string; readonly existingSecretPasswordKey: string };
  /**
   * TLS only: the chart then closes the plaintext port (`--port 0 --tls-port 6379`). Clients and the
   * other site's replica authenticate by password over TLS and verify the server; client certificates
   * are not required (every application would need one).
   */
  readonly tls: {
    readonly enabled: true;
    readonly authClients: false;
    readonly existingSecret: string;
    readonly certFilename: string;
    readonly certKeyFilename: string;
    readonly certCAFilename: string;
  };
  readonly commonConfiguration: string;
  readonly master: {
    readonly count: 1;
    readonly configuration: string;
    /** The fencing start-up gate of an active site's primary (pairs/redis/redis-plan.ts, redisStartupGate). */
    readonly preExecCmds?: readonly string[];
    /** Velero's pre-backup hook (pairs/redis/redis-backup.ts). */
    readonly podAnnotations?: Readonly<Record<string, string>>;
    readonly persistence: { readonly enabled: true; readonly size: string };
    readonly resources: ResourceValues;
    readonly service: { readonly type: 'LoadBalancer'; readonly loadBalancerIP: string; readonly ports: { readonly redis: number } };
  };
  readonly replica: {
    readonly replicaCount: number;
    readonly persistence: { readonly enabled: true; readonly size: string };
    readonly resources: ResourceValues;
  };
  /** The exporter sidecar is a second image: it must come from the mirror too. */
  readonly metrics: { readonly enabled: true; readonly image: ChartImage };
}

/** A bitnami image block: the registry is `global.imageRegistry`. */
interface ChartImage {
  readonly repository: string;
  readonly tag: string;
}

interface ResourceValues {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * One datacenter's half of a Redis DR pair (灾备组), as a bitnami/redis release. Each site runs a
 * primary with local read replicas. At the active site the primary takes writes; at the standby site the
 * primary is declared a replica of the active site's address (`replicaof` in its configuration), so the
 * role survives every restart and promotion keeps the data. Both sites read the password from the same
 * existing Secret (requirepass and masterauth); every connection, replication across the datacenter
 * link included, is TLS with the site's certificate from an existing Secret.
 */
export class RedisDrPair extends Construct {
  private readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: RedisDrPairProps) {
    super(scope, id);
    if (props.mode === 'standby' && !props.replicationSource) {
      throw new Error(`RedisDrPair ${this.node.path}: a standby needs replicationSource (the active site's address)`);
    }
    // Room above maxmemory for replication buffers and fork copy-on-write.
    const containerMemoryMiB = Math.ceil(props.memoryMiB * 1.5);
    const resources: ResourceValues = {
      requests: { cpu: '500m', memory: `${containerMemoryMiB}Mi` },
      limits: { cpu: '2', memory: `${containerMemoryMiB}Mi` },
    };
    const gate = redisStartupGate(props);
    const values: RedisChartValues = {
      architecture: 'replication',
      // Mirrored images live under another repository name, which bitnami charts accept only with this flag.
      global: { imageRegistry: props.source.imageRegistry, security: { allowInsecureImages: true } },
      image: { repository: `${props.source.imagePath}/${IMAGES.redis.name}`, tag: IMAGES.redis.tag },
      auth: { enabled: true, existingSecret: props.authSecret, existingSecretPasswordKey: REDIS_PASSWORD_KEY },
      tls: { enabled: true, authClients: false, existingSecret: props.tlsSecret, certFilename: TLS_SECRET_KEYS.certificate, certKeyFilename: TLS_SECRET_KEYS.key, certCAFilename: TLS_SECRET_KEYS.ca },
      commonConfiguration: redisCommonConfiguration(props),
      master: {
        count: 1,
        configuration: redisPrimaryConfiguration(props),
        ...(gate.length > 0 ? { preExecCmds: gate } : {}),
        ...(props.backupFile ? { podAnnotations: redisBackupHookAnnotations(props.backupFile) } : {}),
        persistence: { enabled: true, size: `${props.storageGiB}Gi` },
        resources,
        service: { type: 'LoadBalancer', loadBalancerIP: props.address.host, ports: { redis: props.address.port } },
      },
      replica: { replicaCount: props.replicas, persistence: { enabled: true, size: `${props.storageGiB}Gi` }, resources },
      metrics: { enabled: true, image: { repository: `${props.source.imagePath}/${IMAGES.redisExporter.name}`, tag: IMAGES.redisExporter.tag } },
    };
    this.release = helmRelease(this, 'Resource', {
      name: props.releaseName,
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'redis',
      version: props.chartVersion,
      values: [helmValues(values)],
      atomic: true,
      timeout: 900,
      lifecycle: { preventDestroy: props.preventDestroy ?? true },
    });
    declareImages(this.release, [imageReference(props.source.imageRegistry, props.source.imagePath, 'redis'), imageReference(props.source.imageRegistry, props.source.imagePath, 'redisExporter')]);
    annotateResource(this.release, {
      component: 'dr-pair',
      role: props.role,
      zone: props.zone,
      site: props.site,
      mode: props.mode,
      replication: 'asynchronous',
      ...(props.replicationSource ? { source: `${props.replicationSource.host}:${props.replicationSource.port}` } : {}),
    });
  }
}
