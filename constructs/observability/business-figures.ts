import { Construct } from 'constructs';
import type { FiguresConfig } from '../../business/figures-server';
import { figuresServerScript } from '../../business/figures-script';
import { annotateResource } from '../annotations';
import { configMapV1, deploymentV1, persistentVolumeClaimV1, serviceV1 } from '../l1/kubernetes';
import type { SitePlacement } from '../placement';
import { addPlatformNamespace } from '../tenancy/platform-namespace';
import { Peer } from '../tenancy/network-policy-set';
import { podSecurityLabels } from '../tenancy/tenant-namespace';

export interface BusinessFiguresProps extends SitePlacement {
  /** The namespace of the figures service, e.g. `hsa-business`. */
  readonly namespace: string;
  /** Its Service name. */
  readonly serviceName: string;
  /** Its one port: OTLP/HTTP in (`/v1/logs`), `/metrics` and `/api/figures` out. */
  readonly port: number;
  /** What each application's events are (the environment's `businessEvents`). */
  readonly figuresConfig: FiguresConfig;
  /** The tenant namespaces whose collectors send here. */
  readonly senders: readonly string[];
  /** Namespaces that read the figures (the site's Prometheus). @default - none */
  readonly readers?: readonly string[];
  /** A Node.js image under the mirror: the service needs Node's standard library only. */
  readonly nodeImage: string;
  /** The journal volume. @default 20 */
  readonly storageGiB?: number;
}

const DATA_DIR = '/var/lib/hsa-figures';
const APP_DIR = '/opt/hsa-figures';

/**
 * The business figures service (业务实时监控) of one zone at one site: one replica (the journal is its
 * state; `Recreate`, so two never write it), the journal on a volume that outlives the pod, the script and
 * its configuration from a ConfigMap, in its own namespace, restricted for Pod Security Admission and
 * open only to the collectors' namespaces and the readers, on its one port.
 */
export class BusinessFigures extends Construct {
  constructor(scope: Construct, id: string, props: BusinessFiguresProps) {
    super(scope, id);
    const { namespaceName, policies } = addPlatformNamespace(this, 'Namespace', { name: props.namespace, labels: podSecurityLabels('restricted') });
    policies.allowFromEach('AllowSenders', [...new Set([...props.senders, ...(props.readers ?? [])])].sort().map((namespace) => ({ peer: Peer.namespace(namespace), ports: [props.port] })), { name: 'allow-from-senders-and-readers' });
    const labels = { 'app.kubernetes.io/name': props.serviceName, 'app.kubernetes.io/component': 'business-figures' };
    const metadata = { name: props.serviceName, namespace: namespaceName, labels };
    const config = configMapV1(this, 'Config', { metadata, data: { 'figures-server.js': figuresServerScript(), 'config.json': `${JSON.stringify(props.figuresConfig, null, 2)}\n` } });
    const journal = persistentVolumeClaimV1(this, 'Journal', {
      metadata,
      waitUntilBound: false,
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${props.storageGiB ?? 20}Gi` } } },
      // The journals are the counted events: never destroyed with a plan.
      lifecycle: { preventDestroy: true },
    });
    const probe = { httpGet: { path: '/healthz', port: String(props.port) }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
    const deployment = deploymentV1(this, 'Resource', {
      metadata,
      waitForRollout: false,
      spec: {
        replicas: '1',
        selector: { matchLabels: labels },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: '10001', runAsGroup: '10001', fsGroup: '10001', seccompProfile: { type: 'RuntimeDefault' } },
            container: [
              {
                name: 'figures',
                image: props.nodeImage,
                imagePullPolicy: 'IfNotPresent',
                workingDir: APP_DIR,
                command: ['node', 'figures-server.js', 'config.json', DATA_DIR, String(props.port)],
                port: [{ name: 'http', containerPort: props.port, protocol: 'TCP' }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                readinessProbe: probe,
                livenessProbe: { ...probe, initialDelaySeconds: 30 },
                securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMount: [
                  { name: 'app', mountPath: APP_DIR, readOnly: true },
                  { name: 'journal', mountPath: DATA_DIR },
                ],
              },
            ],
            volume: [
              { name: 'app', configMap: { name: props.serviceName } },
              { name: 'journal', persistentVolumeClaim: { claimName: props.serviceName } },
            ],
          },
        },
      },
      dependsOn: [config, journal],
    });
    serviceV1(this, 'Service', { metadata, spec: { selector: labels, type: 'ClusterIP', port: [{ name: 'http', port: props.port, targetPort: 'http', protocol: 'TCP' }] } });
    annotateResource(deployment, { component: 'business-figures', zone: props.zone, site: props.site, applications: Object.keys(props.figuresConfig.applications).sort() });
  }
}
