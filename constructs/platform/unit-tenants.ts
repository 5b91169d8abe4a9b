import { Construct } from 'constructs';
import type { DeploymentUnit } from '../../model/platform-model';
import { TenantNamespace } from '../tenancy/tenant-namespace';

/**
 * The unit's tenant namespaces (projects and teams), at `<unit>/Tenants/<namespace>`: the Terraform
 * addresses of everything a tenant holds, its network policies included.
 */
export class UnitTenants extends Construct {
  readonly byNamespace: ReadonlyMap<string, TenantNamespace>;

  constructor(scope: Construct, id: string, unit: DeploymentUnit, labels: Readonly<Record<string, string>>) {
    super(scope, id);
    const tenants = new Map<string, TenantNamespace>();
    for (const tenant of unit.tenants) {
      tenants.set(
        tenant.namespace,
        new TenantNamespace(this, tenant.namespace, {
          kind: tenant.kind,
          namespace: tenant.namespace,
          displayName: tenant.displayName,
          group: tenant.group,
          quota: tenant.quota,
          labels,
        }),
      );
    }
    this.byNamespace = tenants;
  }

  /** The tenant namespace of that name; a unit's application always names one of its own. */
  get(namespace: string, forWhat: string): TenantNamespace {
    const tenant = this.byNamespace.get(namespace);
    if (!tenant) throw new Error(`${forWhat} needs namespace "${namespace}", which this unit does not define`);
    return tenant;
  }
}
