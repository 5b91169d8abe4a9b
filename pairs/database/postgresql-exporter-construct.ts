import { Construct } from 'constructs';
import { IMAGES, imageReference } from '../../model/images';
import { declareImages } from '../../constructs/annotations';
import { helmRelease } from '../../constructs/l1/helm';
import { helmValues } from '../../constructs/middleware/chart-source';
import type { ReleasePlacement } from '../../constructs/placement';
import { POSTGRES_EXPORTER_PORT, POSTGRES_EXPORTER_RELEASE, type PostgresqlMonitoringPlan } from './database-plan';

export interface PostgresqlExporterProps extends ReleasePlacement, PostgresqlMonitoringPlan {}

/** The postgres_exporter collectors the alerts need beyond the default ones: the standby's WAL receiver (the link). */
export const POSTGRES_EXPORTER_EXTRA_COLLECTORS = ['--collector.stat_wal_receiver'] as const;

/** The subset of prometheus-community/prometheus-postgres-exporter values the toolkit sets, typed so a misspelled key fails to compile. */
export interface PostgresExporterChartValues {
  readonly fullnameOverride: string;
  readonly image: { readonly registry: string; readonly repository: string; readonly tag: string };
  /** The Service on the exporter's own port, so Prometheus's target and the namespace's policy name one port. */
  readonly service: { readonly port: number; readonly targetPort: number };
  /** The chart's Role grants nothing the exporter uses, and its ServiceAccount's token is not mounted: neither is made. */
  readonly rbac: { readonly create: false };
  readonly serviceAccount: { readonly create: false };
  readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly cpu: string; readonly memory: string } };
  readonly config: {
    /** DATA_SOURCE_URI `<host>:<port>/postgres?sslmode=<mode>`; the login from the Secret (DATA_SOURCE_USER, DATA_SOURCE_PASS), never in the values. */
    readonly datasource: {
      readonly host: string;
      readonly port: string;
      readonly database: 'postgres';
      readonly sslmode: PostgresqlMonitoringPlan['sslMode'];
      readonly userSecret: { readonly name: string; readonly key: 'username' };
      readonly passwordSecret: { readonly name: string; readonly key: 'password' };
    };
    readonly extraArgs: readonly string[];
  };
}

/** The chart's values for a site's exporter: what the construct deploys, and what the drill runs the real exporter with. */
export function postgresExporterValues(props: Omit<PostgresqlExporterProps, 'namespace' | 'zone' | 'site'>): PostgresExporterChartValues {
  return {
    fullnameOverride: POSTGRES_EXPORTER_RELEASE,
    image: { registry: props.source.imageRegistry, repository: `${props.source.imagePath}/${IMAGES.postgresExporter.name}`, tag: IMAGES.postgresExporter.tag },
    service: { port: POSTGRES_EXPORTER_PORT, targetPort: POSTGRES_EXPORTER_PORT },
    rbac: { create: false },
    serviceAccount: { create: false },
    resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
    config: {
      datasource: {
        host: props.server.host,
        port: String(props.server.port),
        database: 'postgres',
        sslmode: props.sslMode,
        userSecret: { name: props.credentialsSecret, key: 'username' },
        passwordSecret: { name: props.credentialsSecret, key: 'password' },
      },
      extraArgs: [...POSTGRES_EXPORTER_EXTRA_COLLECTORS],
    },
  };
}

/**
 * One site's watch on the business database when it runs outside the clusters (`product: postgresql`):
 * postgres_exporter in the middleware namespace (where the monitoring role's Secret is), reading this
 * site's server only, at its address. The alerts on what it serves are pairs/database/database-monitoring.ts's.
 */
export class PostgresqlExporter extends Construct {
  constructor(scope: Construct, id: string, props: PostgresqlExporterProps) {
    super(scope, id);
    const release = helmRelease(this, 'Release', {
      name: POSTGRES_EXPORTER_RELEASE,
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'prometheus-postgres-exporter',
      version: props.chartVersion,
      values: [helmValues(postgresExporterValues(props))],
      atomic: true,
      timeout: 600,
    });
    declareImages(release, [imageReference(props.source.imageRegistry, props.source.imagePath, 'postgresExporter')]);
  }
}
