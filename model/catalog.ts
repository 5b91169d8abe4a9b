/**
 * The application catalog, defined once for every province.
 *
 * The national medical-insurance information platform (国家医疗保障信息平台) groups its business subsystems in
 * four application classes (四类应用: 公共服务、经办管理、智能监控、宏观决策) on top of a shared business middle
 * platform (业务中台). A province's environment file chooses which catalog entries it deploys and gives only
 * what differs (version, replicas, resources, project); where an application runs and what it depends on
 * is fixed here, so every province and both datacenters agree.
 */
import type { Zone } from './topology';

export type ApplicationClass =
  | 'public-service' // 公共服务类
  | 'handling-management' // 经办管理类
  | 'intelligent-monitoring' // 智能监控类
  | 'macro-decision' // 宏观决策类
  | 'middle-platform'; // 业务中台

/**
 * System type after JR/T 0209-2021 (金融信息系统多活技术规范 应用策略), which decides how the two sites serve it:
 * flow (流水型), account (账户型), compute (计算型), query (查询型).
 */
export type SystemType = 'flow' | 'account' | 'compute' | 'query';

/**
 * Middleware an application reaches, always by its stable DNS name in the application's own zone:
 * redis-cache (business cache, 业务缓存), redis-session (shared sessions on their own servers, HSAF 6.2.3),
 * kafka, fastdfs, nacos (service registry + config center), xxl-job, log, and database (the vendor
 * distributed database outside the cluster, reached by name).
 */
export const MIDDLEWARE_ROLES = ['redis-cache', 'redis-session', 'kafka', 'fastdfs', 'nacos', 'xxl-job', 'log', 'database'] as const;
export type MiddlewareRole = (typeof MIDDLEWARE_ROLES)[number];
/** Middleware that holds data and is paired across datacenters (灾备组), as the national bureau requires. */
export const DR_PAIRED_MIDDLEWARE: readonly MiddlewareRole[] = ['redis-cache', 'redis-session', 'kafka', 'fastdfs'];

export interface CatalogApplication {
  readonly id: string;
  readonly nameZh: string;
  readonly applicationClass: ApplicationClass;
  readonly zone: Zone;
  readonly systemType: SystemType;
  readonly uses: readonly MiddlewareRole[];
  /** HTTP port the container listens on. */
  readonly port: number;
  /** Spring Boot actuator paths, the HSAF default. */
  readonly readinessPath: string;
  readonly livenessPath: string;
}

const HSAF_PROBES = { port: 8080, readinessPath: '/actuator/health/readiness', livenessPath: '/actuator/health/liveness' };

function app(
  id: string,
  nameZh: string,
  applicationClass: ApplicationClass,
  zone: Zone,
  systemType: SystemType,
  uses: readonly MiddlewareRole[],
): CatalogApplication {
  return { id, nameZh, applicationClass, zone, systemType, uses, ...HSAF_PROBES };
}

const WEB: readonly MiddlewareRole[] = ['nacos', 'redis-cache', 'redis-session', 'log'];
const BUSINESS: readonly MiddlewareRole[] = ['nacos', 'redis-cache', 'redis-session', 'kafka', 'database', 'log'];
const WITH_FILES: readonly MiddlewareRole[] = [...BUSINESS, 'fastdfs'];
const BATCH: readonly MiddlewareRole[] = ['nacos', 'redis-cache', 'kafka', 'database', 'xxl-job', 'log'];

/** Every application the toolkit knows, in a fixed order (the order of resources in the output). */
export const APPLICATION_CATALOG: readonly CatalogApplication[] = [
  // 公共服务区: internet-facing services
  app('public-service-hall', '网上服务大厅', 'public-service', 'public', 'query', WEB),
  app('mobile-service', '移动服务(APP/小程序)', 'public-service', 'public', 'query', WEB),
  app('e-voucher', '医保电子凭证', 'public-service', 'public', 'flow', [...WEB, 'kafka']),
  app('public-file-service', '公共文件服务', 'public-service', 'public', 'query', ['nacos', 'fastdfs', 'log']),
  // 核心业务区: handling management (经办管理类)
  app('basic-info', '基础信息管理', 'handling-management', 'core', 'account', BUSINESS),
  app('business-foundation', '医保业务基础', 'handling-management', 'core', 'account', BUSINESS),
  app('handling-service', '医保经办管理', 'handling-management', 'core', 'account', WITH_FILES),
  app('settlement', '医保结算', 'handling-management', 'core', 'flow', BUSINESS),
  app('cross-province-medical', '跨省异地就医管理', 'handling-management', 'core', 'flow', BUSINESS),
  app('payment-method', '支付方式管理', 'handling-management', 'core', 'compute', BATCH),
  app('medical-service', '医药服务管理', 'handling-management', 'core', 'account', BUSINESS),
  app('price-procurement', '医药价格和招采管理', 'handling-management', 'core', 'query', WITH_FILES),
  app('internal-portal', '内部统一门户', 'handling-management', 'core', 'query', WEB),
  // 智能监控类
  app('fund-supervision', '基金运行及审计监管', 'intelligent-monitoring', 'core', 'compute', BATCH),
  app('intelligent-supervision', '智能监管', 'intelligent-monitoring', 'core', 'compute', BATCH),
  app('credit-evaluation', '信用评价管理', 'intelligent-monitoring', 'core', 'compute', BATCH),
  app('operation-monitoring', '运行监测', 'intelligent-monitoring', 'core', 'query', ['nacos', 'kafka', 'database', 'log']),
  // 宏观决策类
  app('macro-decision', '宏观决策大数据应用', 'macro-decision', 'core', 'query', ['nacos', 'database', 'xxl-job', 'log']),
  // 业务中台
  app('mid-insured', '参保人中心', 'middle-platform', 'core', 'account', BUSINESS),
  app('mid-organization', '机构中心', 'middle-platform', 'core', 'query', BUSINESS),
  app('mid-settlement', '结算中心', 'middle-platform', 'core', 'flow', BUSINESS),
  app('mid-catalog', '目录中心', 'middle-platform', 'core', 'query', ['nacos', 'redis-cache', 'database', 'log']),
];

/**
 * Configuration keys the toolkit derives for every application (identity and middleware addresses).
 * An environment may not set them: they are the same for every province by design.
 */
export const RESERVED_CONFIG_KEYS: readonly string[] = [
  'HSA_APPLICATION', 'HSA_PROVINCE', 'HSA_ZONE', 'HSA_SITE', 'SERVER_PORT',
  'REDIS_CACHE_HOST', 'REDIS_CACHE_PORT', 'REDIS_SESSION_HOST', 'REDIS_SESSION_PORT',
  'KAFKA_BOOTSTRAP_SERVERS', 'FASTDFS_TRACKER_SERVER', 'NACOS_SERVER_ADDR', 'XXL_JOB_ADMIN_ADDRESSES',
  'LOG_SERVICE_URL', 'DB_HOST', 'DB_PORT',
];

export const APPLICATION_IDS = APPLICATION_CATALOG.map((a) => a.id) as [string, ...string[]];

const BY_ID = new Map(APPLICATION_CATALOG.map((a) => [a.id, a]));

export function catalogApplication(id: string): CatalogApplication {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`unknown catalog application "${id}"; expected one of ${APPLICATION_IDS.join(', ')}`);
  return found;
}
