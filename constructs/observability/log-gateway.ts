import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { annotateResource } from '../annotations';
import { configMapV1, deploymentV1, podDisruptionBudgetV1, serviceV1 } from '../l1/kubernetes';
import type { SitePlacement } from '../placement';

export interface LogGatewayProps extends SitePlacement {
  /** The log service's namespace (the middleware's): the gateway runs beside it. */
  readonly namespace: string;
  /** Deployment and Service name. */
  readonly name: string;
  /** Its OTLP/HTTP port, where the shippers send. */
  readonly port: number;
  /** Pods sharing the shippers' load (stateless: any of them answers). */
  readonly replicas: number;
  /** The OpenTelemetry Collector's configuration (YAML). */
  readonly config: string;
  /** Where the configuration is mounted. */
  readonly configDirectory: string;
  /** Where the log service's CA is mounted (the configuration's `tls.ca_file` lies in it). */
  readonly caDirectory: string;
  /** The log service's Secret holding the CA of its certificate (`ca.crt`). */
  readonly caSecret: string;
  /** The log service's credentials Secret and the key of the `elastic` password in it, and the variable the configuration reads it from. */
  readonly password: { readonly secret: string; readonly key: string; readonly variable: string };
  /** Full image reference of the collector (contrib distribution with the Elasticsearch exporter, from the mirror). */
  readonly image: string;
  /** Projects whose shippers send here (annotated for review). */
  readonly projects: readonly string[];
  /** What must exist first (the log service's release, which makes the CA Secret). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The log gateway of one zone at one site: the OpenTelemetry Collector that takes every application's
 * lines from the shippers (OTLP/HTTP) and writes them to the log service (Elasticsearch's bulk API) with
 * the service's own password (a Secret, never in the configuration) and CA. Stateless: it answers a
 * shipper only when Elasticsearch has the lines, so two replicas share the load and a restart loses none.
 */
export class LogGateway extends Construct {
  constructor(scope: Construct, id: string, props: LogGatewayProps) {
    super(scope, id);
    const labels = { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/component': 'log-gateway' };
    const metadata = { name: props.name, namespace: props.namespace, labels };
    const config = configMapV1(this, 'Config', { metadata, data: { 'config.yaml': props.config } });
    const probe = { tcpSocket: [{ port: String(props.port) }], periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
    const deployment = deploymentV1(this, 'Resource', {
      metadata,
      waitForRollout: false,
      spec: {
        replicas: String(props.replicas),
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: '10001', runAsGroup: '10001', seccompProfile: { type: 'RuntimeDefault' } },
            container: [
              {
                name: 'gateway',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                args: [`--config=${props.configDirectory}/config.yaml`],
                port: [{ name: 'otlp-http', containerPort: props.port, protocol: 'TCP' }],
                env: [{ name: props.password.variable, valueFrom: { secretKeyRef: { name: props.password.secret, key: props.password.key } } }],
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
                readinessProbe: probe,
                livenessProbe: { ...probe, initialDelaySeconds: 30 },
                securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMount: [
                  { name: 'config', mountPath: props.configDirectory, readOnly: true },
                  { name: 'ca', mountPath: props.caDirectory, readOnly: true },
                ],
              },
            ],
            volume: [
              { name: 'config', configMap: { name: props.name } },
              { name: 'ca', secret: { secretName: props.caSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      },
      dependsOn: [config, ...(props.dependsOn ?? [])],
    });
    serviceV1(this, 'Service', { metadata, spec: { selector: labels, type: 'ClusterIP', port: [{ name: 'otlp-http', port: props.port, targetPort: 'otlp-http', protocol: 'TCP' }] } });
    podDisruptionBudgetV1(this, 'DisruptionBudget', { metadata, spec: { maxUnavailable: '1', selector: { matchLabels: labels } } });
    annotateResource(deployment, { component: 'log-gateway', zone: props.zone, site: props.site, projects: [...props.projects] });
  }
}
