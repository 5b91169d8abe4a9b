import type { MiddlewarePlan } from '../../model/middleware-plan';
import type { MiddlewareSetProps } from '../middleware/middleware-set';

/** What of MiddlewareSet's props the zone's middleware plan decides. */
export type PlannedMiddleware = Pick<MiddlewareSetProps, 'redis' | 'kafka' | 'fastdfs' | 'database' | 'nacos' | 'xxlJob' | 'logService' | 'credentials' | 'preventDestroy'>;

/**
 * The middleware plan of one zone and site (model/middleware-model.ts) as the plain props of the DR
 * pairs and services, field by field: the constructs take documented values, never the plan, so they can
 * be used without the toolkit's model, and a field the plan adds for the switchover stays out of them.
 */
export function plannedMiddleware(plan: MiddlewarePlan): PlannedMiddleware {
  const { kafka, fastdfs } = plan;
  const cluster = plan.database?.product.kind === 'cloudnative-pg' ? plan.database.product.cluster : undefined;
  const nacos = plan.supporting.find((service) => service.role === 'nacos');
  const xxlJob = plan.supporting.find((service) => service.role === 'xxl-job');
  const log = plan.supporting.find((service) => service.role === 'log');
  return {
    redis: plan.redis.map((redis) => ({
      role: redis.role,
      releaseName: redis.releaseName,
      chartVersion: redis.chartVersion,
      mode: redis.mode,
      address: redis.address,
      ...(redis.replicationSource ? { replicationSource: redis.replicationSource } : {}),
      ...(redis.peerAddress ? { peerAddress: redis.peerAddress } : {}),
      replicas: redis.replicas,
      ...(redis.lagBound ? { lagBound: redis.lagBound } : {}),
      memoryMiB: redis.memoryMiB,
      storageGiB: redis.storageGiB,
      evictionPolicy: redis.evictionPolicy,
      authSecret: redis.authSecret,
      tlsSecret: redis.tlsSecret,
    })),
    ...(kafka
      ? {
          kafka: {
            clusterName: kafka.clusterName,
            operatorChartVersion: kafka.operatorChartVersion,
            mode: kafka.mode,
            address: kafka.address,
            brokerAddresses: kafka.brokerAddresses,
            ...(kafka.mirrorSource ? { mirrorSource: kafka.mirrorSource } : {}),
            localAlias: kafka.localAlias,
            sourceAlias: kafka.sourceAlias,
            storageGiB: kafka.storageGiB,
            tlsSecret: kafka.tlsSecret,
            usersSecret: kafka.usersSecret,
            users: kafka.users,
          },
        }
      : {}),
    ...(fastdfs
      ? {
          fastdfs: {
            name: fastdfs.name,
            mode: fastdfs.mode,
            group: fastdfs.group,
            storageServers: fastdfs.storageServers.map((server) => ({ id: server.id, host: server.host, access: server.access })),
            trackers: fastdfs.trackers,
            address: fastdfs.address,
            storageGiB: fastdfs.storageGiB,
          },
        }
      : {}),
    ...(cluster
      ? {
          database: {
            operatorChartVersion: cluster.operatorChartVersion,
            clusterNames: cluster.clusterNames,
            activeSite: plan.activeSite,
            addresses: cluster.addresses,
            instances: cluster.instances,
            storageGiB: cluster.storageGiB,
            databases: cluster.databases,
            secrets: cluster.secrets,
          },
        }
      : {}),
    ...(nacos?.role === 'nacos' ? { nacos: { name: nacos.name, address: nacos.address } } : {}),
    ...(xxlJob?.role === 'xxl-job' ? { xxlJob: { name: xxlJob.name, address: xxlJob.address } } : {}),
    ...(log?.role === 'log' ? { logService: { releaseName: log.releaseName, chartVersion: log.chartVersion, address: log.address } } : {}),
    credentials: { database: plan.secrets.database, log: plan.secrets.log },
    preventDestroy: plan.preventDestroy,
  };
}
