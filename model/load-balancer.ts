/**
 * The site load balancer (负载均衡) of one zone in one datacenter, as data, and its nginx configuration.
 *
 * Each application is a forwarding rule (转发规则: path prefix) to a virtual server group (虚拟服务器组)
 * with two members: this site's Service (工作后端 or 备支后端) and the other site's load balancer. Which
 * member works and which stands by follows the application's system type after JR/T 0209-2021:
 *   query   (查询型) and compute (计算型): both sites serve: both members working;
 *   account (账户型): strong consistency, only the active site serves: its member works, the other stands by;
 *   flow    (流水型): as the environment chooses (`traffic.flowTypeServing`, default like account).
 * Standby members take traffic only when the working ones fail (nginx `backup`), and a failed request is
 * retried on the next member, so a stopped backend costs no request.
 */
import type { SystemType } from './catalog';
import { platformZoneName } from './dns-zone';
import type { ProvinceBasics, UnitBasics } from './platform-model';
import type { Site } from './topology';

export type FlowTypeServing = 'active-only' | 'both';

/** Listener for clients (服务监听), and the listener the other site's load balancer uses. */
export const LISTENER_PORT = 8080;
/** Serves this site's members only: requests from the other site never bounce back. */
export const PEER_LISTENER_PORT = 8081;
export const SERVICE_PORTS = { http: 80, peer: 8081 } as const;
/**
 * Loopback port of the hop that carries a request to the other site over TLS: nginx chooses an upstream
 * member per request but speaks one scheme per `proxy_pass`, so the other site's member of every group is
 * this hop, and the hop speaks verified TLS to the other site's peer listener.
 */
export const PEER_TLS_HOP = '127.0.0.1:8082';

/**
 * The link between the two sites' load balancers is mutual TLS (docs/security.md): each site's certificate
 * comes from this existing Secret (cert-manager's format, one CA for both sites), mounted by the chart at
 * `/certs`. The certificate names the site by DNS (`loadBalancerTlsName`): nginx checks the other site's
 * certificate against a host name only, never an IP address.
 */
export const LOAD_BALANCER_TLS = { secret: 'hsa-lb-tls', dir: '/certs', certificate: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** The DNS name a site load balancer's certificate carries, `lb-<site>.<zone>.<env>.<dnsDomain>`. */
export function loadBalancerTlsName(province: Pick<ProvinceBasics, 'envName' | 'dnsDomain'>, unit: Pick<UnitBasics, 'zone' | 'site'>): string {
  return `lb-${unit.site.toLowerCase()}.${platformZoneName(province, unit.zone)}`;
}

export interface GroupMember {
  /** `host:port` */
  readonly address: string;
  readonly site: Site;
  readonly standby: boolean;
}

export interface VirtualServerGroup {
  readonly name: string;
  /** Forwarding rule: requests under this path prefix go to the group. */
  readonly pathPrefix: string;
  readonly systemType: SystemType;
  readonly members: readonly GroupMember[];
  /** Only this site's member, for the peer listener. */
  readonly localMember: GroupMember;
}

export interface LoadBalancerPlan {
  readonly site: Site;
  /** External address of the instance (负载均衡实例). */
  readonly address: string;
  readonly groups: readonly VirtualServerGroup[];
  /** The mutual-TLS link to the other site's load balancer. */
  readonly peerLink: {
    /** `host:port` of the other site's peer listener. */
    readonly address: string;
    /** The name this site's certificate carries (what the other site verifies). */
    readonly ownName: string;
    /** The name the other site's certificate must carry. */
    readonly peerName: string;
  };
}

/** Whether both sites' members of an application work at once. */
export function servedByBothSites(systemType: SystemType, flowServing: FlowTypeServing): boolean {
  return systemType === 'query' || systemType === 'compute' || (systemType === 'flow' && flowServing === 'both');
}

/** In-cluster address of the service gateway's proxy (kong chart, release `gateway`, namespace hsa-gateway). */
export const GATEWAY_PROXY = 'gateway-kong-proxy.hsa-gateway.svc.cluster.local:80';
/** Port the gateway's proxy container listens on (what network policies must open). */
export const GATEWAY_PROXY_PORT = 8000;

export function planLoadBalancer(province: ProvinceBasics, unit: UnitBasics, flowServing: FlowTypeServing = province.flowTypeServing): LoadBalancerPlan {
  const peerSite: Site = unit.site === 'A' ? 'B' : 'A';
  const peerIngressVip = unit.peerIngressVip;
  const withGateway = province.gateway !== undefined;
  const groups = unit.applications.map((app): VirtualServerGroup => {
    const both = servedByBothSites(app.catalog.systemType, flowServing);
    const local: GroupMember = { address: `${app.name}.${app.namespace}.svc.cluster.local:80`, site: unit.site, standby: !both && !unit.active };
    const peer: GroupMember = { address: `${peerIngressVip}:${SERVICE_PORTS.peer}`, site: peerSite, standby: !both && unit.active };
    return { name: app.name, pathPrefix: `/${app.name}/`, systemType: app.catalog.systemType, members: [local, peer], localMember: local };
  });
  if (withGateway) {
    // The gateway path (服务网关): this site's gateway works (each site's callers cross its own
    // gatekeeper); the other site's stands by.
    const local: GroupMember = { address: GATEWAY_PROXY, site: unit.site, standby: false };
    groups.push({ name: 'gateway', pathPrefix: '/api/', systemType: 'flow', members: [local, { address: `${peerIngressVip}:${SERVICE_PORTS.peer}`, site: peerSite, standby: true }], localMember: local });
  }
  const peerLink = { address: `${peerIngressVip}:${SERVICE_PORTS.peer}`, ownName: loadBalancerTlsName(province, unit), peerName: loadBalancerTlsName(province, { zone: unit.zone, site: peerSite }) };
  return { site: unit.site, address: unit.ingressVip, groups, peerLink };
}

/**
 * nginx configuration (http context: upstreams and servers), as the bitnami nginx chart includes a
 * server block. Sorted and fixed, so the same plan always gives the same text.
 */
export function renderNginxConfig(plan: LoadBalancerPlan): string {
  // The other site's member of every group is the loopback hop, which carries the request over TLS.
  const member = (m: GroupMember) => `    server ${m.site === plan.site ? m.address : PEER_TLS_HOP}${m.standby ? ' backup' : ''} max_fails=1 fail_timeout=10s;`;
  const upstreams = plan.groups.flatMap((g) => [
    `# ${g.name} (${g.systemType}): ${g.members.map((m) => `${m.site} ${m.standby ? 'standby' : 'working'}`).join(', ')}`,
    `upstream ${g.name} {`,
    ...g.members.filter((m) => !m.standby).map(member),
    ...g.members.filter((m) => m.standby).map(member),
    '    keepalive 16;',
    '}',
    `upstream ${g.name}-local {`,
    `    server ${g.localMember.address} max_fails=1 fail_timeout=10s;`,
    '}',
  ]);
  const timeouts = ['        proxy_connect_timeout 2s;', '        proxy_read_timeout 30s;'];
  const proxy = [
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    ...timeouts,
    '        proxy_next_upstream error timeout http_502 http_503 http_504;',
    '        proxy_next_upstream_tries 3;',
  ];
  const tls = (file: string) => `${LOAD_BALANCER_TLS.dir}/${file}`;
  const protocols = 'TLSv1.2 TLSv1.3';
  const server = (listen: string, tlsLines: readonly string[], suffix: string, comment: string) => [
    `# ${comment}`,
    'server {',
    `    listen ${listen};`,
    ...tlsLines,
    '    location = /healthz { return 200 "ok\\n"; }',
    ...plan.groups.flatMap((g) => [`    location ${g.pathPrefix} {`, `        proxy_pass http://${g.name}${suffix};`, ...proxy, '    }']),
    '}',
  ];
  const peerListenerTls = [
    `    ssl_certificate ${tls(LOAD_BALANCER_TLS.certificate)};`,
    `    ssl_certificate_key ${tls(LOAD_BALANCER_TLS.key)};`,
    `    ssl_protocols ${protocols};`,
    '    # Only a client with a certificate from the sites\' CA: the other site\'s load balancer.',
    `    ssl_client_certificate ${tls(LOAD_BALANCER_TLS.ca)};`,
    '    ssl_verify_client on;',
    '    ssl_verify_depth 2;',
  ];
  const hop = [
    `# hop to the other site: mutual TLS to ${plan.peerLink.peerName} at ${plan.peerLink.address}, its certificate verified`,
    'upstream peer-site {',
    `    server ${plan.peerLink.address};`,
    '    keepalive 16;',
    '}',
    'server {',
    `    listen ${PEER_TLS_HOP};`,
    '    location / {',
    '        proxy_pass https://peer-site;',
    `        proxy_ssl_certificate ${tls(LOAD_BALANCER_TLS.certificate)};`,
    `        proxy_ssl_certificate_key ${tls(LOAD_BALANCER_TLS.key)};`,
    `        proxy_ssl_trusted_certificate ${tls(LOAD_BALANCER_TLS.ca)};`,
    '        proxy_ssl_verify on;',
    '        proxy_ssl_verify_depth 2;',
    `        proxy_ssl_name ${plan.peerLink.peerName};`,
    '        proxy_ssl_server_name on;',
    `        proxy_ssl_protocols ${protocols};`,
    '        proxy_ssl_session_reuse on;',
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    // The outer proxy added the client; pass its header on unchanged.
    '        proxy_set_header X-Forwarded-For $http_x_forwarded_for;',
    ...timeouts,
    // The outer upstream retries on the next member; the hop itself never retries.
    '        proxy_next_upstream off;',
    '    }',
    '}',
  ];
  return [
    `# site load balancer (负载均衡), site ${plan.site}, external address ${plan.address}, certificate name ${plan.peerLink.ownName}`,
    ...upstreams,
    ...server(`${LISTENER_PORT}`, [], '', 'listener for clients (服务监听)'),
    ...server(`${PEER_LISTENER_PORT} ssl`, peerListenerTls, '-local', 'listener for the other site (mutual TLS): this site\'s members only'),
    ...hop,
    '',
  ].join('\n');
}
