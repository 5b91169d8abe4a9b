import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import type { Endpoint } from '../../model/middleware-model';
import { configMapV1, serviceV1, statefulSetV1 } from '../l1/kubernetes';
import { metadataNameOf } from '../l1/light-resource';
import { CONFIG_HASH_ANNOTATION } from '../../model/platform-model';

export interface DatabaseBackedServiceProps {
  /** Kubernetes name of the workload and its Services, e.g. `nacos`. */
  readonly name: string;
  /** Kubernetes namespace of the service (the middleware namespace). */
  readonly namespace: string;
  /** Full image reference under the mirror. */
  readonly image: string;
  /** This site's address and the client port, served by a LoadBalancer Service. */
  readonly address: Endpoint;
  /** Further ports the Service exposes besides the client port (e.g. Nacos gRPC). @default [] */
  readonly extraPorts?: readonly { readonly name: string; readonly port: number }[];
  /** Ports only the members use among themselves (headless Service). @default [] */
  readonly peerPorts?: readonly { readonly name: string; readonly port: number }[];
  /** @default 2 */
  readonly replicas?: number;
  /** Plain environment variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Existing Secret with the database credentials, exposed as `DB_USERNAME` / `DB_PASSWORD`. */
  readonly credentialsSecret: string;
  /** Files mounted read-only at `configMountPath` (e.g. application.properties). @default {} */
  readonly configFiles?: Readonly<Record<string, string>>;
  /** @default "/config" */
  readonly configMountPath?: string;
  /** Writable directories (logs, work files) on a read-only root filesystem. @default ["/tmp"] */
  readonly writablePaths?: readonly string[];
  /** HTTP path answering 200 when the server is ready. */
  readonly readinessPath: string;
}

/** Keys of the existing database Secret (`middleware.secrets.database`). */
export const DATABASE_SECRET_KEYS = { username: 'db-username', password: 'db-password' } as const;

/**
 * A middleware server whose state lives in the external database (Nacos, XXL-JOB admin): a StatefulSet
 * (stable member names for clustering), a headless Service for the members and a LoadBalancer Service
 * at the site's address. Written as Kubernetes objects because no usable upstream chart exists; the
 * pods run non-root with a read-only root filesystem and the credentials come from an existing Secret.
 */
export class DatabaseBackedService extends Construct {
  /** In-cluster DNS names of the members, in order (`<name>-0.<name>-headless.<namespace>.svc...`). */
  readonly memberHosts: readonly string[];

  constructor(scope: Construct, id: string, props: DatabaseBackedServiceProps) {
    super(scope, id);
    const replicas = props.replicas ?? 2;
    const labels = { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/component': 'server' };
    const headless = `${props.name}-headless`;
    this.memberHosts = Array.from({ length: replicas }, (_, i) => `${props.name}-${i}.${headless}.${props.namespace}.svc.cluster.local`);
    const files = props.configFiles ?? {};
    const mountPath = props.configMountPath ?? '/config';
    const hasConfig = Object.keys(files).length > 0;
    const config = hasConfig ? configMapV1(this, 'Config', { metadata: { name: `${props.name}-config`, namespace: props.namespace }, data: files }) : undefined;
    // Configuration is read at start: a changed file must roll the pods.
    const configHash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
    const writable = props.writablePaths ?? ['/tmp'];
    const clientPorts = [{ name: 'client', port: props.address.port }, ...(props.extraPorts ?? [])];
    const allPorts = [...clientPorts, ...(props.peerPorts ?? [])];
    const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: props.credentialsSecret, key } } });

    serviceV1(this, 'HeadlessService', {
      metadata: { name: headless, namespace: props.namespace, labels },
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: labels, port: allPorts.map((p) => ({ name: p.name, port: p.port, targetPort: String(p.port) })) },
    });
    statefulSetV1(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      waitForRollout: true,
      spec: {
        serviceName: headless,
        replicas: String(replicas),
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: '10001', runAsGroup: '10001', fsGroup: '10001', seccompProfile: { type: 'RuntimeDefault' } },
            container: [
              {
                name: props.name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                port: allPorts.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
                env: [
                  ...Object.entries(props.env)
                    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                    .map(([name, value]) => ({ name, value })),
                  secretEnv('DB_USERNAME', DATABASE_SECRET_KEYS.username),
                  secretEnv('DB_PASSWORD', DATABASE_SECRET_KEYS.password),
                ],
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
                readinessProbe: { httpGet: { path: props.readinessPath, port: String(props.address.port) }, initialDelaySeconds: 20, periodSeconds: 10 },
                livenessProbe: { tcpSocket: [{ port: String(props.address.port) }], initialDelaySeconds: 60, periodSeconds: 20 },
                securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMount: [
                  ...(hasConfig ? [{ name: 'config', mountPath, readOnly: true }] : []),
                  ...writable.map((path, i) => ({ name: `writable-${i}`, mountPath: path })),
                ],
              },
            ],
            volume: [
              ...(config ? [{ name: 'config', configMap: { name: metadataNameOf(config) } }] : []),
              ...writable.map((_, i) => ({ name: `writable-${i}`, emptyDir: { sizeLimit: '1Gi' } })),
            ],
          },
        },
      },
    });
    serviceV1(this, 'Service', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: { type: 'LoadBalancer', loadBalancerIp: props.address.host, selector: labels, port: clientPorts.map((p) => ({ name: p.name, port: p.port, targetPort: String(p.port) })) },
    });
  }
}
