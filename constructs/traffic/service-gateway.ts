import { createHash } from 'node:crypto';
import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { CREDENTIALS_DIR, DEFAULT_LINK_SECRET, LINK_CREDENTIAL_ID, RENDER_CREDENTIALS_LUA, type KongDeclarativeConfig } from '../../model/gateway-config';
import type { ReleasePlacement } from '../placement';
import { IMAGES, imageReference } from '../../model/images';
import { annotateResource, declareImages } from '../annotations';
import { helmRelease } from '../l1/helm';
import { configMapV1, serviceV1 } from '../l1/kubernetes';
import { GATEWAY_STATUS_PORT, GATEWAY_STATUS_SERVICE } from '../../model/traffic-monitoring';
import { helmValues } from '../middleware/chart-source';

/** kong/kong chart version the toolkit is tested with. */
export const KONG_CHART_VERSION = '2.52.0';
/** The ConfigMap holding the declarative template (placeholders for credentials) and its render script. */
export const DECLARATIVE_TEMPLATE_NAME = 'kong-declarative-template';
const TEMPLATE_DIR = '/kong_template';
const RENDERED_DIR = '/kong_rendered';

export interface ServiceGatewayProps extends ReleasePlacement {
  /** The gateway's declarative configuration, with a placeholder per credential (`kongConfig` of model/gateway-config.ts). */
  readonly declarativeConfig: KongDeclarativeConfig;
  /** Secret holding the key of the link between the zones. @default "hsa-gateway-link" */
  readonly linkSecret?: string;
  /** Institutions whose credentials the public zone's gateway checks, each from its own Secret (none in the core zone). */
  readonly institutions: readonly { readonly id: string; readonly credentialSecret: string }[];
  /** @default 2 */
  readonly replicas?: number;
}

/**
 * The service gateway (服务网关) of one zone in one datacenter: Kong in DB-less mode, deployed by Helm,
 * with the declarative configuration from model/gateway-config.ts. The configuration holds a placeholder
 * per credential (the institutions' in the public zone, the link key between the zones in both): an init
 * container renders the file the proxy reads (a memory-backed volume) from the template and the
 * Secrets, mounted into the init container only. Terraform never reads a credential, so none is in its
 * state or in the synthesized output. A changed credential is picked up when the pods restart
 * (`kubectl rollout restart`), a changed template on the next deploy (its hash is a pod annotation).
 */
export class ServiceGateway extends Construct {
  private readonly release: TerraformResource;

  constructor(scope: Construct, id: string, props: ServiceGatewayProps) {
    super(scope, id);
    const image = imageReference(props.source.imageRegistry, props.source.imagePath, 'kong');
    const template = { 'kong.yml': JSON.stringify(props.declarativeConfig, null, 2), 'render-credentials.lua': RENDER_CREDENTIALS_LUA };
    configMapV1(this, 'DeclarativeConfig', { metadata: { name: DECLARATIVE_TEMPLATE_NAME, namespace: props.namespace }, data: template });
    // The Secrets the file needs: the link key in both zones, each institution's in the public zone.
    const institutions = [...props.institutions].sort((a, b) => (a.id < b.id ? -1 : 1));
    const mounted = [
      { volume: 'gateway-link', secretName: props.linkSecret ?? DEFAULT_LINK_SECRET, mountPath: `${CREDENTIALS_DIR}/${LINK_CREDENTIAL_ID}` },
      ...institutions.map((i) => ({ volume: `credential-${i.id}`, secretName: i.credentialSecret, mountPath: `${CREDENTIALS_DIR}/${i.id}` })),
    ];
    // The proxy's settings; the init container (not covered by the chart's containerSecurityContext) gets
    // the same, with the pod's user spelled out.
    const podSecurity = { runAsNonRoot: true, runAsUser: 1000 };
    const containerSecurity = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
    const declarative = {
      env: { declarative_config: `${RENDERED_DIR}/kong.yml` },
      podAnnotations: { 'hsa.gov.cn/declarative-template-hash': createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 16) },
      deployment: {
        initContainers: [
          {
            name: 'render-credentials',
            image,
            command: ['resty', `${TEMPLATE_DIR}/render-credentials.lua`, `${TEMPLATE_DIR}/kong.yml`, CREDENTIALS_DIR, `${RENDERED_DIR}/kong.yml`],
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
            securityContext: { ...podSecurity, ...containerSecurity },
            volumeMounts: [
              { name: 'declarative-template', mountPath: TEMPLATE_DIR, readOnly: true },
              ...mounted.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: true })),
              { name: 'declarative-rendered', mountPath: RENDERED_DIR },
            ],
          },
        ],
        userDefinedVolumes: [
          { name: 'declarative-template', configMap: { name: DECLARATIVE_TEMPLATE_NAME } },
          ...mounted.map((m) => ({ name: m.volume, secret: { secretName: m.secretName, defaultMode: 0o440 } })),
          // Memory-backed: the rendered credentials never reach a node's disk.
          { name: 'declarative-rendered', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
        ],
        userDefinedVolumeMounts: [{ name: 'declarative-rendered', mountPath: RENDERED_DIR, readOnly: true }],
      },
    };

    const values = {
      image: { repository: `${props.source.imageRegistry}/${props.source.imagePath}/${IMAGES.kong.name}`, tag: IMAGES.kong.tag },
      replicaCount: props.replicas ?? 2,
      ...declarative,
      env: { database: 'off', nginx_worker_processes: '2', proxy_access_log: '/dev/stdout', proxy_error_log: '/dev/stderr', ...declarative.env },
      ingressController: { enabled: false },
      admin: { enabled: false },
      // The chart exposes Kong Manager on a NodePort by default; DB-less Kong OSS has no use for it.
      manager: { enabled: false },
      proxy: { type: 'ClusterIP', http: { enabled: true, servicePort: 80, containerPort: 8000 }, tls: { enabled: false } },
      status: { enabled: true },
      resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      securityContext: podSecurity,
      containerSecurityContext: containerSecurity,
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
    declareImages(this.release, [image]);
    annotateResource(this.release, { component: 'service-gateway', zone: props.zone, site: props.site });
    // The chart gives the status listener (where the prometheus plugin serves /metrics) no Service: a
    // headless one lets the site's Prometheus find every node by DNS.
    serviceV1(this, 'StatusService', {
      metadata: { name: GATEWAY_STATUS_SERVICE, namespace: props.namespace },
      spec: {
        clusterIp: 'None',
        selector: { 'app.kubernetes.io/name': 'kong', 'app.kubernetes.io/component': 'app', 'app.kubernetes.io/instance': 'gateway' },
        port: [{ name: 'status', port: GATEWAY_STATUS_PORT, targetPort: String(GATEWAY_STATUS_PORT) }],
      },
    });
  }
}
