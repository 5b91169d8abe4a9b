import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { SupportingServicePlan } from '../../model/middleware-model';
import { helmRelease } from '../l1/helm';
import { helmValues, type ChartSource } from './chart-source';

export interface SupportingReleaseProps {
  readonly plan: SupportingServicePlan;
  readonly namespace: string;
  readonly source: ChartSource;
  /** Existing Secret with the external database credentials (Nacos, XXL-JOB) or the log service's. */
  readonly credentialsSecret: string;
  /** Stable name of the external database, for Nacos and XXL-JOB. */
  readonly databaseHost: string;
  /** lifecycle.prevent_destroy (the log service holds data). @default true for the log service */
  readonly preventDestroy?: boolean;
}

/**
 * A middleware that is not DR-paired because its state lives elsewhere: Nacos and XXL-JOB keep theirs
 * in the external database (replicated by the database vendor), the log service is rebuilt from the
 * applications. Runs at both sites, exposed at the site's VIP.
 */
export class SupportingRelease extends Construct {
  readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: SupportingReleaseProps) {
    super(scope, id);
    const { plan, source } = props;
    const service = { type: 'LoadBalancer', loadBalancerIP: plan.address.host, port: plan.address.port };
    const values = (() => {
      switch (plan.role) {
        case 'nacos':
          return {
            global: { mode: 'cluster' },
            nacos: {
              image: { repository: `${source.imageRegistry}/${source.imagePath}/nacos-server` },
              replicaCount: 3,
              storage: { type: 'mysql', db: { host: props.databaseHost, name: 'nacos', port: 5432, existingSecret: props.credentialsSecret } },
            },
            service,
          };
        case 'xxl-job':
          return {
            image: { repository: `${source.imageRegistry}/${source.imagePath}/xxl-job-admin` },
            replicaCount: 2,
            datasource: { host: props.databaseHost, database: 'xxl_job', existingSecret: props.credentialsSecret },
            service,
          };
        case 'log':
          return {
            global: { imageRegistry: source.imageRegistry, security: { allowInsecureImages: true } },
            image: { repository: `${source.imagePath}/elasticsearch` },
            security: { enabled: true, existingSecret: props.credentialsSecret },
            master: { replicaCount: 3 },
            data: { replicaCount: 3, persistence: { size: '200Gi' } },
            service: { type: 'LoadBalancer', loadBalancerIP: plan.address.host },
          };
      }
    })();
    this.release = helmRelease(this, 'Resource', {
      name: plan.releaseName,
      namespace: props.namespace,
      repository: source.repository,
      chart: plan.chart,
      version: plan.chartVersion,
      values: [helmValues(values)],
      atomic: true,
      timeout: 900,
      lifecycle: { preventDestroy: props.preventDestroy ?? plan.role === 'log' },
    });
  }
}
