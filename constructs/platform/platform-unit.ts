import { Construct } from 'constructs';
import type { DeploymentUnit } from '../../model/platform-model';
import { BusinessApplication } from '../apps/business-application';
import { TenantNamespace } from '../tenancy/tenant-namespace';

export interface PlatformUnitProps {
  /** The resolved zone-and-site unit (from `resolveProvince`). */
  readonly unit: DeploymentUnit;
  readonly provinceCode: string;
}

/**
 * L3 pattern: everything one zone of one datacenter runs. Tenants first, then the applications in their
 * project namespaces. Construct ids are the Terraform addresses: tenants by id, applications by name.
 */
export class PlatformUnit extends Construct {
  readonly tenants: ReadonlyMap<string, TenantNamespace>;
  readonly applications: ReadonlyMap<string, BusinessApplication>;

  constructor(scope: Construct, id: string, props: PlatformUnitProps) {
    super(scope, id);
    const { unit } = props;
    const commonLabels = {
      'hsa.gov.cn/province': props.provinceCode,
      'hsa.gov.cn/zone': unit.zone,
      'hsa.gov.cn/site': unit.site,
    };

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
