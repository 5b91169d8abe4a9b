import { DataKubernetesSecretV1 } from '@cdktf/provider-kubernetes/lib/data-kubernetes-secret-v1';
import { Fn, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { kongConfig, type CredentialField } from '../../model/gateway-config';
import type { GatewaySettings } from '../../model/gateway-schema';
import type { DeploymentUnit, ProvinceModel } from '../../model/platform-model';
import { suppressRule } from '../../compliance/suppressions';
import { IMAGES, imageReference } from '../../model/images';
import { annotateResource, declareImages } from '../annotations';
import { helmRelease } from '../l1/helm';
import { configMapV1, secretV1 } from '../l1/kubernetes';
import { helmValues, type ChartSource } from '../middleware/chart-source';

/** kong/kong chart version the toolkit is tested with. */
export const KONG_CHART_VERSION = '2.52.0';
/** Name of the object holding the declarative configuration (kong.yml). */
export const DECLARATIVE_CONFIG_NAME = 'kong-declarative';

export interface ServiceGatewayProps {
  readonly province: ProvinceModel;
  readonly unit: DeploymentUnit;
  readonly settings: GatewaySettings;
  readonly namespace: string;
  readonly source: ChartSource;
  /** @default 2 */
  readonly replicas?: number;
}

/**
 * The service gateway (服务网关) of one zone in one datacenter: Kong in DB-less mode, deployed by Helm,
 * with the declarative configuration from model/gateway-config.ts. In the public zone the institutions'
 * credentials are read at deploy time from their existing Secrets (data sources) into the configuration
 * Secret, so no credential is ever written into the synthesized output; the core zone's configuration
 * holds none and is a ConfigMap.
 */
export class ServiceGateway extends Construct {
  readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: ServiceGatewayProps) {
    super(scope, id);
    const { unit, settings } = props;
    const isPublic = unit.zone === 'public';
    let dblessConfig: { secret: string } | { configMap: string };
    if (isPublic) {
      const credentials = new Construct(this, 'Credentials');
      const secrets = new Map(
        settings.institutions.map((institution) => [
          institution.id,
          new DataKubernetesSecretV1(credentials, institution.id, { metadata: { name: institution.credentialSecret, namespace: props.namespace } }),
        ]),
      );
      const reference = (institutionId: string, field: CredentialField) => secrets.get(institutionId)!.data.lookup(field);
      secretV1(this, 'DeclarativeConfig', {
        metadata: { name: DECLARATIVE_CONFIG_NAME, namespace: props.namespace },
        data: { 'kong.yml': Fn.jsonencode(kongConfig(props.province, unit, settings, reference)) },
      });
      dblessConfig = { secret: DECLARATIVE_CONFIG_NAME };
    } else {
      const config = kongConfig(props.province, unit, settings, () => {
        throw new Error('the core-zone gateway holds no credentials');
      });
      configMapV1(this, 'DeclarativeConfig', { metadata: { name: DECLARATIVE_CONFIG_NAME, namespace: props.namespace }, data: { 'kong.yml': JSON.stringify(config, null, 2) } });
      dblessConfig = { configMap: DECLARATIVE_CONFIG_NAME };
    }

    const values = {
      image: { repository: `${props.source.imageRegistry}/${props.source.imagePath}/${IMAGES.kong.name}`, tag: IMAGES.kong.tag },
      replicaCount: props.replicas ?? 2,
      env: { database: 'off', nginx_worker_processes: '2', proxy_access_log: '/dev/stdout', proxy_error_log: '/dev/stderr' },
      dblessConfig,
      ingressController: { enabled: false },
      admin: { enabled: false },
      // The chart exposes Kong Manager on a NodePort by default; DB-less Kong OSS has no use for it.
      manager: { enabled: false },
      proxy: { type: 'ClusterIP', http: { enabled: true, servicePort: 80, containerPort: 8000 }, tls: { enabled: false } },
      status: { enabled: true },
      resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      securityContext: { runAsNonRoot: true, runAsUser: 1000 },
      containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    };
    this.release = helmRelease(this, 'Resource', {
      name: 'gateway',
      namespace: props.namespace,
      repository: props.source.repository,
      chart: 'kong',
      version: KONG_CHART_VERSION,
      values: [helmValues(values)],
      atomic: true,
    });
    declareImages(this.release, [imageReference(props.source.imageRegistry, props.source.imagePath, 'kong')]);
    annotateResource(this.release, { component: 'service-gateway', zone: unit.zone, site: unit.site });
    if (isPublic) {
      suppressRule(this.release, 'SEC-NoPlaintextSecrets', 'dblessConfig.secret is the name of the Secret holding kong.yml, not a credential; the credentials themselves are read at deploy time');
    }
  }
}
