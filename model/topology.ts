/**
 * The closed vocabulary of the platform: zones (安全域), sites (数据中心) and the deployment units they form.
 * Everything else in the toolkit speaks in these types, never in free strings.
 */

/** Security zone. `public` = 公共服务区 (internet-facing), `core` = 核心业务区 (medical-insurance private network). */
export type Zone = 'public' | 'core';
/** Datacenter. `A` = 数据中心A (usually production), `B` = 数据中心B (usually disaster recovery). */
export type Site = 'A' | 'B';

export const ZONES: readonly Zone[] = ['public', 'core'];
export const SITES: readonly Site[] = ['A', 'B'];

export const ZONE_NAMES_ZH: Readonly<Record<Zone, string>> = { public: '公共服务区', core: '核心业务区' };
export const SITE_NAMES_ZH: Readonly<Record<Site, string>> = { A: '数据中心A', B: '数据中心B' };

/** The other datacenter: the peer of a DR pair. */
export function otherSite(site: Site): Site {
  return site === 'A' ? 'B' : 'A';
}

/** Stack name of one deployment unit, e.g. `demo-core-a`. Stable: it names the Terraform workspace and state. */
export function stackName(envName: string, zone: Zone, site: Site): string {
  return `${envName}-${zone}-${site.toLowerCase()}`;
}

/** Namespaces the toolkit itself owns in every cluster (tenant namespaces come from the environment). */
export const PLATFORM_NAMESPACES = {
  /** middleware releases (Redis, Kafka, FastDFS, Nacos, XXL-JOB, logs) */
  middleware: 'hsa-middleware',
  /** site load balancer (负载均衡) */
  ingress: 'hsa-ingress',
  /** service gateway (服务网关) */
  gateway: 'hsa-gateway',
  /** DNS controller (DNS控制器) */
  dns: 'hsa-dns',
  /** backups (Velero and its node agent), present when the environment declares `backup` */
  backup: 'hsa-backup',
  /** each site cluster's Prometheus and Alertmanager, present when the environment declares `observability` (stack `toolkit`) */
  monitoring: 'hsa-monitoring',
  /** the business figures service (业务实时监控), present when an application declares its settlement events */
  business: 'hsa-business',
} as const;

/** Namespace that holds one project's (项目) applications. */
export function projectNamespace(projectId: string): string {
  return `proj-${projectId}`;
}

/** Namespace of one development team (开发团队). */
export function teamNamespace(teamId: string): string {
  return `team-${teamId}`;
}

/** The stable DNS name of a service (DNS控制器): the same in both datacenters, resolved to the active one. */
export function serviceDnsName(service: string, zone: Zone, envName: string, dnsDomain: string): string {
  return `${service}.${zone}.${envName}.${dnsDomain}`;
}
