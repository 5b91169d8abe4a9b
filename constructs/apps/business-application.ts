import { Construct } from 'constructs';
import { configMapV1, deploymentV1, horizontalPodAutoscalerV2, podDisruptionBudgetV1, serviceV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';
import { cpuQuantity, memoryQuantity } from '../../model/quantity';
import * as crypto from 'node:crypto';
import type { INamespace } from '../tenancy/tenant-namespace';
import { CONFIG_HASH_ANNOTATION } from '../../model/platform-model';
import { collectorArgs } from '../../model/collector-config';

export interface ContainerResources {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
}

export interface BusinessApplicationProps {
  /** Namespace the application runs in. */
  readonly namespace: INamespace;
  /** Kubernetes name of the application, e.g. `settlement`. */
  readonly name: string;
  /** Full image reference, pinned (`registry/settlement:2.3.1`). */
  readonly image: string;
  /** Application version, recorded as the `app.kubernetes.io/version` label. */
  readonly version: string;
  /** Replicas, and the autoscaler's lower bound. */
  readonly replicas: number;
  /** Autoscaler upper bound. @default 2 x replicas */
  readonly maxReplicas?: number;
  /** Average CPU utilisation the autoscaler aims for. @default 70 */
  readonly targetCpuUtilizationPercent?: number;
  /** CPU and memory each container asks for (what the scheduler reserves). */
  readonly requests: ContainerResources;
  /** CPU and memory each container may use at most. */
  readonly limits: ContainerResources;
  /** HTTP port of the container. @default 8080 */
  readonly port?: number;
  /** @default "/actuator/health/readiness" */
  readonly readinessPath?: string;
  /** @default "/actuator/health/liveness" */
  readonly livenessPath?: string;
  /** Environment of the container, delivered as a ConfigMap. No secrets here: they come from Secrets. */
  readonly config: Readonly<Record<string, string>>;
  /** Labels on every object (zone, site, system type...). @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The collector beside the application that reads the settlement events it writes (business monitoring). @default - none */
  readonly eventCollector?: EventCollector;
  /** The collector beside the application that ships its log files to the log service. @default - none */
  readonly logShipper?: LogShipper;
}

/** A log shipper container beside the application, reading its log directory. */
export interface LogShipper {
  /** Full image reference of the collector (the OpenTelemetry Collector contrib distribution, from the mirror). */
  readonly image: string;
  /** Its configuration (YAML), delivered as a ConfigMap `<name>-log-shipper`. */
  readonly config: string;
  /** The directory the application writes its log files in: a volume both containers mount there (the event file's, when it is the same). */
  readonly logDirectory: string;
  /** Where the shipper keeps its checkpoints and queue (a volume of the pod). */
  readonly storageDirectory: string;
  /** Where its configuration is mounted. */
  readonly configDirectory: string;
  /** The variable the configuration reads the pod's name from. */
  readonly podNameVariable: string;
}

/** A collector container beside the application, sharing the directory of its event file. */
export interface EventCollector {
  /** Full image reference of the collector (the OpenTelemetry Collector contrib distribution, from the mirror). */
  readonly image: string;
  /** Its configuration (YAML), delivered as a ConfigMap `<name>-event-collector`. */
  readonly config: string;
  /** The directory the application writes its event file in: a volume both containers mount there. */
  readonly eventDirectory: string;
  /** Where the collector keeps its checkpoints and queue (a volume of the pod: it survives a container restart). */
  readonly storageDirectory: string;
  /** Where its configuration is mounted. */
  readonly configDirectory: string;
}

/** SHA-256 in hex; Node's one-shot `crypto.hash` where there is one (20.12+), the same digest, faster. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** The collector container: restricted like the application, its checkpoints and queue on a pod volume. */
function collectorContainer(collector: EventCollector) {
  return {
    name: 'event-collector',
    image: collector.image,
    imagePullPolicy: 'IfNotPresent',
    args: collectorArgs(`${collector.configDirectory}/config.yaml`),
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMount: [
      { name: 'business-events', mountPath: collector.eventDirectory, readOnly: true },
      { name: 'collector-storage', mountPath: collector.storageDirectory },
      { name: 'collector-config', mountPath: collector.configDirectory, readOnly: true },
    ],
  };
}

/** The log shipper container, restricted like the application; it reads the log directory and never writes it. */
function logShipperContainer(shipper: LogShipper, logVolume: string) {
  return {
    name: 'log-shipper',
    image: shipper.image,
    imagePullPolicy: 'IfNotPresent',
    args: collectorArgs(`${shipper.configDirectory}/config.yaml`),
    env: [{ name: shipper.podNameVariable, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    volumeMount: [
      { name: logVolume, mountPath: shipper.logDirectory, readOnly: true },
      { name: 'log-shipper-storage', mountPath: shipper.storageDirectory },
      { name: 'log-shipper-config', mountPath: shipper.configDirectory, readOnly: true },
    ],
  };
}

/** UID the containers run as: any non-root UID works; a fixed one keeps file ownership predictable. */
const NON_ROOT_UID = '10001';

/**
 * One business application (业务应用) of the platform: Deployment (rolling update, probes, resource
 * requests/limits, hardened after the NSA/CISA Kubernetes guide), Service, PodDisruptionBudget,
 * HorizontalPodAutoscaler and a ConfigMap with its configuration.
 */
export class BusinessApplication extends Construct {
  /** In-cluster address of the application's Service, `<name>.<namespace>.svc`. */
  readonly serviceName: string;
  readonly port: number;

  constructor(scope: Construct, id: string, props: BusinessApplicationProps) {
    super(scope, id);
    const port = props.port ?? 8080;
    const namespace = props.namespace.namespaceName;
    const selector = { 'app.kubernetes.io/name': props.name };
    const labels = { ...props.labels, ...selector, 'app.kubernetes.io/version': props.version, 'app.kubernetes.io/part-of': 'hsa-platform' };
    const metadata = { name: props.name, namespace, labels };

    const config = configMapV1(this, 'Config', { metadata, data: { ...props.config } });
    const collector = props.eventCollector;
    if (collector) configMapV1(this, 'EventCollectorConfig', { metadata: { ...metadata, name: `${props.name}-event-collector` }, data: { 'config.yaml': collector.config } });
    const shipper = props.logShipper;
    if (shipper) configMapV1(this, 'LogShipperConfig', { metadata: { ...metadata, name: `${props.name}-log-shipper` }, data: { 'config.yaml': shipper.config } });
    // The log directory is the event file's volume when they are one directory, else a volume of its own.
    const sharedLogDirectory = shipper !== undefined && collector !== undefined && shipper.logDirectory === collector.eventDirectory;
    const logVolume = sharedLogDirectory ? 'business-events' : 'application-logs';
    // A changed configuration rolls the pods: the hash is part of the pod template.
    const configHash = sha256Hex(
      collector || shipper ? JSON.stringify([props.config, ...(collector ? [collector.config] : []), ...(shipper ? [shipper.config] : [])]) : JSON.stringify(props.config),
    ).slice(0, 16);

    const probe = (path: string, initialDelaySeconds: number, periodSeconds: number) => ({
      httpGet: { path, port: String(port) },
      initialDelaySeconds,
      periodSeconds,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });

    deploymentV1(this, 'Resource', {
      metadata,
      waitForRollout: true,
      // The autoscaler owns the live replica count; Terraform sets it only at creation.
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      spec: {
        replicas: String(props.replicas),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '0' } },
        template: {
          metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, fsGroup: NON_ROOT_UID, seccompProfile: { type: 'RuntimeDefault' } },
            topologySpreadConstraint: [
              { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: selector }] },
            ],
            container: [
              {
                name: props.name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                port: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                envFrom: [{ configMapRef: { name: metadataNameOf(config) } }],
                resources: {
                  requests: { cpu: cpuQuantity(props.requests.cpuMilli), memory: memoryQuantity(props.requests.memoryMiB, 'Mi') },
                  limits: { cpu: cpuQuantity(props.limits.cpuMilli), memory: memoryQuantity(props.limits.memoryMiB, 'Mi') },
                },
                readinessProbe: probe(props.readinessPath ?? '/actuator/health/readiness', 20, 10),
                livenessProbe: probe(props.livenessPath ?? '/actuator/health/liveness', 60, 20),
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                // A read-only root filesystem still needs a writable /tmp for the JVM.
                volumeMount: [
                  { name: 'tmp', mountPath: '/tmp' },
                  ...(collector ? [{ name: 'business-events', mountPath: collector.eventDirectory }] : []),
                  ...(shipper && !sharedLogDirectory ? [{ name: 'application-logs', mountPath: shipper.logDirectory }] : []),
                ],
              },
              ...(collector ? [collectorContainer(collector)] : []),
              ...(shipper ? [logShipperContainer(shipper, logVolume)] : []),
            ],
            volume: [
              { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
              ...(collector
                ? [
                    { name: 'business-events', emptyDir: { sizeLimit: '2Gi' } },
                    { name: 'collector-storage', emptyDir: { sizeLimit: '1Gi' } },
                    { name: 'collector-config', configMap: { name: `${props.name}-event-collector` } },
                  ]
                : []),
              ...(shipper
                ? [
                    ...(sharedLogDirectory ? [] : [{ name: 'application-logs', emptyDir: { sizeLimit: '2Gi' } }]),
                    { name: 'log-shipper-storage', emptyDir: { sizeLimit: '1Gi' } },
                    { name: 'log-shipper-config', configMap: { name: `${props.name}-log-shipper` } },
                  ]
                : []),
            ],
          },
        },
      },
    });

    const service = serviceV1(this, 'Service', {
      metadata,
      spec: { selector, type: 'ClusterIP', port: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
    });
    this.serviceName = `${metadataNameOf(service)}.${namespace}.svc`;
    this.port = 80;

    podDisruptionBudgetV1(this, 'DisruptionBudget', {
      metadata,
      spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
    });

    horizontalPodAutoscalerV2(this, 'Autoscaler', {
      metadata,
      spec: {
        minReplicas: props.replicas,
        maxReplicas: props.maxReplicas ?? props.replicas * 2,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: props.name },
        metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: props.targetCpuUtilizationPercent ?? 70 } } }],
      },
    });
  }
}
