/**
 * Every image the toolkit deploys, pinned. Charts pull helper images besides their main one (metrics
 * exporters, init containers); an air-gapped datacenter needs each of them under its mirror path
 * (`registry.images`), so the constructs set every image a release renders explicitly from this table,
 * declare the list on the release (`npm run images` reads it), and the conformance procedure
 * (docs/conformance.md) checks the list against what the real charts render.
 *
 * Tags of chart images are the chart's own defaults at the pinned chart version (read from the chart's
 * values.yaml at its release tag); a mirror copies them from upstream under the same tag.
 */
import { DATABASE_IMAGES } from '../pairs/database/database-images';
import { FASTDFS_IMAGES } from '../pairs/fastdfs/fastdfs-images';
import { REDIS_IMAGES } from '../pairs/redis/redis-images';

/**
 * Image names (the last path segments under `registry.images`) and their pinned tags: each kind of DR
 * pair's from its folder (pairs/<kind>/<kind>-images.ts), then the rest of the platform's.
 */
export const IMAGES = {
  ...REDIS_IMAGES,
  ...FASTDFS_IMAGES,
  ...DATABASE_IMAGES,
  /** bitnami/elasticsearch 21.4.0 */
  elasticsearch: { name: 'elasticsearch', tag: '8.16.1-debian-12-r0' },
  /** The init container that copies the generated TLS certificates (elasticsearch 21.4.0 `copyTlsCerts.image`). */
  osShell: { name: 'os-shell', tag: '12-debian-12-r33' },
  /** bitnami/nginx 19.0.4 */
  nginx: { name: 'nginx', tag: '1.27.4-debian-12-r6' },
  /** coredns/coredns chart 1.43.0 (its appVersion) */
  coredns: { name: 'coredns', tag: '1.12.2' },
  /** kong/kong chart 2.52.0 */
  kong: { name: 'kong', tag: '3.9' },
  /** Nacos server (written by the toolkit: no usable upstream chart). */
  nacos: { name: 'nacos-server', tag: 'v2.4.3' },
  /** XXL-JOB admin (written by the toolkit: no upstream chart). */
  xxlJobAdmin: { name: 'xxl-job-admin', tag: '2.4.2' },
  /** vmware-tanzu/velero 12.1.0: the chart's image (server and node agent). */
  velero: { name: 'velero', tag: 'v1.18.1' },
  /** The business database's backup job: pg_basebackup and pg_verifybackup 17 (bitnami/postgresql 17.1.0 chart's image; a client takes backups of servers of its major version and older). */
  postgresql: { name: 'postgresql', tag: '17.6.0-debian-12-r4' },
  /** Velero's object-store plugin for S3-compatible stores: v1.14.x is the line for Velero 1.18.x (the plugin's compatibility table). */
  veleroPluginForAws: { name: 'velero-plugin-for-aws', tag: 'v1.14.0' },
  /** prometheus-community/prometheus 29.27.0: the server (the chart's appVersion). */
  prometheus: { name: 'prometheus', tag: 'v3.14.0' },
  /** prometheus 29.27.0 `configmapReload.prometheus.image`: reloads the server when its rules change. */
  prometheusConfigReloader: { name: 'prometheus-config-reloader', tag: 'v0.93.1' },
  /** prometheus-community/alertmanager 1.42.0 (the prometheus chart's dependency; its appVersion). */
  alertmanager: { name: 'alertmanager', tag: 'v0.34.0' },
  /** prometheus-community/prometheus-blackbox-exporter 11.17.2 (its appVersion). */
  blackboxExporter: { name: 'blackbox-exporter', tag: 'v0.28.0' },
  /** The collectors beside the applications: business events and log shipping (the OpenTelemetry Collector's contrib distribution; the drills build the same components at this version). */
  otelCollector: { name: 'opentelemetry-collector-contrib', tag: '0.165.0' },
  /**
   * The log gateway beside the log service: the same distribution at the release whose Elasticsearch
   * exporter the Go module proxy serves, so the drill runs the exporter it deploys (model/log-shipping.ts).
   */
  logGatewayCollector: { name: 'opentelemetry-collector-contrib', tag: '0.150.0' },
  /** Runs the business figures service (business/figures-server.js: Node's standard library only). */
  node: { name: 'node', tag: '22.11.0-alpine3.20' },
} as const;

export type ImageId = keyof typeof IMAGES;

/** A full image reference under the mirror: `<registry host>/<path>/<name>:<tag>`. */
export function imageReference(imageRegistry: string, imagePath: string, id: ImageId): string {
  return mirrorImage(imageRegistry, imagePath, IMAGES[id]);
}

/** Any image under the mirror (one of IMAGES, or one an environment names, e.g. a vendor's backup tool). */
export function mirrorImage(imageRegistry: string, imagePath: string, image: { readonly name: string; readonly tag: string }): string {
  return `${imageRegistry}/${imagePath}/${image.name}:${image.tag}`;
}

export { STRIMZI_IMAGE_PATH, strimziImages } from '../pairs/kafka/kafka-images';
