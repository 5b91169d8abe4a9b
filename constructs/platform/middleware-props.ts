import { REDIS_HOOK_BACKUP_FILE } from '../../model/backup-plan';
import { imageReference } from '../../model/images';
import type { LogShippingPlan } from '../../model/log-shipping';
import { DR_PAIRED_MIDDLEWARE } from '../../model/catalog';
import { PORTS } from '../../model/middleware-model';
import type { MiddlewarePlan } from '../../model/middleware-plan';
import { scrapedPorts } from '../../model/monitoring-plan';
import { serviceDnsName, type DeploymentUnit, type ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import type { ChartSource } from '../middleware/chart-source';
import type { MiddlewareSetProps } from '../middleware/middleware-set';
import { registeredPairRenders } from '../../pairs/kind-renders';

/** What of MiddlewareSet's props the zone's middleware plan decides. */
export type PlannedMiddleware = Pick<MiddlewareSetProps, 'redis' | 'kafka' | 'fastdfs' | 'database' | 'databaseExporter' | 'nacos' | 'xxlJob' | 'logService' | 'credentials' | 'preventDestroy'>;

/**
 * The middleware plan of one zone and site (model/middleware-plan.ts) as MiddlewareSet's props. Each DR
 * pair's construct takes its kind's plan type itself (pairs/<kind>/<kind>-plan.ts: one documented struct
 * the model decides and the construct renders), so the pairs pass as they are; only the services without
 * a pair are picked out of the supporting list.
 */
export function plannedMiddleware(plan: MiddlewarePlan, observed: boolean): PlannedMiddleware {
  const cluster = plan.database?.product.kind === 'cloudnative-pg' ? plan.database.product.cluster : undefined;
  const outside = plan.database?.product.kind === 'postgresql' ? plan.database.product.monitoring : undefined;
  const nacos = plan.supporting.find((service) => service.role === 'nacos');
  const xxlJob = plan.supporting.find((service) => service.role === 'xxl-job');
  const log = plan.supporting.find((service) => service.role === 'log');
  return {
    redis: plan.redis,
    ...(plan.kafka ? { kafka: plan.kafka } : {}),
    ...(plan.fastdfs ? { fastdfs: plan.fastdfs } : {}),
    ...(cluster ? { database: cluster } : {}),
    // Watched only where somebody reads the alerts: the environment declares observability.
    ...(outside && observed ? { databaseExporter: outside } : {}),
    ...(nacos?.role === 'nacos' ? { nacos: { name: nacos.name, address: nacos.address } } : {}),
    ...(xxlJob?.role === 'xxl-job' ? { xxlJob: { name: xxlJob.name, address: xxlJob.address } } : {}),
    ...(log?.role === 'log' ? { logService: { releaseName: log.releaseName, chartVersion: log.chartVersion, address: log.address } } : {}),
    credentials: { database: plan.secrets.database, log: plan.secrets.log },
    preventDestroy: plan.preventDestroy,
  };
}

/** Everything MiddlewareSet needs of one unit: its plan, its clients, the other site's addresses. */
export function unitMiddlewareProps(unit: DeploymentUnit, province: ProvinceModel, source: ChartSource): MiddlewareSetProps {
  const databaseInCluster = unit.middlewarePlan.database?.product.kind === 'cloudnative-pg';
  const registeredPairs = registeredPairRenders(unit.middlewarePlan);
  return {
    // Clients: each tenant namespace on the ports of the middleware its applications use.
    clients: unit.middlewareClients.filter((tenant) => tenant.inClusterPorts.length > 0).map((tenant) => ({ namespace: tenant.namespace, ports: tenant.inClusterPorts })),
    ...plannedMiddleware(unit.middlewarePlan, province.observability !== undefined),
    zone: unit.zone,
    site: unit.site,
    source,
    // The peer's bootstrap addresses and, for Kafka, each of its brokers (clients connect to every broker).
    peerAddresses: [
      ...unit.middleware.filter((role) => DR_PAIRED_MIDDLEWARE.includes(role) || (role === 'database' && databaseInCluster)).map((role) => unit.peerMiddlewareVips[role]!),
      ...(unit.middlewarePlan.kafka?.peerBrokerAddresses ?? []),
      ...registeredPairs.flatMap((pair) => pair.peerAddresses),
    ],
    ...(unit.peerEgressCidrs ? { peerSources: unit.peerEgressCidrs } : {}),
    apiServer: unit.apiServer,
    // CloudNativePG's replica cluster streams from the other site's primary.
    replicationPorts: [PORTS.redis, PORTS.kafkaExternal, PORTS.fastdfsTracker, PORTS.fastdfsStorage, ...(databaseInCluster ? [PORTS.database] : []), ...registeredPairs.flatMap((pair) => pair.replicationPorts)],
    ...(registeredPairs.length > 0 ? { registeredPairs } : {}),
    databaseAddresses: [unit.middlewareVips.database, unit.peerMiddlewareVips.database].filter((a): a is string => a !== undefined),
    databaseHost: serviceDnsName('database', unit.zone, province.envName, province.dnsDomain),
    databasePort: unit.middlewarePorts.database,
    ...(unit.backupPlan ? { redisBackupFile: REDIS_HOOK_BACKUP_FILE } : {}),
    ...monitoredPorts(unit, PLATFORM_NAMESPACES.middleware),
    ...(unit.logShipping ? { logGateway: logGatewayOf(unit.logShipping, source) } : {}),
  };
}

/** The unit's log gateway as MiddlewareSet takes it, with the namespaces whose shippers send to it. */
function logGatewayOf(plan: LogShippingPlan, source: ChartSource): NonNullable<MiddlewareSetProps['logGateway']> {
  const { gateway, applications } = plan;
  return {
    name: gateway.name,
    port: gateway.port,
    replicas: gateway.replicas,
    config: gateway.config,
    caSecret: gateway.caSecret,
    image: imageReference(source.imageRegistry, source.imagePath, 'logGatewayCollector'),
    projects: [...new Set(applications.map((app) => app.project))].sort(),
    senders: [...new Set(applications.map((app) => app.namespace))].sort(),
  };
}

/** The exporter ports the unit's Prometheus scrapes in a namespace, as `monitoringPorts` (absent when none). */
export function monitoredPorts(unit: Pick<DeploymentUnit, 'monitoring'>, namespace: string): { monitoringPorts?: readonly number[] } {
  const ports = unit.monitoring ? scrapedPorts(unit.monitoring, namespace) : [];
  return ports.length > 0 ? { monitoringPorts: ports } : {};
}
