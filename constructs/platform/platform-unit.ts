import { DATABASE_BACKUP_MOUNT, REDIS_HOOK_BACKUP_FILE } from '../../model/backup-plan';
import { BackupSet } from '../backup/backup-set';
import { DatabaseBackup } from '../backup/database-backup';
import { Construct } from 'constructs';
import { middlewareClientPorts, serviceDnsName, SITE_LABEL, type DeploymentUnit, type ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import { chartSourceOf } from '../middleware/chart-source';
import { MiddlewareSet } from '../middleware/middleware-set';
import { plannedMiddleware } from './middleware-props';
import { DnsController } from '../traffic/dns-controller';
import { ServiceGateway } from '../traffic/service-gateway';
import { SiteLoadBalancer } from '../traffic/site-load-balancer';
import { platformZoneName, renderZoneFile } from '../../model/dns-zone';
import { GATEWAY_PROXY_PORT, LISTENER_PORT, PEER_LISTENER_PORT, planLoadBalancer, renderNginxConfig, SERVICE_PORTS } from '../../model/load-balancer';
import { credentialPlaceholder, DEFAULT_GATEKEEPER_PORT, kongConfig } from '../../model/gateway-config';
import { DR_PAIRED_MIDDLEWARE, type MiddlewareRole } from '../../model/catalog';
import { PORTS } from '../../model/middleware-model';
import { imageReference, mirrorImage } from '../../model/images';
import { PlatformNamespace } from '../tenancy/platform-namespace';
import { BusinessApplication } from '../apps/business-application';
import { TenantNamespace } from '../tenancy/tenant-namespace';
import { Peer } from '../tenancy/network-policy-set';

export interface PlatformUnitProps {
  /** The resolved zone-and-site unit (from `resolveProvince`). */
  readonly unit: DeploymentUnit;
  /** The province the unit belongs to (its gateway, DNS domain, flow-type serving, the other units). */
  readonly province: ProvinceModel;
}

/**
 * L3 pattern: everything one zone of one datacenter runs. Tenants first, then the applications in their
 * project namespaces. Construct ids are the Terraform addresses: tenants by id, applications by name.
 */
export class PlatformUnit extends Construct {
  readonly tenants: ReadonlyMap<string, TenantNamespace>;
  readonly applications: ReadonlyMap<string, BusinessApplication>;
  readonly middleware: MiddlewareSet;

  constructor(scope: Construct, id: string, props: PlatformUnitProps) {
    super(scope, id);
    const { unit, province } = props;
    const commonLabels = {
      'hsa.gov.cn/province': province.provinceCode,
      'hsa.gov.cn/zone': unit.zone,
      [SITE_LABEL]: unit.site,
    };

    const source = chartSourceOf(province.chartRepository, province.imageRegistry);
    const tenantScope = new Construct(this, 'Tenants');
    const tenants = new Map<string, TenantNamespace>();
    for (const tenant of unit.tenants) {
      tenants.set(
        tenant.namespace,
        new TenantNamespace(tenantScope, tenant.namespace, {
          kind: tenant.kind,
          namespace: tenant.namespace,
          displayName: tenant.displayName,
          group: tenant.group,
          quota: tenant.quota,
          labels: commonLabels,
        }),
      );
    }
    this.tenants = tenants;

    // What each tenant namespace's applications use. The database is outside the cluster (reached at its
    // addresses only, never through the middleware namespace) unless CloudNativePG runs it there.
    const databaseInCluster = unit.middlewarePlan.database?.product.kind === 'cloudnative-pg';
    const portsOf = (roles: readonly MiddlewareRole[]) => [...new Set(roles.flatMap((role) => middlewareClientPorts(role, unit.middlewarePorts)))].sort((a, b) => a - b);
    const tenantMiddleware = unit.tenants
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
    this.middleware = new MiddlewareSet(this, 'Middleware', {
      // Clients: each tenant namespace on the ports of the middleware its applications use.
      clients: tenantMiddleware.filter((tenant) => tenant.inClusterPorts.length > 0).map((tenant) => ({ namespace: tenant.namespace, ports: tenant.inClusterPorts })),
      ...plannedMiddleware(unit.middlewarePlan),
      zone: unit.zone,
      site: unit.site,
      source,
      // The peer's bootstrap addresses and, for Kafka, each of its brokers (clients connect to every broker).
      peerAddresses: [
        ...unit.middleware.filter((role) => DR_PAIRED_MIDDLEWARE.includes(role) || (role === 'database' && databaseInCluster)).map((role) => unit.peerMiddlewareVips[role]!),
        ...(unit.middlewarePlan.kafka?.peerBrokerAddresses ?? []),
      ],
      ...(unit.peerEgressCidrs ? { peerSources: unit.peerEgressCidrs } : {}),
      apiServer: unit.apiServer,
      // CloudNativePG's replica cluster streams from the other site's primary.
      replicationPorts: [PORTS.redis, PORTS.kafkaExternal, PORTS.fastdfsTracker, PORTS.fastdfsStorage, ...(databaseInCluster ? [PORTS.database] : [])],
      databaseAddresses: [unit.middlewareVips.database, unit.peerMiddlewareVips.database].filter((a): a is string => a !== undefined),
      databaseHost: serviceDnsName('database', unit.zone, province.envName, province.dnsDomain),
      databasePort: unit.middlewarePorts.database,
      ...(unit.backupPlan ? { redisBackupFile: REDIS_HOOK_BACKUP_FILE } : {}),
    });
    const backup = unit.backupPlan;
    if (backup) {
      new BackupSet(this, 'Backup', {
        zone: unit.zone,
        site: unit.site,
        store: backup.store,
        prefix: backup.prefix,
        schedule: backup.schedule,
        retentionDays: backup.retentionDays,
        namespaces: backup.namespaces,
        source,
        apiServer: unit.apiServer,
      });
    }
    const databaseBackup = backup?.database;
    if (databaseBackup) {
      // In the middleware namespace: Velero's daily backup of it copies the volume off site.
      const tool = databaseBackup.tool;
      new DatabaseBackup(this, 'DatabaseBackup', {
        zone: unit.zone,
        site: unit.site,
        namespace: this.middleware.namespaceName,
        namespaceName: PLATFORM_NAMESPACES.middleware,
        host: databaseBackup.host,
        port: databaseBackup.port,
        schedule: databaseBackup.schedule,
        credentialsSecret: databaseBackup.credentialsSecret,
        volumeGiB: databaseBackup.volumeGiB,
        mountPath: DATABASE_BACKUP_MOUNT,
        method:
          tool.kind === 'postgresql'
            ? { kind: 'postgresql', image: imageReference(source.imageRegistry, source.imagePath, 'postgresql') }
            : {
                kind: 'vendor',
                product: tool.product,
                image: mirrorImage(source.imageRegistry, source.imagePath, tool.image),
                command: tool.command,
                shellImage: imageReference(source.imageRegistry, source.imagePath, 'osShell'),
              },
      });
    }
    // Least privilege: a tenant namespace reaches only the middleware its applications use, in this
    // cluster or across the datacenter link at the active site's addresses (stable names resolve
    // there), on those middleware's ports. A namespace whose applications use none (a development
    // team's) reaches no middleware.
    for (const tenant of tenantMiddleware) {
      const namespace = tenants.get(tenant.namespace)!;
      namespace.allowTo('AllowToMiddleware', Peer.namespace(PLATFORM_NAMESPACES.middleware), tenant.ports);
      namespace.allowTo('AllowToMiddlewareAddresses', Peer.addresses(tenant.addresses), tenant.ports, { name: 'allow-to-middleware-addresses' });
    }

    // Traffic: the DNS controller answers stable names with the active site; the load balancer fronts
    // the applications with working and standby members per system type; the gateway is the only path
    // between the zones. Each runs in its own namespace, denied by default; the allows below are the
    // complete list of paths (checked by test/zone-isolation.test.ts).
    const traffic = new Construct(this, 'Traffic');
    const dnsNamespace = new PlatformNamespace(traffic, 'DnsNamespace', { name: PLATFORM_NAMESPACES.dns });
    dnsNamespace.policies.allowFrom('AllowClusterDns', Peer.namespace('kube-system'), [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    // The controller is a name server of the zone (its NS record): resolvers outside the cluster ask it.
    dnsNamespace.policies.allowFrom('AllowResolvers', Peer.anyone(), [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], { name: 'allow-resolvers' });
    new DnsController(traffic, 'Dns', {
      zone: unit.zone,
      site: unit.site,
      namespace: dnsNamespace.namespaceName,
      zoneName: platformZoneName(province, unit.zone),
      zoneFile: renderZoneFile(province, unit.zone),
      source,
      address: unit.dnsVip,
    });

    const ingress = new PlatformNamespace(traffic, 'IngressNamespace', { name: PLATFORM_NAMESPACES.ingress });
    // Who may call the load balancer. The other datacenter's load balancer (its standby members) on the
    // peer listener, from its declared egress addresses. Public zone: any client on the listener. Core
    // zone: only this site's gatekeeper (网闸) and the zone's own callers (its gateway, its applications
    // by stable name); the gatekeeper is no longer the only barrier.
    const peerSources = unit.peerEgressCidrs ?? [unit.peerIngressVip];
    ingress.policies.allowFromEach(
      'AllowListeners',
      [
        ...(unit.zone === 'public'
          ? [{ peer: Peer.anyone(), ports: [LISTENER_PORT] }]
          : [
              { peer: Peer.addresses([unit.gatekeeper]), ports: [LISTENER_PORT] },
              { peer: Peer.namespaces([...(province.gateway ? [PLATFORM_NAMESPACES.gateway] : []), ...unit.tenants.map((t) => t.namespace)]), ports: [LISTENER_PORT] },
            ]),
        { peer: Peer.addresses(peerSources), ports: [PEER_LISTENER_PORT] },
      ],
      { name: 'allow-listeners' },
    );
    // The load balancer reaches the applications on their own HTTP ports (the catalog's), nothing else.
    const applicationPorts = (namespace?: string) =>
      [...new Set(unit.applications.filter((app) => namespace === undefined || app.namespace === namespace).map((app) => app.catalog.port))].sort((a, b) => a - b);
    // An empty port list in a NetworkPolicy rule admits every port: a unit without applications gets no rule.
    const unitApplicationPorts = applicationPorts();
    if (unitApplicationPorts.length > 0) ingress.policies.allowTo('AllowToApplications', Peer.labelledNamespaces('hsa.gov.cn/tenant-kind'), unitApplicationPorts, { name: 'allow-to-applications' });
    ingress.policies.allowTo('AllowToPeerSite', Peer.addresses([unit.peerIngressVip]), [SERVICE_PORTS.peer], { name: 'allow-to-peer-load-balancer' });
    const loadBalancer = planLoadBalancer(province, unit);
    new SiteLoadBalancer(traffic, 'LoadBalancer', {
      zone: unit.zone,
      site: loadBalancer.site,
      address: loadBalancer.address,
      serverBlock: renderNginxConfig(loadBalancer),
      namespace: ingress.namespaceName,
      source,
    });

    if (province.gateway) {
      const gateway = new PlatformNamespace(traffic, 'GatewayNamespace', { name: PLATFORM_NAMESPACES.gateway });
      gateway.policies.allowFrom('AllowFromLoadBalancer', Peer.namespace(PLATFORM_NAMESPACES.ingress), [GATEWAY_PROXY_PORT]);
      ingress.policies.allowTo('AllowToGateway', Peer.namespace(PLATFORM_NAMESPACES.gateway), [GATEWAY_PROXY_PORT]);
      if (unit.zone === 'public') {
        // The only way out of the public zone towards the core zone: this site's gatekeeper (网闸).
        gateway.policies.allowTo('AllowToGatekeeper', Peer.addresses([unit.gatekeeper]), [province.gateway.gatekeeperPort ?? DEFAULT_GATEKEEPER_PORT], { name: 'allow-to-gatekeeper' });
      } else {
        // Behind the gatekeeper: to the applications, by stable name, at the core zone's load balancers.
        gateway.policies.allowTo('AllowToLoadBalancers', Peer.addresses([unit.ingressVip, unit.peerIngressVip]), [SERVICE_PORTS.http], { name: 'allow-to-load-balancers' });
      }
      new ServiceGateway(traffic, 'Gateway', {
        zone: unit.zone,
        site: unit.site,
        declarativeConfig: kongConfig(province, unit, province.gateway, credentialPlaceholder),
        ...(province.gateway.linkSecret ? { linkSecret: province.gateway.linkSecret } : {}),
        institutions: unit.zone === 'public' ? province.gateway.institutions : [],
        namespace: gateway.namespaceName,
        source,
      });
    }
    for (const tenant of unit.tenants) {
      const ports = applicationPorts(tenant.namespace);
      if (tenant.kind === 'project' && ports.length > 0) tenants.get(tenant.namespace)!.allowFrom('AllowFromLoadBalancer', Peer.namespace(PLATFORM_NAMESPACES.ingress), ports);
    }

    const appScope = new Construct(this, 'Applications');
    const applications = new Map<string, BusinessApplication>();
    for (const app of unit.applications) {
      const namespace = tenants.get(app.namespace);
      if (!namespace) throw new Error(`application "${app.name}" needs namespace "${app.namespace}", which this unit does not define`);
      applications.set(
        app.name,
        new BusinessApplication(appScope, app.name, {
          namespace,
          name: app.name,
          image: app.image,
          version: app.version,
          replicas: app.replicas,
          maxReplicas: app.maxReplicas,
          targetCpuUtilizationPercent: app.targetCpuUtilizationPercent,
          requests: app.requests,
          limits: app.limits,
          port: app.catalog.port,
          readinessPath: app.catalog.readinessPath,
          livenessPath: app.catalog.livenessPath,
          config: app.config,
          labels: { ...commonLabels, 'hsa.gov.cn/application-class': app.catalog.applicationClass, 'hsa.gov.cn/system-type': app.catalog.systemType },
        }),
      );
    }
    this.applications = applications;
  }
}
