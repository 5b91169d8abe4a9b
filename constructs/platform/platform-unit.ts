import { Construct } from 'constructs';
import { MIDDLEWARE_PORTS, serviceDnsName, type DeploymentUnit, type ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import { chartSourceOf } from '../middleware/chart-source';
import { MiddlewareSet } from '../middleware/middleware-set';
import { DnsController } from '../traffic/dns-controller';
import { ServiceGateway } from '../traffic/service-gateway';
import { SiteLoadBalancer } from '../traffic/site-load-balancer';
import { platformZoneName, renderZoneFile } from '../../model/dns-zone';
import { planLoadBalancer } from '../../model/load-balancer';
import { BusinessApplication } from '../apps/business-application';
import { TenantNamespace } from '../tenancy/tenant-namespace';

export interface PlatformUnitProps {
  /** The resolved zone-and-site unit (from `resolveProvince`). */
  readonly unit: DeploymentUnit;
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
      'hsa.gov.cn/site': unit.site,
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

    this.middleware = new MiddlewareSet(this, 'Middleware', {
      plan: unit.middlewarePlan,
      zone: unit.zone,
      site: unit.site,
      source,
      peerAddresses: Object.values(unit.peerMiddlewareVips),
      databaseHost: serviceDnsName('database', unit.zone, province.envName, province.dnsDomain),
    });
    // Applications reach middleware in this cluster, or across the datacenter link at the active site's
    // addresses (stable names resolve there): open exactly those ports and addresses.
    const ports = [...new Set(unit.middleware.map((role) => MIDDLEWARE_PORTS[role]))];
    const addresses = [...Object.values(unit.middlewareVips), ...Object.values(unit.peerMiddlewareVips)];
    for (const tenant of unit.tenants) {
      const namespace = tenants.get(tenant.namespace)!;
      namespace.allowToNamespace('AllowToMiddleware', PLATFORM_NAMESPACES.middleware, ports);
      namespace.allowToAddresses('AllowToMiddlewareAddresses', 'allow-to-middleware-addresses', addresses, ports);
    }

    // Traffic: the DNS controller answers stable names with the active site; the load balancer fronts
    // the applications with working and standby members per system type.
    const traffic = new Construct(this, 'Traffic');
    new DnsController(traffic, 'Dns', {
      zone: unit.zone,
      site: unit.site,
      namespace: PLATFORM_NAMESPACES.dns,
      zoneName: platformZoneName(province, unit.zone),
      zoneFile: renderZoneFile(province, unit.zone),
      source,
    });
    new SiteLoadBalancer(traffic, 'LoadBalancer', {
      plan: planLoadBalancer(unit, unit.peerIngressVip, province.flowTypeServing, province.gateway !== undefined),
      zone: unit.zone,
      namespace: PLATFORM_NAMESPACES.ingress,
      source,
    });
    if (province.gateway) {
      new ServiceGateway(traffic, 'Gateway', { province, unit, settings: province.gateway, namespace: PLATFORM_NAMESPACES.gateway, source });
    }
    for (const tenant of unit.tenants) {
      if (tenant.kind === 'project') tenants.get(tenant.namespace)!.allowFromNamespace('AllowFromLoadBalancer', PLATFORM_NAMESPACES.ingress, [8080]);
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
