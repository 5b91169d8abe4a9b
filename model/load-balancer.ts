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
import type { DeploymentUnit } from './platform-model';
import type { Site } from './topology';

export type FlowTypeServing = 'active-only' | 'both';

/** Listener for clients (服务监听), and the listener the other site's load balancer uses. */
export const LISTENER_PORT = 8080;
/** Serves this site's members only: requests from the other site never bounce back. */
export const PEER_LISTENER_PORT = 8081;
export const SERVICE_PORTS = { http: 80, peer: 8081 } as const;

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
}

/** Whether both sites' members of an application work at once. */
export function servedByBothSites(systemType: SystemType, flowServing: FlowTypeServing): boolean {
  return systemType === 'query' || systemType === 'compute' || (systemType === 'flow' && flowServing === 'both');
}

/** In-cluster address of the service gateway's proxy (kong chart, release `gateway`, namespace hsa-gateway). */
export const GATEWAY_PROXY = 'gateway-kong-proxy.hsa-gateway.svc.cluster.local:80';
/** Port the gateway's proxy container listens on (what network policies must open). */
export const GATEWAY_PROXY_PORT = 8000;

export function planLoadBalancer(unit: DeploymentUnit, peerIngressVip: string, flowServing: FlowTypeServing, withGateway = false): LoadBalancerPlan {
  const peerSite: Site = unit.site === 'A' ? 'B' : 'A';
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
  return { site: unit.site, address: unit.ingressVip, groups };
}

/**
 * nginx configuration (http context: upstreams and servers), as the bitnami nginx chart includes a
 * server block. Sorted and fixed, so the same plan always gives the same text.
 */
export function renderNginxConfig(plan: LoadBalancerPlan): string {
  const member = (m: GroupMember) => `    server ${m.address}${m.standby ? ' backup' : ''} max_fails=1 fail_timeout=10s;`;
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
  const proxy = [
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_connect_timeout 2s;',
    '        proxy_read_timeout 30s;',
    '        proxy_next_upstream error timeout http_502 http_503 http_504;',
    '        proxy_next_upstream_tries 3;',
  ];
  const server = (port: number, suffix: string, comment: string) => [
    `# ${comment}`,
    'server {',
    `    listen ${port};`,
    '    location = /healthz { return 200 "ok\\n"; }',
    ...plan.groups.flatMap((g) => [`    location ${g.pathPrefix} {`, `        proxy_pass http://${g.name}${suffix};`, ...proxy, '    }']),
    '}',
  ];
  return [
    `# site load balancer (负载均衡), site ${plan.site}, external address ${plan.address}`,
    ...upstreams,
    ...server(LISTENER_PORT, '', 'listener for clients (服务监听)'),
    ...server(PEER_LISTENER_PORT, '-local', 'listener for the other site: this site\'s members only'),
    '',
  ].join('\n');
}
