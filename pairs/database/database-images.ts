/** The business database pair's images: CloudNativePG's where it runs the pair, the exporter of a PostgreSQL outside the clusters. */
export const DATABASE_IMAGES = {
  /** cloudnative-pg/charts cloudnative-pg 0.29.0: the operator (its appVersion); it also runs as the instance manager in every PostgreSQL pod. */
  cloudNativePg: { name: 'cloudnative-pg', tag: '1.30.0' },
  /** CloudNativePG's PostgreSQL (operand) image, major 17 like the backup job's client: ghcr.io/cloudnative-pg/postgresql's "standard" flavour. */
  cloudNativePgPostgresql: { name: 'cloudnative-pg-postgresql', tag: '17.6-standard-trixie' },
  /** prometheus-community/prometheus-postgres-exporter 8.0.0 (its appVersion): quay.io/prometheuscommunity/postgres-exporter. */
  postgresExporter: { name: 'postgres-exporter', tag: 'v0.19.1' },
} as const;
