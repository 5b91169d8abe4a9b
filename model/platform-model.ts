/**
 * The resolved platform: from one validated environment to the four deployment units of a province.
 *
 * This is the toolkit's own model, free of cdktf: defaults are applied here, once, and every unit gets
 * plain typed values. Both datacenters are resolved from the same definition, so versions and
 * configuration agree by construction; only the fields the environment declares site-specific differ.
 */
import { planBackup, type BackupPlan, type DatabaseBackupSource } from './backup-plan';
import { APPLICATION_CATALOG, type CatalogApplication, type MiddlewareRole } from './catalog';
import { middlewareUsedInZone, type BackendConfig, type ClusterAccess, type Environment, type Quota } from './environment-schema';
import type { GatewaySettings } from './gateway-schema';
import type { MiddlewareSettings } from './middleware-schema';
import type { ObservabilitySettings } from './observability-schema';
import type { BusinessEventsSettings } from '../business/business-events-schema';
import { planUnitBusiness, type BusinessPlan } from '../business/business-plan';
import { planUnitMonitoring, toolkitMonitors, type UnitMonitoringPlan } from './monitoring-plan';
import { planClusterMetrics } from './cluster-monitoring';
import { planUnitLogShipping, type LogShippingPlan } from './log-shipping';
import { unitAlertRules, unitProbes, unitScrapeJobs } from './observability';
import { unitDashboards } from './dashboards';
import { middlewarePorts, PORTS } from './middleware-model';
import { planMiddleware, type MiddlewarePlan } from './middleware-plan';
import { otherSite, PLATFORM_NAMESPACES, projectNamespace, serviceDnsName, SITES, stackName, teamNamespace, ZONES, type Site, type Zone } from './topology';
import { platformZoneName, renderZoneFile } from './dns-zone';
import { planLoadBalancer, type LoadBalancerPlan } from './load-balancer';
import { credentialPlaceholder, kongConfig, type KongDeclarativeConfig } from './gateway-config';

export const DEFAULTS = {
  requiredDrLevel: 5,
  replicas: 2,
  requests: { cpuMilli: 500, memoryMiB: 1024 },
  limits: { cpuMilli: 2000, memoryMiB: 2048 },
  targetCpuUtilizationPercent: 70,
  localStateDirectory: 'terraform-state',
  s3Region: 'us-east-1',
} as const;

/**
 * Ports a client of a middleware connects to: its service port, and for FastDFS also the storage
 * servers the tracker sends it to (uploads and downloads go to the storage directly).
 */
export function middlewareClientPorts(role: MiddlewareRole, ports: Readonly<Record<MiddlewareRole, number>>): readonly number[] {
  return role === 'fastdfs' ? [ports.fastdfs, PORTS.fastdfsStorage] : [ports[role]];
}

/** Port of the Kubernetes API server when the environment does not name one. */
export const DEFAULT_API_SERVER_PORT = 6443;

export interface ResolveOptions {
  /** Preview a switchover without editing the file (`--active-site B`). @default the environment's activeSite */
  readonly activeSite?: Site;
}

export interface ProvinceModel {
  readonly envName: string;
  readonly provinceCode: string;
  readonly provinceName: string;
  readonly dnsDomain: string;
  readonly activeSite: Site;
  readonly requiredDrLevel: number;
  readonly imageRegistry: string;
  readonly chartRepository: string;
  /** Service gateway routes and institutions, when the province declares them. */
  readonly gateway?: GatewaySettings;
  /** How flow-type applications are served (see model/load-balancer.ts). */
  readonly flowTypeServing: 'active-only' | 'both';
  /** Where each team's alerts go (`observability`), when the environment says. */
  readonly observability?: ObservabilitySettings;
  /** Each datacenter's address ranges, where the environment declares them (`sites.<site>.networks`). */
  readonly siteNetworks?: Readonly<Record<Site, readonly string[]>>;
  /** Always four: public-A, public-B, core-A, core-B, in that order. */
  readonly units: readonly DeploymentUnit[];
}

/** One zone in one datacenter: one Terraform stack, one cluster. */
export interface DeploymentUnit {
  readonly stackName: string;
  readonly zone: Zone;
  readonly site: Site;
  /** Whether this unit's datacenter is the active one (生产中心). */
  readonly active: boolean;
  readonly cluster: ClusterAccess;
  readonly backend: ResolvedBackend;
  readonly ingressVip: string;
  readonly gatekeeper: string;
  /** The cluster's API server as pods reach it: the operators' egress goes there. */
  readonly apiServer: { readonly host: string; readonly port: number };
  /** The networks of this cluster's nodes (their kubelets), if declared. */
  readonly nodeNetworks?: readonly string[];
  /** This cluster's DNS controller (DNS控制器) address, named by the zone's NS records. */
  readonly dnsVip: string;
  readonly tenants: readonly TenantModel[];
  readonly applications: readonly ApplicationModel[];
  /** Middleware this zone runs (what its applications use), in catalog order. */
  readonly middleware: readonly MiddlewareRole[];
  /** This unit's own middleware addresses, and the same zone's addresses in the other datacenter. */
  readonly middlewareVips: Readonly<Partial<Record<MiddlewareRole, string>>>;
  /** The port of each middleware behind its stable name (`middlewarePorts`), the same at both sites. */
  readonly middlewarePorts: Readonly<Record<MiddlewareRole, number>>;
  readonly peerMiddlewareVips: Readonly<Partial<Record<MiddlewareRole, string>>>;
  /** Addresses of this zone in the active datacenter: what every stable DNS name resolves to. */
  readonly activeMiddlewareVips: Readonly<Partial<Record<MiddlewareRole, string>>>;
  readonly activeIngressVip: string;
  /** The same zone's load balancer address in the other datacenter. */
  readonly peerIngressVip: string;
  /** Where the other datacenter's cross-site traffic comes from (its `egressCidrs`), if declared. */
  readonly peerEgressCidrs?: readonly string[];
  /** Middleware releases and the DR role of each pair at this unit. */
  readonly middlewarePlan: MiddlewarePlan;
  /** Daily off-site backup of this cluster, when the environment declares `backup`. */
  readonly backupPlan?: BackupPlan;
  /** Each tenant namespace whose applications use middleware: what it may reach (least privilege). */
  readonly middlewareClients: readonly MiddlewareClient[];
  /** What the unit's DNS controller, load balancer and gateway serve, planned from the whole province. */
  readonly traffic: UnitTrafficPlan;
  /** The site cluster's Prometheus and Alertmanager for this unit, when the environment leaves monitoring to the toolkit. */
  readonly monitoring?: UnitMonitoringPlan;
  /** Business monitoring (业务实时监控), when an application of the unit declares its settlement events. */
  readonly business?: BusinessPlan;
  /** Every application's logs to the zone's log service, where the zone runs one and the environment ships logs. */
  readonly logShipping?: LogShippingPlan;
}

/** A tenant namespace's way to the middleware its applications use, and no other. */
export interface MiddlewareClient {
  readonly namespace: string;
  /** Client ports of its middleware (the database's included, wherever it runs). */
  readonly ports: readonly number[];
  /** The ports of those it reaches inside the cluster's middleware namespace (the database only when CloudNativePG runs it there). */
  readonly inClusterPorts: readonly number[];
  /** The middleware's addresses at both sites (stable names resolve to the active one). */
  readonly addresses: readonly string[];
}

/** The traffic plans of one unit: the province decides them (every unit's addresses), computed once here. */
export interface UnitTrafficPlan {
  /** The DNS zone this unit's controller serves, and its zone file (model/dns-zone.ts). */
  readonly zoneName: string;
  readonly zoneFile: string;
  /** The site load balancer's working and standby members (model/load-balancer.ts). */
  readonly loadBalancer: LoadBalancerPlan;
  /** The service gateway's declarative configuration, when the province declares a gateway (model/gateway-config.ts). */
  readonly gateway?: KongDeclarativeConfig;
}

/** A unit before its traffic is planned: what the traffic planners read. */
export type UnitBasics = Omit<DeploymentUnit, 'traffic' | 'monitoring' | 'business'>;
/** The province before its units' traffic is planned. */
export interface ProvinceBasics extends Omit<ProvinceModel, 'units'> {
  readonly units: readonly UnitBasics[];
}

export type ResolvedBackend =
  | { readonly type: 'local'; readonly directory: string }
  | { readonly type: 'pg'; readonly schemaName: string }
  | {
      readonly type: 's3';
      readonly bucket: string;
      readonly key: string;
      readonly region: string;
      readonly endpoint: string;
      readonly usePathStyle: boolean;
    };

export interface TenantModel {
  readonly kind: 'project' | 'team';
  readonly id: string;
  readonly displayName: string;
  readonly namespace: string;
  /** Group bound to the namespace's role: operators for a project, developers for a team. */
  readonly group: string;
  readonly quota: Quota;
}

export interface ApplicationModel {
  readonly catalog: CatalogApplication;
  readonly name: string;
  readonly namespace: string;
  /** Full image reference, from the environment's registry mirror. */
  readonly image: string;
  readonly version: string;
  readonly replicas: number;
  readonly maxReplicas: number;
  readonly requests: { readonly cpuMilli: number; readonly memoryMiB: number };
  readonly limits: { readonly cpuMilli: number; readonly memoryMiB: number };
  readonly targetCpuUtilizationPercent: number;
  /** ConfigMap entries, sorted by key. Identical at both sites except {@link SITE_SPECIFIC_CONFIG_KEYS}. */
  readonly config: Readonly<Record<string, string>>;
  /** The settlement events it writes, when the environment declares them (business monitoring). */
  readonly businessEvents?: BusinessEventsSettings;
  /** The project (or team) it belongs to: its logs go to that project's index. */
  readonly project: string;
  /** Where it writes its log files, when the environment says (log shipping; defaults in model/log-shipping.ts). */
  readonly logs?: { readonly directory?: string; readonly files?: readonly string[] };
}

/** Label naming the datacenter an object belongs to. */
export const SITE_LABEL = 'hsa.gov.cn/site';
/** Pod annotation carrying the hash of the configuration it runs with (a change rolls the pods). */
export const CONFIG_HASH_ANNOTATION = 'hsa.gov.cn/config-hash';
/** Configuration keys the toolkit declares site-specific; everything else must match between A and B. */
export const SITE_SPECIFIC_CONFIG_KEYS: readonly string[] = ['HSA_SITE'];
/**
 * The one list of what may differ between the two datacenters' synthesized applications and tenancy:
 * the site label, the site-specific configuration and the config hash that follows it, capacity
 * (`siteOverrides`: replicas) and the "//" comment block (construct metadata). The A/B symmetry rule
 * and the plan review both compare with it.
 */
export const SITE_SPECIFIC_OUTPUT_KEYS: readonly string[] = [SITE_LABEL, ...SITE_SPECIFIC_CONFIG_KEYS, CONFIG_HASH_ANNOTATION, 'replicas', 'min_replicas', 'max_replicas', '//'];

export { serviceDnsName } from './topology';

export function resolveProvince(envName: string, env: Environment, options: ResolveOptions = {}): ProvinceModel {
  const activeSite = options.activeSite ?? env.activeSite;
  const units: UnitBasics[] = [];
  for (const zone of ZONES) {
    for (const site of SITES) {
      units.push(resolveUnit(envName, env, zone, site, activeSite));
    }
  }
  const basics: ProvinceBasics = {
    envName,
    provinceCode: env.province.code,
    provinceName: env.province.name,
    dnsDomain: env.dnsDomain,
    activeSite,
    requiredDrLevel: env.requiredDrLevel ?? DEFAULTS.requiredDrLevel,
    imageRegistry: env.registry.images,
    chartRepository: env.registry.charts,
    flowTypeServing: env.traffic?.flowTypeServing ?? 'active-only',
    ...(env.sites.A.networks && env.sites.B.networks ? { siteNetworks: { A: env.sites.A.networks, B: env.sites.B.networks } } : {}),
    ...(env.gateway ? { gateway: env.gateway } : {}),
    ...(env.observability ? { observability: env.observability } : {}),
    units,
  };
  return planProvince(basics);
}

/**
 * The plans that need the whole unit or the whole province: each tenant's way to its middleware and each
 * unit's traffic (from every unit's addresses and applications). resolveProvince ends with it; a program
 * that changes a resolved province's units (the benchmark fleet adds applications) plans again with it,
 * so nothing is planned from what the units held before.
 */
export function planProvince(province: ProvinceBasics): ProvinceModel {
  const units = province.units.map((unit) => ({ ...unit, middlewareClients: middlewareClientsOf(unit) }));
  const basics: ProvinceBasics = { ...province, units };
  return {
    ...basics,
    units: units.map((unit) => {
      const business = planUnitBusiness(unit.applications);
      const logService = unit.middlewarePlan.supporting.find((service) => service.role === 'log');
      const logShipping = planUnitLogShipping(province.observability, { applications: unit.applications, ...(logService ? { logServiceRelease: logService.releaseName } : {}) });
      const planned = { ...unit, traffic: planUnitTraffic(basics, unit), ...(business ? { business } : {}), ...(logShipping ? { logShipping } : {}) };
      if (!toolkitMonitors(province.observability)) return planned;
      const watched = { scrapeJobs: unitScrapeJobs(planned), probes: unitProbes(planned), dnsZone: planned.traffic.zoneName };
      const clusterMetrics = planClusterMetrics(province.observability, planned);
      return { ...planned, monitoring: planUnitMonitoring(province.observability, unit.site, watched, clusterMetrics, unitAlertRules(province, planned), unitDashboards(province, planned)) };
    }),
  };
}

function planUnitTraffic(province: ProvinceBasics, unit: UnitBasics): UnitTrafficPlan {
  return {
    zoneName: platformZoneName(province, unit.zone),
    zoneFile: renderZoneFile(province, unit.zone),
    loadBalancer: planLoadBalancer(province, unit),
    ...(province.gateway ? { gateway: kongConfig(province, unit, province.gateway, credentialPlaceholder) } : {}),
  };
}

/**
 * What each tenant namespace's applications use. The database is outside the cluster (reached at its
 * addresses only, never through the middleware namespace) unless CloudNativePG runs it there.
 */
function middlewareClientsOf(unit: Pick<UnitBasics, 'tenants' | 'applications' | 'middleware' | 'middlewarePorts' | 'middlewareVips' | 'peerMiddlewareVips' | 'middlewarePlan'>): MiddlewareClient[] {
  const databaseInCluster = unit.middlewarePlan.database?.product.kind === 'cloudnative-pg';
  const portsOf = (roles: readonly MiddlewareRole[]) => [...new Set(roles.flatMap((role) => middlewareClientPorts(role, unit.middlewarePorts)))].sort((a, b) => a - b);
  return unit.tenants
    .map((tenant) => {
      const roles = [...new Set(unit.applications.filter((app) => app.namespace === tenant.namespace).flatMap((app) => app.catalog.uses))].filter((role) => unit.middleware.includes(role)).sort();
      return {
        namespace: tenant.namespace,
        ports: portsOf(roles),
        inClusterPorts: portsOf(roles.filter((role) => role !== 'database' || databaseInCluster)),
        addresses: roles.flatMap((role) => [unit.middlewareVips[role], unit.peerMiddlewareVips[role]]).filter((a): a is string => a !== undefined),
      };
    })
    .filter((tenant) => tenant.ports.length > 0);
}

function resolveUnit(envName: string, env: Environment, zone: Zone, site: Site, activeSite: Site): UnitBasics {
  const name = stackName(envName, zone, site);
  const zoneSite = env.sites[site].zones[zone];
  const tenants = resolveTenants(env, zone);
  const applications = resolveApplications(envName, env, zone, site);
  const kafkaClients = tenants
    .filter((tenant) => applications.some((app) => app.namespace === tenant.namespace && app.catalog.uses.includes('kafka')))
    .map((tenant) => ({ user: tenant.namespace, prefix: `${tenant.id}.` }));
  const unit: Omit<UnitBasics, 'middlewareClients'> = {
    stackName: name,
    zone,
    site,
    active: site === activeSite,
    cluster: zoneSite.cluster,
    backend: resolveBackend(envName, name, env.backend),
    ingressVip: zoneSite.ingressVip,
    gatekeeper: zoneSite.gatekeeper,
    apiServer: { host: zoneSite.apiServer.address, port: zoneSite.apiServer.port ?? DEFAULT_API_SERVER_PORT },
    ...(zoneSite.nodeNetworks ? { nodeNetworks: zoneSite.nodeNetworks } : {}),
    dnsVip: zoneSite.dnsVip,
    tenants,
    applications,
    middleware: middlewareUsedInZone(env, zone),
    middlewareVips: zoneSite.middlewareVips,
    middlewarePorts: middlewarePorts(env.middleware),
    peerMiddlewareVips: env.sites[otherSite(site)].zones[zone].middlewareVips,
    activeMiddlewareVips: env.sites[activeSite].zones[zone].middlewareVips,
    activeIngressVip: env.sites[activeSite].zones[zone].ingressVip,
    peerIngressVip: env.sites[otherSite(site)].zones[zone].ingressVip,
    ...(env.sites[otherSite(site)].zones[zone].egressCidrs ? { peerEgressCidrs: env.sites[otherSite(site)].zones[zone].egressCidrs } : {}),
    middlewarePlan: planMiddleware({
      zone,
      site,
      activeSite,
      middleware: middlewareUsedInZone(env, zone),
      vips: { A: env.sites.A.zones[zone].middlewareVips, B: env.sites.B.zones[zone].middlewareVips },
      kafkaBrokerVips: { A: env.sites.A.zones[zone].kafkaBrokerVips ?? [], B: env.sites.B.zones[zone].kafkaBrokerVips ?? [] },
      kafkaClients,
      ...(env.middleware ? { settings: env.middleware } : {}),
    }),
    ...(env.backup
      ? {
          backupPlan: planBackup(
            envName,
            env.backup,
            zone,
            site,
            [PLATFORM_NAMESPACES.middleware],
            middlewareUsedInZone(env, zone).includes('database') ? databaseBackupOf(env.middleware?.database, zoneSite.middlewareVips.database!, middlewarePorts(env.middleware).database) : undefined,
          ),
        }
      : {}),
  };
  return { ...unit, middlewareClients: [] };
}

/**
 * The business database's backup at one site: PostgreSQL's with the toolkit's command; another
 * product's with the tool its DBA declares, or none when it declares none (the DR level then names it).
 */
function databaseBackupOf(database: MiddlewareSettings['database'], host: string, port: number): DatabaseBackupSource | undefined {
  if (!database) return undefined;
  // CloudNativePG runs PostgreSQL: the toolkit's own PostgreSQL backup, against this site's cluster.
  if (database.product === 'postgresql' || database.product === 'cloudnative-pg') return { tool: { kind: 'postgresql' }, host, port, ...(database.backup ? { settings: database.backup } : {}) };
  if (!database.backup) return undefined;
  const { image, command, ...settings } = database.backup;
  return { tool: { kind: 'vendor', product: database.name, image, command }, host, port, settings };
}

function resolveBackend(envName: string, name: string, backend: BackendConfig | undefined): ResolvedBackend {
  const config = backend ?? { type: 'local' as const };
  switch (config.type) {
    case 'local':
      return { type: 'local', directory: config.directory ?? DEFAULTS.localStateDirectory };
    case 'pg':
      // One schema per stack: each stack is its own state, so one site deploys while the other is down.
      return { type: 'pg', schemaName: `${config.schemaPrefix ?? `hsa_${envName}`}_${name.replace(/-/g, '_')}` };
    case 's3':
      return {
        type: 's3',
        bucket: config.bucket,
        key: `${config.keyPrefix ?? `hsa/${envName}`}/${name}.tfstate`,
        region: config.region ?? DEFAULTS.s3Region,
        endpoint: config.endpoint,
        usePathStyle: config.usePathStyle ?? true,
      };
  }
}

function resolveTenants(env: Environment, zone: Zone): TenantModel[] {
  const projects = env.tenants.projects
    .filter((p) => p.zone === zone)
    .map((p): TenantModel => ({ kind: 'project', id: p.id, displayName: p.name, namespace: projectNamespace(p.id), group: p.operatorGroup, quota: p.quota }));
  const teams = env.tenants.teams
    .filter((t) => t.zones.includes(zone))
    .map((t): TenantModel => ({ kind: 'team', id: t.id, displayName: t.name, namespace: teamNamespace(t.id), group: t.developerGroup, quota: t.quota }));
  return [...projects, ...teams];
}

function resolveApplications(envName: string, env: Environment, zone: Zone, site: Site): ApplicationModel[] {
  const result: ApplicationModel[] = [];
  for (const catalog of APPLICATION_CATALOG) {
    const declared = env.applications[catalog.id];
    if (!declared || catalog.zone !== zone) continue;
    const override = declared.siteOverrides?.[site];
    const baseReplicas = declared.replicas ?? DEFAULTS.replicas;
    const replicas = override?.replicas ?? baseReplicas;
    const maxReplicas = Math.max(replicas, override?.maxReplicas ?? declared.maxReplicas ?? baseReplicas * 2);
    result.push({
      catalog,
      name: catalog.id,
      namespace: projectNamespace(declared.project),
      image: `${env.registry.images}/${catalog.id}:${declared.version}`,
      version: declared.version,
      replicas,
      maxReplicas,
      requests: declared.requests ?? DEFAULTS.requests,
      limits: declared.limits ?? DEFAULTS.limits,
      targetCpuUtilizationPercent: DEFAULTS.targetCpuUtilizationPercent,
      config: applicationConfig(envName, env, catalog, zone, site, declared.config ?? {}),
      ...(declared.businessEvents ? { businessEvents: declared.businessEvents } : {}),
      project: declared.project,
      ...(declared.logs ? { logs: declared.logs } : {}),
    });
  }
  return result;
}

/** Middleware addresses by stable name, never by IP: a switchover changes DNS records, not this. */
function applicationConfig(
  envName: string,
  env: Environment,
  catalog: CatalogApplication,
  zone: Zone,
  site: Site,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const host = (role: MiddlewareRole) => serviceDnsName(role, zone, envName, env.dnsDomain);
  const ports = middlewarePorts(env.middleware);
  const address = (role: MiddlewareRole) => `${host(role)}:${ports[role]}`;
  const config: Record<string, string> = {
    HSA_APPLICATION: catalog.id,
    HSA_PROVINCE: env.province.code,
    HSA_ZONE: zone,
    HSA_SITE: site,
    SERVER_PORT: String(catalog.port),
  };
  for (const role of catalog.uses) {
    switch (role) {
      case 'redis-cache':
        config.REDIS_CACHE_HOST = host(role);
        config.REDIS_CACHE_PORT = String(ports[role]);
        break;
      case 'redis-session':
        config.REDIS_SESSION_HOST = host(role);
        config.REDIS_SESSION_PORT = String(ports[role]);
        break;
      case 'kafka':
        config.KAFKA_BOOTSTRAP_SERVERS = address(role);
        break;
      case 'fastdfs':
        config.FASTDFS_TRACKER_SERVER = address(role);
        break;
      case 'nacos':
        config.NACOS_SERVER_ADDR = address(role);
        break;
      case 'xxl-job':
        config.XXL_JOB_ADMIN_ADDRESSES = `http://${address(role)}/xxl-job-admin`;
        break;
      case 'log':
        config.LOG_SERVICE_URL = `http://${address(role)}`;
        break;
      case 'database':
        config.DB_HOST = host(role);
        config.DB_PORT = String(ports[role]);
        break;
    }
  }
  // The schema forbids the environment to set a reserved key, so nothing derived is overwritten here.
  Object.assign(config, extra);
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
