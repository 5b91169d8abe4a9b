/**
 * How the unit's traffic and its cross-site certificates are watched: the blackbox exporter beside the
 * site's Prometheus asks the DNS controller for the platform zone, connects to the load balancer's client
 * listener, and reads the certificate every TLS endpoint the other datacenter verifies presents (the
 * load balancer's peer listener, each Redis, Kafka's external listener). The certificate probe reads the
 * expiry only; whether the other site trusts it is the replication's own check.
 */
import type { AlertContext, AlertRule, AlertRuleGroup } from './alert-rules';
import { LISTENER_PORT, PEER_LISTENER_PORT, SERVICE_PORTS } from './load-balancer';
import type { ProbeTarget, ScrapeJob } from './monitoring-plan';
import type { AlertThresholds } from './observability-schema';
import type { DeploymentUnit } from './platform-model';
import { PLATFORM_NAMESPACES } from './topology';

/** Kong's status listener, where its prometheus plugin serves `/metrics` (per consumer: the institutions). */
export const GATEWAY_STATUS_PORT = 8100;
/** The headless Service over the gateway's pods the toolkit adds, so Prometheus scrapes each node. */
export const GATEWAY_STATUS_SERVICE = 'gateway-status';

/** Days before a certificate's expiry when the warning, then the critical alert, fire. */
export const CERTIFICATE_WARNING_DAYS = 21;
export const CERTIFICATE_CRITICAL_DAYS = 7;

type WatchedUnit = Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan' | 'dnsVip' | 'ingressVip'> & { readonly traffic: Pick<DeploymentUnit['traffic'], 'zoneName'> };

/** Each TLS endpoint of the unit the other site connects to, by what it is. */
function tlsEndpoints(unit: WatchedUnit): { endpoint: string; address: string }[] {
  const plan = unit.middlewarePlan;
  return [
    { endpoint: 'load-balancer-peer', address: `${unit.ingressVip}:${SERVICE_PORTS.peer}` },
    ...plan.redis.filter((redis) => redis.peerAddress).map((redis) => ({ endpoint: `${redis.role}@${unit.zone}`, address: `${redis.address.host}:${redis.address.port}` })),
    ...(plan.kafka ? [{ endpoint: `kafka@${unit.zone}`, address: `${plan.kafka.address.host}:${plan.kafka.address.port}` }] : []),
  ];
}

export function trafficProbes(unit: WatchedUnit): ProbeTarget[] {
  const site = { hsa_site: unit.site };
  return [
    { module: 'dns_zone', address: `${unit.dnsVip}:53`, labels: { ...site, hsa_probe: 'dns-controller' } },
    { module: 'tcp_connect', address: `${unit.ingressVip}:${SERVICE_PORTS.http}`, labels: { ...site, hsa_probe: 'load-balancer' } },
    ...tlsEndpoints(unit).map(({ endpoint, address }) => ({ module: 'tls_certificate' as const, address, labels: { ...site, hsa_probe: 'certificate', hsa_endpoint: endpoint } })),
  ];
}

/** Each gateway node's metrics, when the unit runs the service gateway. */
export function gatewayScrapeJobs(unit: Pick<DeploymentUnit, 'site'> & { readonly traffic: Pick<DeploymentUnit['traffic'], 'gateway'> }): ScrapeJob[] {
  if (!unit.traffic.gateway) return [];
  const namespace = PLATFORM_NAMESPACES.gateway;
  return [{ name: 'gateway', namespace, port: GATEWAY_STATUS_PORT, targets: [{ address: `${GATEWAY_STATUS_SERVICE}.${namespace}.svc:${GATEWAY_STATUS_PORT}`, labels: { hsa_site: unit.site }, everyAddress: true }] }];
}

/**
 * The gateway's alerts: a node down, an institution's calls failing (Kong's `kong_http_requests_total`
 * carries the consumer, which is the institution), a route slow (its latency histograms carry the
 * route, not the consumer).
 */
export function gatewayAlerts(unit: Pick<DeploymentUnit, 'zone' | 'site'>, thresholds: AlertThresholds): AlertRuleGroup[] {
  const here = unit.site;
  const labels = { team: 'platform' as const, hsa_site: here };
  const selector = `job="gateway", hsa_site="${here}"`;
  const ratio = thresholds.gatewayErrorRatio;
  const latency = thresholds.gatewayLatencyMs;
  const calls = (extra: string) => `sum by (consumer) (rate(kong_http_requests_total{${selector}${extra}}[5m]))`;
  const logs = `kubectl -n ${PLATFORM_NAMESPACES.gateway} logs -l app.kubernetes.io/instance=gateway`;
  return [
    {
      name: `hsa-gateway-${unit.zone}-${here.toLowerCase()}`,
      rules: [
        {
          alert: 'HsaGatewayDown',
          expr: `absent(up{${selector}} == 1)`,
          for: '1m',
          labels: { severity: 'critical', ...labels },
          annotations: {
            summary: `No node of the ${unit.zone} zone's service gateway at site ${here} answers`,
            description: `Every gateway node of site ${here} is down or unscraped: ${unit.zone === 'public' ? 'institutions' : 'the other zone'} cannot call in at site ${here}.`,
            runbook: `kubectl -n ${PLATFORM_NAMESPACES.gateway} get pods; ${logs}.`,
          },
        },
        {
          alert: 'HsaGatewayInstitutionErrors',
          // Only with some traffic (one call in ten seconds): a single failed call is not a ratio.
          expr: `(${calls(', code=~"5.."')} / ${calls('')} > ${ratio}) and ${calls('')} > 0.1`,
          for: '5m',
          labels: { severity: 'warning', ...labels },
          annotations: {
            summary: `Calls of institution {{ $labels.consumer }} fail at the gateway of site ${here}`,
            description: `{{ $value }} of institution {{ $labels.consumer }}'s calls at site ${here} were answered 5xx over 5 minutes (threshold ${ratio}).`,
            runbook: `${logs} | grep {{ $labels.consumer }}; the routes it calls and the applications behind the load balancer; the gatekeeper for the public zone.`,
          },
        },
        {
          alert: 'HsaGatewaySlow',
          expr: `histogram_quantile(0.95, sum by (route, le) (rate(kong_request_latency_ms_bucket{${selector}}[5m]))) > ${latency}`,
          for: '5m',
          labels: { severity: 'warning', ...labels },
          annotations: {
            summary: `Route {{ $labels.route }} at the gateway of site ${here} is slow`,
            description: `95% of route {{ $labels.route }}'s calls at site ${here} take up to {{ $value }} ms (threshold ${latency} ms).`,
            runbook: `kong_upstream_latency_ms against kong_kong_latency_ms tells the application's share from the gateway's; the application behind the route and its database.`,
          },
        },
      ],
    },
  ];
}

export function trafficAlerts(context: AlertContext & { readonly unit: WatchedUnit }): AlertRuleGroup[] {
  const { unit } = context;
  const dnsZone = unit.traffic.zoneName;
  const here = unit.site;
  const labels = { team: 'platform' as const, hsa_site: here };
  const probe = (job: string, what: string) => `job="probe-${job}", hsa_probe="${what}", hsa_site="${here}"`;
  const days = (n: number) => n * 86400;
  const certificate = (severity: 'warning' | 'critical', within: number): AlertRule => ({
    alert: severity === 'critical' ? 'HsaCertificateExpiresVerySoon' : 'HsaCertificateExpiresSoon',
    expr: `min by (hsa_endpoint, instance) (probe_ssl_earliest_cert_expiry{${probe('tls_certificate', 'certificate')}}) - time() < ${days(within)}`,
    for: '10m',
    labels: { severity, ...labels },
    annotations: {
      summary: `The certificate of {{ $labels.hsa_endpoint }} at site ${here} expires within ${within} days`,
      description: `{{ $labels.hsa_endpoint }} ({{ $labels.instance }}) presents a certificate that expires in {{ $value }} s: once expired, the other datacenter refuses it and replication across the link stops.`,
      runbook: `Renew the site's certificate in its Secret (the same CA for both sites) and restart the component to load it; check with openssl s_client -connect {{ $labels.instance }}.`,
    },
  });
  const rules: AlertRule[] = [
    {
      alert: 'HsaDnsControllerDown',
      expr: `max(probe_success{${probe('dns_zone', 'dns-controller')}}) == 0`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `The DNS controller of the ${unit.zone} zone at site ${here} does not answer for ${dnsZone}`,
        description: `${unit.dnsVip}:53 gives no answer with the SOA of ${dnsZone}: clients at site ${here} cannot resolve the platform's stable names, and a switchover's DNS change reaches nobody.`,
        runbook: `kubectl -n ${PLATFORM_NAMESPACES.dns} get pods; dig @${unit.dnsVip} ${dnsZone} SOA; the zone file in its ConfigMap.`,
      },
    },
    {
      alert: 'HsaLoadBalancerDown',
      expr: `max(probe_success{${probe('tcp_connect', 'load-balancer')}}) == 0`,
      for: '1m',
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `The load balancer of the ${unit.zone} zone at site ${here} refuses connections`,
        description: `${unit.ingressVip}:${SERVICE_PORTS.http} (the client listener, ${LISTENER_PORT} in the pod) does not accept connections: site ${here}'s applications are unreachable through it.`,
        runbook: `kubectl -n ${PLATFORM_NAMESPACES.ingress} get pods,svc; its logs; the peer listener (${PEER_LISTENER_PORT}) takes the other site's traffic.`,
      },
    },
    certificate('warning', CERTIFICATE_WARNING_DAYS),
    certificate('critical', CERTIFICATE_CRITICAL_DAYS),
  ];
  return [{ name: `hsa-traffic-${unit.zone}-${here.toLowerCase()}`, rules }];
}
