import { Construct } from 'constructs';
import { DEFAULT_GATEKEEPER_PORT } from '../../model/gateway-config';
import { GATEWAY_PROXY_PORT, LISTENER_PORT, PEER_LISTENER_PORT, renderNginxConfig, SERVICE_PORTS } from '../../model/load-balancer';
import type { DeploymentUnit, ProvinceModel } from '../../model/platform-model';
import { PLATFORM_NAMESPACES } from '../../model/topology';
import type { ChartSource } from '../middleware/chart-source';
import { Peer } from '../tenancy/network-policy-set';
import { PlatformNamespace } from '../tenancy/platform-namespace';
import { DnsController } from '../traffic/dns-controller';
import { ServiceGateway } from '../traffic/service-gateway';
import { SiteLoadBalancer } from '../traffic/site-load-balancer';
import { monitoredPorts } from './middleware-props';
import type { UnitTenants } from './unit-tenants';

/**
 * The unit's traffic, at `<unit>/Traffic`: the DNS controller answers stable names with the active site;
 * the load balancer fronts the applications with working and standby members per system type; the
 * gateway is the only path between the zones. Each runs in its own namespace, denied by default; the
 * allows below are the complete list of paths (checked by test/zone-isolation.test.ts). What each
 * serves was planned by the model (`unit.traffic`); this renders it.
 */
export class UnitTraffic extends Construct {
  constructor(scope: Construct, id: string, unit: DeploymentUnit, province: ProvinceModel, tenants: UnitTenants, source: ChartSource) {
    super(scope, id);
    const dnsNamespace = new PlatformNamespace(this, 'DnsNamespace', { name: PLATFORM_NAMESPACES.dns });
    dnsNamespace.policies.allowFrom('AllowClusterDns', Peer.namespace('kube-system'), [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    // The controller is a name server of the zone (its NS record): resolvers outside the cluster ask it.
    dnsNamespace.policies.allowFrom('AllowResolvers', Peer.anyone(), [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], { name: 'allow-resolvers' });
    new DnsController(this, 'Dns', {
      zone: unit.zone,
      site: unit.site,
      namespace: dnsNamespace.namespaceName,
      zoneName: unit.traffic.zoneName,
      zoneFile: unit.traffic.zoneFile,
      source,
      address: unit.dnsVip,
    });

    const ingress = new PlatformNamespace(this, 'IngressNamespace', { name: PLATFORM_NAMESPACES.ingress });
    // Who may call the load balancer. The other datacenter's load balancer (its standby members) on the
    // peer listener, from its declared egress addresses. Public zone: any client on the listener. Core
    // zone: only this site's gatekeeper (网闸) and the zone's own callers (its gateway, its applications
    // by stable name); the gatekeeper is no longer the only barrier.
    const peerSources = unit.peerEgressCidrs ?? [unit.peerIngressVip];
    ingress.policies.allowFromEach(
      'AllowListeners',
      [
        ...(unit.zone === 'public'
          ? [{ peer: Peer.anyone(), ports: [LISTENER_PORT] }]
          : [
              { peer: Peer.addresses([unit.gatekeeper]), ports: [LISTENER_PORT] },
              { peer: Peer.namespaces([...(province.gateway ? [PLATFORM_NAMESPACES.gateway] : []), ...unit.tenants.map((t) => t.namespace)]), ports: [LISTENER_PORT] },
            ]),
        { peer: Peer.addresses(peerSources), ports: [PEER_LISTENER_PORT] },
      ],
      { name: 'allow-listeners' },
    );
    // The load balancer reaches the applications on their own HTTP ports (the catalog's), nothing else.
    const applicationPorts = (namespace?: string) =>
      [...new Set(unit.applications.filter((app) => namespace === undefined || app.namespace === namespace).map((app) => app.catalog.port))].sort((a, b) => a - b);
    // An empty port list in a NetworkPolicy rule admits every port: a unit without applications gets no rule.
    const unitApplicationPorts = applicationPorts();
    if (unitApplicationPorts.length > 0) ingress.policies.allowTo('AllowToApplications', Peer.labelledNamespaces('hsa.gov.cn/tenant-kind'), unitApplicationPorts, { name: 'allow-to-applications' });
    ingress.policies.allowTo('AllowToPeerSite', Peer.addresses([unit.peerIngressVip]), [SERVICE_PORTS.peer], { name: 'allow-to-peer-load-balancer' });
    const loadBalancer = unit.traffic.loadBalancer;
    new SiteLoadBalancer(this, 'LoadBalancer', {
      zone: unit.zone,
      site: loadBalancer.site,
      address: loadBalancer.address,
      serverBlock: renderNginxConfig(loadBalancer),
      namespace: ingress.namespaceName,
      source,
    });

    if (province.gateway && unit.traffic.gateway) {
      const gateway = new PlatformNamespace(this, 'GatewayNamespace', { name: PLATFORM_NAMESPACES.gateway });
      gateway.policies.allowFrom('AllowFromLoadBalancer', Peer.namespace(PLATFORM_NAMESPACES.ingress), [GATEWAY_PROXY_PORT]);
      const scraped = monitoredPorts(unit, PLATFORM_NAMESPACES.gateway).monitoringPorts;
      if (scraped) gateway.policies.allowFrom('AllowMonitoring', Peer.namespace(PLATFORM_NAMESPACES.monitoring), scraped, { name: 'allow-from-monitoring' });
      ingress.policies.allowTo('AllowToGateway', Peer.namespace(PLATFORM_NAMESPACES.gateway), [GATEWAY_PROXY_PORT]);
      if (unit.zone === 'public') {
        // The only way out of the public zone towards the core zone: this site's gatekeeper (网闸).
        gateway.policies.allowTo('AllowToGatekeeper', Peer.addresses([unit.gatekeeper]), [province.gateway.gatekeeperPort ?? DEFAULT_GATEKEEPER_PORT], { name: 'allow-to-gatekeeper' });
      } else {
        // Behind the gatekeeper: to the applications, by stable name, at the core zone's load balancers.
        gateway.policies.allowTo('AllowToLoadBalancers', Peer.addresses([unit.ingressVip, unit.peerIngressVip]), [SERVICE_PORTS.http], { name: 'allow-to-load-balancers' });
      }
      new ServiceGateway(this, 'Gateway', {
        zone: unit.zone,
        site: unit.site,
        declarativeConfig: unit.traffic.gateway,
        ...(province.gateway.linkSecret ? { linkSecret: province.gateway.linkSecret } : {}),
        institutions: unit.zone === 'public' ? province.gateway.institutions : [],
        namespace: gateway.namespaceName,
        source,
      });
    }
    // Each project's applications admit the load balancer on their own ports.
    for (const tenant of unit.tenants) {
      const ports = applicationPorts(tenant.namespace);
      if (tenant.kind === 'project' && ports.length > 0) tenants.get(tenant.namespace, 'the load balancer').allowFrom('AllowFromLoadBalancer', Peer.namespace(PLATFORM_NAMESPACES.ingress), ports);
    }
  }
}
