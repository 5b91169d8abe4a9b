import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { IMAGES, imageReference } from '../../model/images';
import { CLOUDNATIVE_PG_ROLES, type CloudNativePgPlan } from './database-plan';
import { PORTS, TLS_SECRET_KEYS } from '../../model/middleware-model';
import { otherSite, type Site } from '../../model/topology';
import { annotateResource, declareImages } from '../../constructs/annotations';
import { helmRelease } from '../../constructs/l1/helm';
import { manifest, serviceV1 } from '../../constructs/l1/kubernetes';
import { CLOUDNATIVE_PG_METRICS_PORT, databaseMetricsServiceName } from './database-monitoring';
import { helmValues } from '../../constructs/middleware/chart-source';
import type { DrPairPlacement } from '../placement';

/** `preventDestroy` covers the Cluster. */
export interface CloudNativePgDrPairProps extends DrPairPlacement, CloudNativePgPlan {}

/** The subset of cloudnative-pg chart values the toolkit sets, typed so a misspelled key fails to compile. */
interface CloudNativePgChartValues {
  readonly image: { readonly repository: string; readonly tag: string };
  /** Namespace-scoped (WATCH_NAMESPACE is the release's), and the operand image from the mirror. */
  readonly config: { readonly clusterWide: false; readonly data: { readonly POSTGRES_IMAGE_NAME: string } };
}

/** The Cluster's volume the PostgreSQL data lives on, as CloudNativePG names it in its pods. */
const PGDATA_VOLUME = 'pgdata';
/** The operator's admission webhooks listen here (chart value webhook.port); the API server calls them. */
export const CLOUDNATIVE_PG_WEBHOOK_PORT = 9443;

/**
 * One datacenter's half of the business database's DR pair when PostgreSQL runs in the clusters: the
 * CloudNativePG operator (namespace-scoped) and this site's Cluster, in a distributed topology of two
 * Clusters that name each other in `externalClusters`. The one named `replica.primary` (the active
 * site's) takes writes; the other is a replica cluster whose designated primary streams from it over
 * the datacenter link, TLS both ways (`streaming_replica`'s client certificate, both sites' server
 * certificates from one CA). A switchover moves `primary` with CloudNativePG's demotion and promotion
 * token (pairs/database/database-member.ts), so CloudNativePG promotes the new site only once it has
 * replayed everything the old one wrote.
 *
 * Each site's database VIP is a LoadBalancer service on its Cluster's (designated) primary: the
 * applications, the other site's replica cluster, the backup job and the switchover reach it there.
 * Velero skips the data volumes (a file copy of a running PostgreSQL is not a backup): the daily backup
 * is the toolkit's pg_basebackup job, as for a PostgreSQL outside the cluster.
 */
export class CloudNativePgDrPair extends Construct {
  private readonly cluster: TerraformResource;

  constructor(scope: Construct, id: string, props: CloudNativePgDrPairProps) {
    super(scope, id);
    if (props.clusterNames.A === props.clusterNames.B) throw new Error(`CloudNativePgDrPair ${this.node.path}: clusterNames.A and clusterNames.B must differ`);
    // This site's Cluster, the active site's, and the one a replica cluster streams from: the plan's decisions.
    const { self, primary, mode, sourceCluster } = props;
    if (self !== props.clusterNames[props.site]) throw new Error(`CloudNativePgDrPair ${this.node.path}: self ${self} is not clusterNames.${props.site} (${props.clusterNames[props.site]})`);
    const operandImage = imageReference(props.source.imageRegistry, props.source.imagePath, 'cloudNativePgPostgresql');
    const operatorImage = imageReference(props.source.imageRegistry, props.source.imagePath, 'cloudNativePg');
    const values: CloudNativePgChartValues = {
      image: { repository: `${props.source.imageRegistry}/${props.source.imagePath}/${IMAGES.cloudNativePg.name}`, tag: IMAGES.cloudNativePg.tag },
      config: { clusterWide: false, data: { POSTGRES_IMAGE_NAME: operandImage } },
    };
    const operator = helmRelease(this, 'Operator', {
      name: 'cnpg',
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'cloudnative-pg',
      version: props.operatorChartVersion,
      values: [helmValues(values)],
      atomic: true,
    });
    // The operator runs its image in its own pod and as every PostgreSQL pod's instance manager.
    declareImages(operator, [operatorImage, operandImage]);

    const { secrets } = props;
    const replicaLogin = { sslKey: { name: secrets.replicationTls, key: TLS_SECRET_KEYS.key }, sslCert: { name: secrets.replicationTls, key: TLS_SECRET_KEYS.certificate }, sslRootCert: { name: secrets.tls, key: TLS_SECRET_KEYS.ca } };
    const sites: readonly Site[] = ['A', 'B'];
    this.cluster = manifest(this, 'Cluster', {
      manifest: {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: self, namespace: props.namespace },
        spec: {
          instances: props.instances,
          imageName: operandImage,
          imagePullPolicy: 'IfNotPresent',
          primaryUpdateStrategy: 'unsupervised',
          enableSuperuserAccess: false,
          storage: { size: `${props.storageGiB}Gi` },
          inheritedMetadata: { annotations: { 'backup.velero.io/backup-volumes-excludes': PGDATA_VOLUME } },
          // Used once, when the Cluster is created: the active site's starts empty, the other copies it.
          // A site rebuilt later as the standby bootstraps from whichever site is active then.
          bootstrap:
            mode === 'primary'
              ? {
                  initdb: {
                    database: props.databases[0]!,
                    owner: CLOUDNATIVE_PG_ROLES.owner,
                    secret: { name: secrets.owner },
                    dataChecksums: true,
                    postInitSQL: props.databases.slice(1).map((name) => `CREATE DATABASE ${name} OWNER ${CLOUDNATIVE_PG_ROLES.owner}`),
                  },
                }
              : // The application database named as at the active site: CloudNativePG's instance manager runs
                // its monitoring queries in it, and would look for a database `app` (its default) that a copy of
                // the other site does not have, so every replication metric of this site would be missing.
                { pg_basebackup: { source: sourceCluster, database: props.databases[0]!, owner: CLOUDNATIVE_PG_ROLES.owner, secret: { name: secrets.owner } } },
          replica: { self, primary, source: sourceCluster },
          externalClusters: sites.map((site) => ({
            name: props.clusterNames[site],
            connectionParameters: { host: props.addresses[site], port: String(PORTS.database), user: 'streaming_replica', dbname: 'postgres', sslmode: 'verify-full' },
            ...replicaLogin,
          })),
          // Certificates from the province's CA (existing Secrets, cert-manager's keys): the other site's
          // replica cluster verifies this site's server certificate and logs in with its client one.
          certificates: { serverTLSSecret: secrets.tls, serverCASecret: secrets.tls, clientCASecret: secrets.tls, replicationTLSSecret: secrets.replicationTls },
          postgresql: { pg_hba: [`hostssl replication ${CLOUDNATIVE_PG_ROLES.backup} all scram-sha-256`] },
          managed: {
            roles: [
              { name: CLOUDNATIVE_PG_ROLES.backup, ensure: 'present', login: true, replication: true, passwordSecret: { name: secrets.backup } },
              { name: CLOUDNATIVE_PG_ROLES.switchover, ensure: 'present', login: true, inRoles: ['pg_monitor'], passwordSecret: { name: secrets.switchover } },
            ],
            services: {
              // CloudNativePG adds the selector and the port (5432) itself.
              additional: [{ selectorType: 'rw', serviceTemplate: { metadata: { name: 'hsa-db-vip' }, spec: { type: 'LoadBalancer', loadBalancerIP: props.addresses[props.site] } } }],
            },
          },
        },
      },
      dependsOn: [operator],
      lifecycle: { preventDestroy: props.preventDestroy ?? true },
    });
    annotateResource(this.cluster, {
      component: 'dr-pair',
      role: 'database',
      zone: props.zone,
      site: props.site,
      mode: mode,
      replication: 'asynchronous',
      ...(mode === 'standby' ? { source: `${props.addresses[otherSite(props.site)]}:${PORTS.database}` } : {}),
    });
    // The DR member's metrics (pairs/database/database-monitoring.ts): the (designated) primary, as the
    // `-rw` Service selects it, on the instance manager's metrics port.
    serviceV1(this, 'PrimaryMetrics', {
      metadata: { name: databaseMetricsServiceName(props), namespace: props.namespace },
      spec: {
        selector: { 'cnpg.io/cluster': self, 'cnpg.io/instanceRole': 'primary' },
        port: [{ name: 'metrics', port: CLOUDNATIVE_PG_METRICS_PORT, targetPort: String(CLOUDNATIVE_PG_METRICS_PORT) }],
      },
    });
  }
}
