import type { MiddlewarePlan } from '../../model/middleware-plan';
import type { MiddlewareSetProps } from '../middleware/middleware-set';

/** What of MiddlewareSet's props the zone's middleware plan decides. */
export type PlannedMiddleware = Pick<MiddlewareSetProps, 'redis' | 'kafka' | 'fastdfs' | 'database' | 'nacos' | 'xxlJob' | 'logService' | 'credentials' | 'preventDestroy'>;

/**
 * The middleware plan of one zone and site (model/middleware-plan.ts) as MiddlewareSet's props. Each DR
 * pair's construct takes its kind's plan type itself (pairs/<kind>/<kind>-plan.ts: one documented struct
 * the model decides and the construct renders), so the pairs pass as they are; only the services without
 * a pair are picked out of the supporting list.
 */
export function plannedMiddleware(plan: MiddlewarePlan): PlannedMiddleware {
  const cluster = plan.database?.product.kind === 'cloudnative-pg' ? plan.database.product.cluster : undefined;
  const nacos = plan.supporting.find((service) => service.role === 'nacos');
  const xxlJob = plan.supporting.find((service) => service.role === 'xxl-job');
  const log = plan.supporting.find((service) => service.role === 'log');
  return {
    redis: plan.redis,
    ...(plan.kafka ? { kafka: plan.kafka } : {}),
    ...(plan.fastdfs ? { fastdfs: plan.fastdfs } : {}),
    ...(cluster ? { database: cluster } : {}),
    ...(nacos?.role === 'nacos' ? { nacos: { name: nacos.name, address: nacos.address } } : {}),
    ...(xxlJob?.role === 'xxl-job' ? { xxlJob: { name: xxlJob.name, address: xxlJob.address } } : {}),
    ...(log?.role === 'log' ? { logService: { releaseName: log.releaseName, chartVersion: log.chartVersion, address: log.address } } : {}),
    credentials: { database: plan.secrets.database, log: plan.secrets.log },
    preventDestroy: plan.preventDestroy,
  };
}
