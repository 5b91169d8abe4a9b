import { Construct } from 'constructs';
import { SITE_LABEL, type DeploymentUnit, type ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import type { BusinessApplication } from '../apps/business-application';
import { chartSourceOf } from '../middleware/chart-source';
import { MiddlewareSet } from '../middleware/middleware-set';
import { SiteMonitoring } from '../observability/site-monitoring';
import { BusinessFigures } from '../observability/business-figures';
import { FIGURES_PORT, FIGURES_SERVICE } from '../../business/business-plan';
import { imageReference } from '../../model/images';
import { Peer } from '../tenancy/network-policy-set';
import type { TenantNamespace } from '../tenancy/tenant-namespace';
import { unitMiddlewareProps } from './middleware-props';
import { UnitApplications } from './unit-applications';
import { addUnitBackups } from './unit-backups';
import { UnitTenants } from './unit-tenants';
import { UnitTraffic } from './unit-traffic';

export interface PlatformUnitProps {
  /** The resolved zone-and-site unit (from `resolveProvince`). */
  readonly unit: DeploymentUnit;
  /** The province the unit belongs to (its gateway, DNS domain, flow-type serving, the other units). */
  readonly province: ProvinceModel;
}

/**
 * L3 pattern: everything one zone of one datacenter runs, composed of its parts: the tenants
 * (`Tenants`), the middleware (`Middleware`, with the backups beside it), the traffic (`Traffic`), the
 * applications (`Applications`) and the site's monitoring (`Monitoring`). Every plan was computed by the model; the parts only render it.
 * Construct ids are the Terraform addresses: tenants by namespace, applications by name.
 */
export class PlatformUnit extends Construct {
  readonly tenants: ReadonlyMap<string, TenantNamespace>;
  readonly applications: ReadonlyMap<string, BusinessApplication>;
  readonly middleware: MiddlewareSet;

  constructor(scope: Construct, id: string, props: PlatformUnitProps) {
    super(scope, id);
    const { unit, province } = props;
    const labels = { 'hsa.gov.cn/province': province.provinceCode, 'hsa.gov.cn/zone': unit.zone, [SITE_LABEL]: unit.site };
    const source = chartSourceOf(province.chartRepository, province.imageRegistry);

    const tenants = new UnitTenants(this, 'Tenants', unit, labels);
    this.tenants = tenants.byNamespace;
    this.middleware = new MiddlewareSet(this, 'Middleware', unitMiddlewareProps(unit, province, source));
    addUnitBackups(this, unit, source, this.middleware.namespaceName);
    // Least privilege: a tenant namespace reaches only the middleware its applications use, in this
    // cluster or across the datacenter link at the active site's addresses (stable names resolve
    // there), on those middleware's ports. A namespace whose applications use none (a development
    // team's) reaches no middleware.
    for (const client of unit.middlewareClients) {
      const namespace = tenants.get(client.namespace, 'its middleware');
      namespace.allowTo('AllowToMiddleware', Peer.namespace(PLATFORM_NAMESPACES.middleware), client.ports);
      namespace.allowTo('AllowToMiddlewareAddresses', Peer.addresses(client.addresses), client.ports, { name: 'allow-to-middleware-addresses' });
    }
    new UnitTraffic(this, 'Traffic', unit, province, tenants, source);
    if (unit.monitoring) new SiteMonitoring(this, 'Monitoring', { ...unit.monitoring, zone: unit.zone, source });
    const image = (id: 'otelCollector' | 'node') => imageReference(source.imageRegistry, source.imagePath, id);
    this.applications = new UnitApplications(this, 'Applications', unit, tenants, labels, image('otelCollector')).byName;
    if (unit.logShipping) {
      // Log shipping: each shipper's namespace reaches the log gateway, on its one port.
      const shippers = [...new Set(unit.logShipping.applications.map((app) => app.namespace))].sort();
      for (const namespace of shippers) {
        tenants.get(namespace, 'its log shipper').allowTo('AllowToLogGateway', Peer.namespace(unit.logShipping.gateway.namespace), [unit.logShipping.gateway.port], { name: 'allow-to-log-gateway' });
      }
    }
    if (unit.business) {
      // Business monitoring: each collector's namespace reaches the figures service, on its one port.
      const senders = [...new Set(unit.business.applications.map((pipeline) => pipeline.namespace))].sort();
      for (const namespace of senders) tenants.get(namespace, 'its event collector').allowTo('AllowToBusinessFigures', Peer.namespace(unit.business.namespace), [FIGURES_PORT]);
      new BusinessFigures(this, 'Business', {
        zone: unit.zone,
        site: unit.site,
        namespace: unit.business.namespace,
        serviceName: FIGURES_SERVICE,
        port: FIGURES_PORT,
        figuresConfig: unit.business.figuresConfig,
        senders,
        ...(unit.monitoring ? { readers: [unit.monitoring.namespace] } : {}),
        nodeImage: image('node'),
      });
    }
  }
}
