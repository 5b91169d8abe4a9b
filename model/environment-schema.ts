/**
 * Schema of a province's environment file (environments/<name>.json), in zod.
 *
 * An environment gives only what differs between provinces: clusters, addresses, sizes, versions and
 * tenants. Every object is strict: an unknown key is an error, so a typo is never silently ignored.
 * Cross-field rules (a project must exist, an application must run in its project's zone, ...) are
 * checked here too, so the loader reports every problem of a file at once.
 */
import { backupSchema } from './backup-schema';
import { z } from 'zod';
import { complianceSchema } from './compliance-schema';
import { gatewaySchema } from './gateway-schema';
import { middlewareSchema } from './middleware-schema';
import { observabilitySchema, readsClusterMetrics } from './observability-schema';
import { businessEventsSchema } from '../business/business-events-schema';
import { APPLICATION_CATALOG, APPLICATION_IDS, MIDDLEWARE_ROLES, RESERVED_CONFIG_KEYS } from './catalog';
import { cidrsOverlap, containsIpLiteral, ipv4InCidr } from './ip-literal';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Image and chart versions are pinned: no `latest`, no ranges. */
const PINNED_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

const ipv4 = z.string().regex(IPV4, { message: 'expected an IPv4 address such as "10.1.0.10"' });
const dnsLabel = (what: string) =>
  z.string().regex(DNS_LABEL, { message: `expected ${what}: lowercase letters, digits and "-", starting with a letter` });
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), {
    message: 'expected a relative path or one starting with "~/": absolute paths differ between machines',
  });

/** Cluster access: a kubeconfig (path + context), or an API server host with a CA certificate file. */
const clusterAccess = z.union([
  z.strictObject({
    kubeconfig: z.strictObject({
      /** `~/...` or relative to the project root; resolved on the machine that runs `cdktf deploy`. */
      path: relativePath,
      context: z.string().min(1),
    }),
  }),
  z.strictObject({
    host: z.string().regex(/^https:\/\/[^\s/]+(:\d+)?$/, { message: 'expected an https URL such as "https://10.1.0.5:6443"' }),
    /** CA certificate file, relative to the project root (not a secret). The bearer token is a sensitive variable. */
    caCertificateFile: relativePath,
  }),
]);

const middlewareRole = z.enum(MIDDLEWARE_ROLES);

const zoneSite = z.strictObject({
  cluster: clusterAccess,
  /** Virtual IP of the site load balancer (负载均衡) in this zone and datacenter. */
  ingressVip: ipv4,
  /** Address of this datacenter's gatekeeper (网闸) on this zone's side. */
  gatekeeper: ipv4,
  /**
   * Address at which each middleware of this zone and datacenter is reached from the other datacenter
   * and by the DNS controller (a LoadBalancer VIP; the external database's address in that datacenter).
   * Required for every middleware the zone's applications use. The standby site replicates from the
   * active site's address; stable DNS names resolve to the active site's address.
   */
  middlewareVips: z.partialRecord(middlewareRole, ipv4),
  /**
   * The cluster's Kubernetes API server as pods reach it (the `kubernetes` Service's endpoint): the
   * operators in the middleware namespace (Strimzi) talk to it, and the namespace's default-deny egress
   * allows exactly this address and port.
   */
  apiServer: z.strictObject({
    address: ipv4,
    /** @default 6443 */
    port: z.number().int().min(1).max(65535).optional(),
  }),
  /** Address of this cluster's DNS controller (DNS控制器): UDP and TCP 53, named by the zone's NS records. */
  dnsVip: ipv4,
  /**
   * One address per Kafka broker (node ids 0, 1, 2, ... of the node pool), pinned on each broker's
   * LoadBalancer Service and advertised to clients: MirrorMaker 2 and clients at the other site connect
   * to every broker, not only to the bootstrap address (`middlewareVips.kafka`). Required where the zone
   * runs Kafka, one per broker (`middleware.kafka.brokers`, default 3).
   */
  kafkaBrokerVips: z.array(ipv4).optional(),
  /**
   * The source addresses of this cluster's traffic to the other datacenter, as the other datacenter sees
   * them (the node network, or an egress gateway's addresses): the other site's load balancer and
   * middleware admit exactly these on their cross-site ports. Without it they admit this site's VIPs,
   * which holds only where cross-site traffic leaves from the VIPs (an egress gateway per VIP).
   */
  egressCidrs: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { message: 'expected an IPv4 CIDR such as "10.10.12.0/24"' })).min(1).optional(),
  /**
   * The networks of this cluster's nodes: the site's Prometheus reads each node's kubelet there (TCP
   * 10250: the nodes' and every pod's CPU, memory and disk, and every volume's use). Required where the
   * toolkit runs the monitoring with `observability.clusterMetrics` (the default).
   */
  nodeNetworks: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { message: 'expected an IPv4 CIDR such as "10.10.2.0/24"' })).min(1).optional(),
});

const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { message: 'expected an IPv4 CIDR such as "10.10.0.0/16"' });

const site = z.strictObject({
  /** Display name, e.g. "广州数据中心". @default "数据中心A" / "数据中心B" */
  displayName: z.string().min(1).optional(),
  /**
   * The datacenter's address ranges. Every address declared for this site (VIPs, gatekeepers, API
   * servers, egress ranges, its backup store) must lie in them, and the two sites' ranges must not
   * overlap: that is how the DR level proves a backup store lies in the other datacenter.
   * @default undefined: not declared; the off-site backup element of the DR level cannot be proven
   */
  networks: z.array(cidr).min(1).optional(),
  zones: z.strictObject({ public: zoneSite, core: zoneSite }),
});

const resources = z.strictObject({
  cpuMilli: z.number().int().min(10).max(64000),
  memoryMiB: z.number().int().min(16).max(262144),
});

const quota = z.strictObject({
  cpu: z.number().int().min(1).max(4096),
  memoryGiB: z.number().int().min(1).max(16384),
  pods: z.number().int().min(1).max(10000),
});

const project = z.strictObject({
  id: dnsLabel('a project id'),
  /** Chinese name, e.g. "核心经办". */
  name: z.string().min(1),
  zone: z.enum(['public', 'core']),
  /** Group (from the cluster's identity provider) whose members operate this project's namespace. */
  operatorGroup: z.string().min(1),
  quota,
});

const team = z.strictObject({
  id: dnsLabel('a team id'),
  name: z.string().min(1),
  zones: z.array(z.enum(['public', 'core'])).min(1),
  /** Group (from the cluster's identity provider) whose members develop in this team's namespace. */
  developerGroup: z.string().min(1),
  quota,
});

const siteOverride = z.strictObject({
  /** Replicas at this site (e.g. a smaller warm standby). @default the application's `replicas` */
  replicas: z.number().int().min(1).max(200).optional(),
  /** Upper bound of the autoscaler at this site. @default the application's `maxReplicas` */
  maxReplicas: z.number().int().min(1).max(400).optional(),
});

const application = z.strictObject({
  /** Image tag, pinned: identical in both datacenters by construction (应用版本同步). */
  version: z.string().regex(PINNED_VERSION, { message: 'expected a pinned version such as "2.3.1" (no "latest", no ranges)' }),
  /** Project (项目) whose namespace runs the application; must be in the application's zone. */
  project: dnsLabel('a project id'),
  /** @default 2 */
  replicas: z.number().int().min(1).max(200).optional(),
  /** Upper bound of the HorizontalPodAutoscaler. @default 2 x replicas */
  maxReplicas: z.number().int().min(1).max(400).optional(),
  /** @default { cpuMilli: 500, memoryMiB: 1024 } */
  requests: resources.optional(),
  /** @default { cpuMilli: 2000, memoryMiB: 2048 } */
  limits: resources.optional(),
  /**
   * Extra configuration (ConfigMap entries). Identical in both datacenters; addresses must be stable DNS
   * names, never IP addresses (a switchover changes DNS records, not configuration).
   */
  config: z
    .record(
      z
        .string()
        .regex(/^[A-Z][A-Z0-9_]*$/, { message: 'expected an UPPER_SNAKE_CASE configuration key' })
        .refine((key) => !RESERVED_CONFIG_KEYS.includes(key), {
          message: `expected a key the toolkit does not derive itself (reserved: ${RESERVED_CONFIG_KEYS.join(', ')})`,
        }),
      // Application config must name services, not addresses (IPv4 or IPv6).
      z.string().refine((v) => !containsIpLiteral(v), {
        message: 'expected no IP address in application configuration: use the stable DNS name of the service',
      }),
    )
    .optional(),
  /** The only fields that may differ between the datacenters. */
  siteOverrides: z.strictObject({ A: siteOverride.optional(), B: siteOverride.optional() }).optional(),
  /** Settlement events it writes, counted in real time at each site (业务实时监控, docs/observability.md). @default - none */
  businessEvents: businessEventsSchema.optional(),
  /**
   * Where the application writes its log files: the shipper beside it sends every line to the zone's log
   * service, in the project's index (docs/observability.md). Lines written only to standard output are
   * not shipped (they stay with the container runtime on the node).
   * @default { directory: '/var/log/hsa', files: ['*.log'] }
   */
  logs: z
    .strictObject({
      /** An absolute directory of the container, shared with the shipper. @default '/var/log/hsa' */
      directory: z.string().regex(/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { message: 'expected an absolute directory such as "/var/log/hsa"' }).optional(),
      /** File name patterns in it (`*` and `?`); a rotated file keeps being read to its end. @default ['*.log'] */
      files: z.array(z.string().regex(/^[A-Za-z0-9._*?-]+$/, { message: 'expected a file name pattern such as "*.log"' })).min(1).optional(),
    })
    .optional(),
});

const backend = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('local'),
    /** Directory for state files, relative to the project root. @default "terraform-state" */
    directory: relativePath.optional(),
  }),
  z.strictObject({
    /** PostgreSQL backend (locking built in). The connection string comes from PG_CONN_STR at deploy time. */
    type: z.literal('pg'),
    /** @default "hsa_<env>" */
    schemaPrefix: dnsLabel('a schema prefix').optional(),
  }),
  z.strictObject({
    /**
     * S3-compatible object storage (OSS, COS, MinIO, ...), locked with a lock file in the bucket
     * (Terraform >= 1.10). Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY at deploy time.
     */
    type: z.literal('s3'),
    bucket: z.string().min(3),
    endpoint: z.string().regex(/^https?:\/\/\S+$/, { message: 'expected the storage endpoint URL' }),
    /** @default "us-east-1" (most S3-compatible stores ignore it) */
    region: z.string().min(1).optional(),
    /** @default "hsa/<env>" */
    keyPrefix: z.string().min(1).optional(),
    /** Path-style URLs, needed by MinIO. @default true */
    usePathStyle: z.boolean().optional(),
  }),
]);

export const environmentShape = z
  .strictObject({
    /** Path of the JSON Schema for editors; ignored by the toolkit. */
    $schema: z.string().optional(),
    province: z.strictObject({
      /** Administrative division code (行政区划代码), e.g. "440000". */
      code: z.string().regex(/^\d{6}$/, { message: 'expected a 6-digit administrative division code such as "440000"' }),
      name: z.string().min(1),
    }),
    /** Platform DNS zone: every service is `<service>.<zone>.<env>.<dnsDomain>`. */
    dnsDomain: z.string().regex(DNS_NAME, { message: 'expected a DNS domain such as "hsa.example.internal"' }),
    /** Datacenter that is primary now (生产中心). */
    activeSite: z.enum(['A', 'B']),
    /** Required GB/T 20988 disaster-recovery level; medical insurance requires 5 or higher. @default 5 */
    requiredDrLevel: z.number().int().min(5, { message: 'medical insurance requires DR level 5 or higher' }).max(6).optional(),
    registry: z.strictObject({
      /** Image registry mirror (air-gapped), e.g. "registry.gd.hsa.internal/hsa". */
      images: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { message: 'expected a registry host with an optional path' }),
      /** Helm chart repository mirror: https:// or oci:// (http:// only with `allowInsecureChartRepository`). */
      charts: z.string().regex(/^(https?|oci):\/\/\S+$/, { message: 'expected an https:// or oci:// chart repository URL' }),
      /**
       * Accept an http:// chart repository: charts then travel unencrypted and unauthenticated, so only
       * for a lab without TLS. Synthesis reports it every time. @default false
       */
      allowInsecureChartRepository: z.boolean().optional(),
    }),
    backend: backend.optional(),
    sites: z.strictObject({ A: site, B: site }),
    tenants: z.strictObject({
      projects: z.array(project).min(1),
      teams: z.array(team).default([]),
    }),
    applications: z.partialRecord(z.enum(APPLICATION_IDS), application),
    /** Middleware sizes, chart versions, credentials Secrets, data protection. @default - see model/middleware-schema.ts */
    middleware: middlewareSchema.optional(),
    /** Service gateway (服务网关): routes to core applications and the connected institutions. @default - no gateway routes */
    gateway: gatewaySchema.optional(),
    traffic: z
      .strictObject({
        /**
         * How flow-type (流水型, JR/T 0209) applications are served: only by the active site, or by both.
         * @default "active-only"
         */
        flowTypeServing: z.enum(['active-only', 'both']).optional(),
      })
      .optional(),
    /** Daily off-site backups (Velero and each engine's own dump), to the other datacenter's object store. @default - no backup */
    backup: backupSchema.optional(),
    /** Compliance rule packs: GB/T 20988 edition, attested facts, suppressions. @default edition 2025, nothing attested */
    compliance: complianceSchema.optional(),
    /** Alerting: each team's receiver (docs/observability.md). @default - alerts are rendered (npm run alerts) but routed nowhere */
    observability: observabilitySchema.optional(),
  });

export const environmentSchema = environmentShape.superRefine((env, ctx) => {
  if (env.registry.charts.startsWith('http://') && env.registry.allowInsecureChartRepository !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['registry', 'charts'],
      message: 'expected an https:// or oci:// chart repository URL; an http:// mirror needs "allowInsecureChartRepository": true in registry (a lab without TLS only)',
    });
  }
  reportDuplicateAddresses(env, ctx);
  reportAddressesOutsideNetworks(env, ctx);
  if (readsClusterMetrics(env.observability)) {
    for (const siteName of ['A', 'B'] as const) {
      for (const zone of ['public', 'core'] as const) {
        if (env.sites[siteName].zones[zone].nodeNetworks) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['sites', siteName, 'zones', zone, 'nodeNetworks'],
          message: `expected the CIDRs of this cluster's nodes (e.g. ["10.10.20.0/24"]): the site's Prometheus reads each node's kubelet there (observability.clusterMetrics is on by default); or set observability.clusterMetrics.enabled to false`,
        });
      }
    }
  }
  const projects = new Map(env.tenants.projects.map((p) => [p.id, p]));
  reportDuplicates(env.tenants.projects.map((p) => p.id), ['tenants', 'projects'], ctx);
  reportDuplicates(env.tenants.teams.map((t) => t.id), ['tenants', 'teams'], ctx);
  for (const catalogEntry of APPLICATION_CATALOG) {
    const declared = env.applications[catalogEntry.id];
    if (!declared) continue;
    const path = ['applications', catalogEntry.id, 'project'];
    const owner = projects.get(declared.project);
    if (!owner) {
      ctx.addIssue({ code: 'custom', path, message: `expected one of the projects in tenants.projects (${[...projects.keys()].join(', ')})` });
    } else if (owner.zone !== catalogEntry.zone) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `"${catalogEntry.id}" runs in the ${catalogEntry.zone} zone, but project "${owner.id}" is in the ${owner.zone} zone; choose a ${catalogEntry.zone}-zone project`,
      });
    }
    const replicas = declared.replicas ?? 2;
    const maxReplicas = declared.maxReplicas ?? replicas * 2;
    // An invalid replicas count is its own problem; comparing with it would only add a wrong one.
    if (replicas >= 1 && maxReplicas < replicas) {
      ctx.addIssue({ code: 'custom', path: ['applications', catalogEntry.id, 'maxReplicas'], message: `expected at least replicas (${replicas})` });
    }
    const requests = declared.requests;
    const limits = declared.limits;
    if (requests && limits && (limits.cpuMilli < requests.cpuMilli || limits.memoryMiB < requests.memoryMiB)) {
      ctx.addIssue({ code: 'custom', path: ['applications', catalogEntry.id, 'limits'], message: 'expected limits at least as large as requests' });
    }
  }
  for (const zone of ['public', 'core'] as const) {
    const needed = middlewareUsedInZone(env, zone);
    for (const siteName of ['A', 'B'] as const) {
      const zoneConfig = env.sites[siteName].zones[zone];
      const vips = zoneConfig.middlewareVips;
      if (needed.includes('kafka')) {
        const brokers = env.middleware?.kafka?.brokers ?? 3;
        const declared = zoneConfig.kafkaBrokerVips ?? [];
        if (declared.length !== brokers) {
          ctx.addIssue({
            code: 'custom',
            path: ['sites', siteName, 'zones', zone, 'kafkaBrokerVips'],
            message: `expected ${brokers} broker addresses (one per Kafka broker, middleware.kafka.brokers), received ${declared.length}`,
          });
        }
      } else if (zoneConfig.kafkaBrokerVips) {
        ctx.addIssue({ code: 'custom', path: ['sites', siteName, 'zones', zone, 'kafkaBrokerVips'], message: `expected no broker addresses: no application of the ${zone} zone uses kafka; remove the field` });
      }
      for (const role of needed) {
        if (!vips[role]) {
          ctx.addIssue({
            code: 'custom',
            path: ['sites', siteName, 'zones', zone, 'middlewareVips', role],
            message: `expected the address of ${role} in this zone and datacenter: an application of the ${zone} zone uses it`,
          });
        }
      }
    }
  }
  if (env.gateway) {
    const routeIds = new Set(env.gateway.routes.map((r) => r.id));
    reportDuplicates(env.gateway.routes.map((r) => r.id), ['gateway', 'routes'], ctx);
    reportDuplicates(env.gateway.institutions.map((i) => i.id), ['gateway', 'institutions'], ctx);
    env.gateway.routes.forEach((route, index) => {
      const app = APPLICATION_CATALOG.find((a) => a.id === route.application);
      if (!app || app.zone !== 'core' || !env.applications[route.application]) {
        ctx.addIssue({ code: 'custom', path: ['gateway', 'routes', index, 'application'], message: 'expected a core-zone application that this environment deploys' });
      }
    });
    env.gateway.institutions.forEach((institution, index) => {
      institution.routes.forEach((route, r) => {
        if (!routeIds.has(route)) ctx.addIssue({ code: 'custom', path: ['gateway', 'institutions', index, 'routes', r], message: `expected one of the gateway routes (${[...routeIds].join(', ')})` });
      });
    });
  }
  if (Object.keys(env.applications).length === 0) {
    ctx.addIssue({ code: 'custom', path: ['applications'], message: 'expected at least one application from the catalog' });
  }
});

/** Middleware a zone runs: what its deployed applications use (the catalog decides), in catalog order. */
export function middlewareUsedInZone(env: { applications: Partial<Record<string, unknown>> }, zone: 'public' | 'core'): MiddlewareRoleName[] {
  const used = new Set<string>();
  for (const app of APPLICATION_CATALOG) {
    if (app.zone === zone && env.applications[app.id]) app.uses.forEach((role) => used.add(role));
  }
  return MIDDLEWARE_ROLES.filter((role) => used.has(role));
}

type MiddlewareRoleName = (typeof MIDDLEWARE_ROLES)[number];

/**
 * One address, one thing: inside one zone of one datacenter no two fields may name the same address,
 * and the two datacenters' gatekeepers (网闸) differ. Each duplicate names both field paths.
 */
function reportDuplicateAddresses(env: z.infer<typeof environmentShape>, ctx: z.RefinementCtx): void {
  for (const zone of ['public', 'core'] as const) {
    const a = env.sites.A.zones[zone].gatekeeper;
    if (a === env.sites.B.zones[zone].gatekeeper) {
      ctx.addIssue({ code: 'custom', path: ['sites', 'B', 'zones', zone, 'gatekeeper'], message: `expected its own address; it is the same address as sites.A.zones.${zone}.gatekeeper, and datacenter A and B have their own gatekeepers (网闸)` });
    }
    for (const siteName of ['A', 'B'] as const) {
      const config = env.sites[siteName].zones[zone];
      const fields: [string[], string][] = [
        [['ingressVip'], config.ingressVip],
        [['dnsVip'], config.dnsVip],
        [['gatekeeper'], config.gatekeeper],
        [['apiServer', 'address'], config.apiServer.address],
        ...Object.entries(config.middlewareVips).map(([role, address]): [string[], string] => [['middlewareVips', role], address!]),
        ...(config.kafkaBrokerVips ?? []).map((address, i): [string[], string] => [['kafkaBrokerVips', String(i)], address]),
      ];
      const seen = new Map<string, string[]>();
      for (const [field, address] of fields) {
        const earlier = seen.get(address);
        const base = ['sites', siteName, 'zones', zone];
        if (earlier) {
          ctx.addIssue({
            code: 'custom',
            path: [...base, ...field.map((f) => (/^\d+$/.test(f) ? Number(f) : f))],
            message: `expected an address of its own, not the same address as ${[...base, ...earlier].join('.')}: each service of a zone and datacenter needs its own`,
          });
        } else seen.set(address, field);
      }
    }
  }
}

/**
 * Where a site declares its networks, every address of that site lies in them, and the two sites'
 * networks do not overlap; networks are declared for both sites or for neither.
 */
function reportAddressesOutsideNetworks(env: z.infer<typeof environmentShape>, ctx: z.RefinementCtx): void {
  const { A, B } = { A: env.sites.A.networks, B: env.sites.B.networks };
  if (!A && !B) return;
  if (!A || !B) {
    const missing = A ? 'B' : 'A';
    ctx.addIssue({ code: 'custom', path: ['sites', missing, 'networks'], message: `expected the networks of datacenter ${missing} too: sites.${missing === 'A' ? 'B' : 'A'}.networks is declared, and a site's addresses are told apart only when both are` });
    return;
  }
  for (const [i, a] of A.entries()) {
    const overlapping = B.find((b) => cidrsOverlap(a, b));
    if (overlapping) ctx.addIssue({ code: 'custom', path: ['sites', 'A', 'networks', i], message: `expected networks apart from datacenter B's; ${a} overlaps sites.B.networks entry ${overlapping}` });
  }
  for (const siteName of ['A', 'B'] as const) {
    const networks = siteName === 'A' ? A : B;
    const inside = (address: string) => networks.some((n) => ipv4InCidr(address, n));
    const check = (path: (string | number)[], address: string) => {
      if (!inside(address)) ctx.addIssue({ code: 'custom', path, message: `expected an address in datacenter ${siteName}'s networks (${networks.join(', ')}); ${address} is outside them: fix the address or sites.${siteName}.networks` });
    };
    for (const zone of ['public', 'core'] as const) {
      const config = env.sites[siteName].zones[zone];
      const base = ['sites', siteName, 'zones', zone];
      check([...base, 'ingressVip'], config.ingressVip);
      check([...base, 'dnsVip'], config.dnsVip);
      check([...base, 'gatekeeper'], config.gatekeeper);
      check([...base, 'apiServer', 'address'], config.apiServer.address);
      for (const [role, address] of Object.entries(config.middlewareVips)) check([...base, 'middlewareVips', role], address!);
      (config.kafkaBrokerVips ?? []).forEach((address, i) => check([...base, 'kafkaBrokerVips', i], address));
      (config.egressCidrs ?? []).forEach((range, i) => check([...base, 'egressCidrs', i], range.split('/')[0]!));
      (config.nodeNetworks ?? []).forEach((range, i) => check([...base, 'nodeNetworks', i], range.split('/')[0]!));
    }
    const store = env.backup?.stores[siteName];
    if (store) check(['backup', 'stores', siteName, 'endpoint'], new URL(store.endpoint).hostname);
  }
}

function reportDuplicates(ids: string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [...path, index, 'id'], message: `expected unique ids; "${id}" appears more than once` });
    seen.add(id);
  });
}

/** A validated environment, defaults not yet applied (the platform model applies them once). */
export type Environment = z.infer<typeof environmentSchema>;
export type ZoneSiteConfig = z.infer<typeof zoneSite>;
export type ClusterAccess = z.infer<typeof clusterAccess>;
export type BackendConfig = z.infer<typeof backend>;
export type ApplicationConfig = z.infer<typeof application>;
export type Quota = z.infer<typeof quota>;
export type Resources = z.infer<typeof resources>;
