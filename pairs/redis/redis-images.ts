/** The Redis pairs' images (bitnami/redis 20.6.2's, the chart's defaults at that version). */
export const REDIS_IMAGES = {
  /** bitnami/redis 20.6.2 */
  redis: { name: 'redis', tag: '7.4.2-debian-12-r0' },
  /** The release's metrics sidecar (redis_exporter 1.67.0), which the alerts read. */
  redisExporter: { name: 'redis-exporter', tag: '1.67.0-debian-12-r0' },
} as const;
