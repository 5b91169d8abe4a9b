/** The environment's `observability`: where each team's alerts go, and whether the toolkit's own monitoring runs. */
import { isIP } from 'node:net';
import { z } from 'zod';

/** Query parameters that carry a credential in a webhook URL (chat robots' `access_token`, `key`, `sign`...). */
const CREDENTIAL_PARAMETER = /^(access_?token|token|key|secret|sign(ature)?|password|auth)$/i;

/** Where a webhook URL kept in a Secret is read, as `webhookFromSecret` names it. */
const webhookFromSecret = z.strictObject({
  /** A Secret in `hsa-monitoring` of each site cluster, created by the province as its other Secrets are. */
  secret: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,52}[a-z0-9])?$/, { message: 'expected a Secret name: lowercase letters, digits and "-", at most 54 (its volume is named receiver-<secret>)' }),
  /** The Secret's key holding the URL. @default 'url' */
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { message: 'expected a Secret key: letters, digits, "-", "_" and "."' }).optional(),
  /** The port the URL names, for the NetworkPolicy towards `receiverNetworks`. @default 443 */
  port: z.number().int().min(1).max(65535).optional(),
});

/** A receiver Alertmanager sends a team's alerts to: a webhook URL, or one kept in a Secret. */
const receiver = z
  .strictObject({
    /**
     * An HTTP(S) endpoint Alertmanager POSTs each group of alerts to (its webhook format), e.g. the
     * province's on-call system or a chat bridge. Written into the synthesized output and the Terraform
     * state: a URL that carries a credential is refused; use `webhookFromSecret`.
     */
    webhook: z.string().regex(/^https?:\/\/\S+$/, { message: 'expected an http:// or https:// URL' }).optional(),
    /**
     * The webhook URL kept in a Secret (a chat robot's URL with its token): Alertmanager reads it from the
     * Secret mounted as a file (`url_file`); it never appears in the output or the state.
     */
    webhookFromSecret: webhookFromSecret.optional(),
    /** Also send when an alert resolves. @default true */
    sendResolved: z.boolean().optional(),
  })
  .superRefine((target, context) => {
    if ((target.webhook === undefined) === (target.webhookFromSecret === undefined)) {
      context.addIssue({ code: 'custom', message: 'give either webhook (a URL) or webhookFromSecret ({ "secret": "<Secret in hsa-monitoring>", "key": "url" }), not both or neither' });
      return;
    }
    if (target.webhook === undefined || !URL.canParse(target.webhook)) return;
    const url = new URL(target.webhook);
    const credential = url.username || url.password ? 'a user and password' : [...url.searchParams.keys()].find((name) => CREDENTIAL_PARAMETER.test(name));
    if (credential) {
      context.addIssue({
        code: 'custom',
        path: ['webhook'],
        message: `the URL carries ${credential === 'a user and password' ? credential : `a credential (${credential})`}, which would be written in plaintext to the synthesized output and the Terraform state: keep the URL in a Secret of hsa-monitoring and give { "webhookFromSecret": { "secret": "<its name>", "key": "url" } } instead`,
      });
    }
  });

/** What a receiver names, read alike by the routing and the NetworkPolicy. */
export type ReceiverTarget = z.infer<typeof receiver>;

export const observabilitySchema = z
  .strictObject({
  /**
   * Where alerts go. `default` gets every alert no team's receiver takes; `teams` routes by the alert's
   * `team` label: `middleware` (the DR pairs), `database` (the business database), `platform` (backups,
   * clusters, traffic).
   */
  receivers: z.strictObject({
    default: receiver,
    /** @default - every team's alerts go to `default` */
    teams: z.partialRecord(z.enum(['middleware', 'database', 'platform']), receiver).optional(),
  }),
  /**
   * The networks the receivers' hosts are in (IPv4 CIDRs): the only addresses each site's Alertmanager
   * may send to (a NetworkPolicy holds addresses, not host names). Needed when the toolkit runs the
   * monitoring and a webhook names its host by name.
   * @default - the webhooks' own addresses, when they give IP addresses
   */
  receiverNetworks: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { message: 'expected an IPv4 CIDR such as "10.30.0.0/24"' })).min(1).optional(),
  /**
   * Who runs the monitoring. `toolkit`: a Prometheus and an Alertmanager per site cluster, deployed with
   * the unit (namespace `hsa-monitoring`), loaded with the generated rules and routing. `own`: the
   * province already runs its stack; nothing is deployed, and `npm run alerts` writes the files to load.
   * @default 'toolkit'
   */
  stack: z.enum(['toolkit', 'own']).optional(),
  /** Days Prometheus keeps its samples. @default 15 */
  retentionDays: z.number().int().min(1).max(400).optional(),
  /** Prometheus's data volume per site cluster, in GiB. @default 50 */
  storageGiB: z.number().int().min(1).optional(),
  /**
   * The cluster's own metrics: each site's Prometheus reads every node's kubelet (its resource metrics,
   * cAdvisor's per-container figures and every volume's use) and alerts on the nodes' and pods' CPU,
   * memory and disk and on every volume against `thresholds`. It gets a ClusterRole of its own (nodes:
   * get, list, watch; nodes/metrics: get) and reaches the API server and the nodes' networks
   * (`sites.<X>.zones.<zone>.nodeNetworks`, then required) on 10250 only.
   * @default { enabled: true, kubeletTls: 'skip-verify' }
   */
  clusterMetrics: z
    .strictObject({
      /** @default true */
      enabled: z.boolean().optional(),
      /**
       * How Prometheus checks a kubelet's serving certificate: `cluster-ca` when the kubelets' serving
       * certificates are signed by the cluster's CA (serverTLSBootstrap); `skip-verify` for the
       * self-signed ones kubeadm's kubelets make by default (as kube-prometheus-stack does).
       * @default 'skip-verify'
       */
      kubeletTls: z.enum(['cluster-ca', 'skip-verify']).optional(),
    })
    .optional(),
  /**
   * Every application's log files to the zone's log service, per project (`hsa-logs-<project>`), through a
   * shipper beside each application and a gateway beside the log service (docs/observability.md). Where
   * the zone runs no log service nothing is shipped.
   * @default { enabled: true }
   */
  logShipping: z.strictObject({ /** @default true */ enabled: z.boolean().optional() }).optional(),
  /** When the gateway's alerts fire (docs/observability.md). */
  thresholds: z
    .strictObject({
      /** Share of an institution's calls answered 5xx over 5 minutes. @default 0.05 */
      gatewayErrorRatio: z.number().gt(0).lt(1).optional(),
      /** The 95th percentile of a route's latency at the gateway, in milliseconds. @default 2000 */
      gatewayLatencyMs: z.number().int().min(1).optional(),
      /** Share of memory in use: a Redis pair's maxmemory, a node's, a container's limit. @default 0.85 */
      memoryRatio: z.number().gt(0).lt(1).optional(),
      /** Share of a volume in use: Kafka's brokers, the database, Prometheus's own, every volume a kubelet reports. @default 0.85 */
      volumeRatio: z.number().gt(0).lt(1).optional(),
      /** Share of CPU in use over 15 minutes: a node's cores, a container's limit. @default 0.8 */
      cpuRatio: z.number().gt(0).lt(1).optional(),
      /** Share of a node's root filesystem in use (images, logs, empty dirs). @default 0.85 */
      diskRatio: z.number().gt(0).lt(1).optional(),
    })
    .optional(),
  })
  .superRefine((settings, context) => {
    if ((settings.stack ?? 'toolkit') !== 'toolkit' || settings.receiverNetworks) return;
    const named = [['default', settings.receivers.default] as const, ...Object.entries(settings.receivers.teams ?? {}).map(([team, r]) => [`teams.${team}`, r] as const)];
    const fromSecret = named.find(([, r]) => r?.webhookFromSecret !== undefined);
    const byName = named.find(([, r]) => r?.webhook !== undefined && URL.canParse(r.webhook) && isIP(new URL(r.webhook).hostname.replace(/^\[|\]$/g, '')) === 0);
    if (fromSecret) {
      context.addIssue({
        code: 'custom',
        path: ['receiverNetworks'],
        message: `receivers.${fromSecret[0]}.webhookFromSecret keeps its URL out of the output, so no NetworkPolicy can be made from it: add receiverNetworks, the CIDRs the receivers' hosts are in (e.g. ["10.30.0.0/24"])`,
      });
    } else if (byName) {
      context.addIssue({
        code: 'custom',
        path: ['receiverNetworks'],
        message: `receivers.${byName[0]}.webhook names its host by name, which a NetworkPolicy cannot hold: add receiverNetworks, the CIDRs the receivers' hosts are in (e.g. ["10.30.0.0/24"]), or give the webhook by IP address`,
      });
    }
  });

export type ObservabilitySettings = z.infer<typeof observabilitySchema>;

export const OBSERVABILITY_DEFAULTS = {
  stack: 'toolkit',
  retentionDays: 15,
  storageGiB: 50,
  clusterMetrics: true,
  kubeletTls: 'skip-verify',
  gatewayErrorRatio: 0.05,
  gatewayLatencyMs: 2000,
  memoryRatio: 0.85,
  volumeRatio: 0.85,
  cpuRatio: 0.8,
  diskRatio: 0.85,
} as const;

/** The alert thresholds in force: the environment's, else the defaults. */
export interface AlertThresholds {
  readonly gatewayErrorRatio: number;
  readonly gatewayLatencyMs: number;
  readonly memoryRatio: number;
  readonly volumeRatio: number;
  readonly cpuRatio: number;
  readonly diskRatio: number;
}

export function alertThresholds(settings: ObservabilitySettings | undefined): AlertThresholds {
  const set = settings?.thresholds ?? {};
  return {
    gatewayErrorRatio: set.gatewayErrorRatio ?? OBSERVABILITY_DEFAULTS.gatewayErrorRatio,
    gatewayLatencyMs: set.gatewayLatencyMs ?? OBSERVABILITY_DEFAULTS.gatewayLatencyMs,
    memoryRatio: set.memoryRatio ?? OBSERVABILITY_DEFAULTS.memoryRatio,
    volumeRatio: set.volumeRatio ?? OBSERVABILITY_DEFAULTS.volumeRatio,
    cpuRatio: set.cpuRatio ?? OBSERVABILITY_DEFAULTS.cpuRatio,
    diskRatio: set.diskRatio ?? OBSERVABILITY_DEFAULTS.diskRatio,
  };
}

/** Whether each site's Prometheus reads the cluster's own metrics (the kubelets): the toolkit runs the monitoring and the environment leaves it on. */
export function readsClusterMetrics(settings: ObservabilitySettings | undefined): boolean {
  return settings !== undefined && (settings.stack ?? OBSERVABILITY_DEFAULTS.stack) === 'toolkit' && (settings.clusterMetrics?.enabled ?? OBSERVABILITY_DEFAULTS.clusterMetrics);
}
