import { Construct } from 'constructs';
import type { DeploymentUnit } from '../../model/platform-model';
import { COLLECTOR_CONFIG_DIR, COLLECTOR_STORAGE_DIR } from '../../business/business-plan';
import { BusinessApplication, type EventCollector, type LogShipper } from '../apps/business-application';
import { LOG_SHIPPER_CONFIG_DIR, LOG_SHIPPER_STORAGE_DIR, POD_NAME_VARIABLE } from '../../model/log-shipping';
import type { UnitTenants } from './unit-tenants';

/** The unit's business applications, at `<unit>/Applications/<name>`, each in its project's namespace. */
export class UnitApplications extends Construct {
  readonly byName: ReadonlyMap<string, BusinessApplication>;

  constructor(scope: Construct, id: string, unit: DeploymentUnit, tenants: UnitTenants, labels: Readonly<Record<string, string>>, collectorImage: string) {
    super(scope, id);
    const applications = new Map<string, BusinessApplication>();
    const eventCollectorOf = (name: string): { eventCollector?: EventCollector } => {
      const pipeline = unit.business?.applications.find((p) => p.application === name);
      return pipeline
        ? { eventCollector: { image: collectorImage, config: pipeline.collectorConfig, eventDirectory: pipeline.eventDirectory, storageDirectory: COLLECTOR_STORAGE_DIR, configDirectory: COLLECTOR_CONFIG_DIR } }
        : {};
    };
    const logShipperOf = (name: string): { logShipper?: LogShipper } => {
      const shipper = unit.logShipping?.applications.find((p) => p.application === name);
      return shipper
        ? { logShipper: { image: collectorImage, config: shipper.config, logDirectory: shipper.logDirectory, storageDirectory: LOG_SHIPPER_STORAGE_DIR, configDirectory: LOG_SHIPPER_CONFIG_DIR, podNameVariable: POD_NAME_VARIABLE } }
        : {};
    };
    for (const app of unit.applications) {
      applications.set(
        app.name,
        new BusinessApplication(this, app.name, {
          namespace: tenants.get(app.namespace, `application "${app.name}"`),
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
          labels: { ...labels, 'hsa.gov.cn/application-class': app.catalog.applicationClass, 'hsa.gov.cn/system-type': app.catalog.systemType },
          ...eventCollectorOf(app.name),
          ...logShipperOf(app.name),
        }),
      );
    }
    this.byName = applications;
  }
}
