/**
 * The DNS controller's zone (DNS控制器): every middleware and application of a security zone has one
 * stable name, `<service>.<zone>.<env>.<dnsDomain>`, answered with the active datacenter's address.
 * The same zone data is served in both datacenters' clusters, so a switchover changes records only,
 * never application configuration. Standard RFC 1035 master-file text: any DNS server can check it.
 */
import { createHash } from 'node:crypto';
import type { ProvinceBasics } from './platform-model';
import type { Zone } from './topology';

/** Short TTL so clients follow a switchover within half a minute (as k8gb does). */
export const RECORD_TTL_SECONDS = 30;

export interface DnsRecord {
  /** Fully qualified, without the trailing dot. */
  readonly name: string;
  readonly type: 'A';
  readonly address: string;
  /** What the name stands for, written as a comment. */
  readonly comment: string;
}

export function platformZoneName(province: Pick<ProvinceBasics, 'envName' | 'dnsDomain'>, zone: Zone): string {
  return `${zone}.${province.envName}.${province.dnsDomain}`;
}

/** The records of one security zone, answered with the active site's addresses, sorted by name. */
export function zoneRecords(province: ProvinceBasics, zone: Zone): DnsRecord[] {
  const active = province.units.find((u) => u.zone === zone && u.active)!;
  const origin = platformZoneName(province, zone);
  const records: DnsRecord[] = [];
  for (const role of active.middleware) {
    const address = active.middlewareVips[role];
    if (address) records.push({ name: `${role}.${origin}`, type: 'A', address, comment: `${role} at site ${active.site}` });
  }
  for (const app of active.applications) {
    records.push({ name: `${app.name}.${origin}`, type: 'A', address: active.ingressVip, comment: `${app.catalog.nameZh} via the site ${active.site} load balancer` });
  }
  records.push({ name: `gateway.${origin}`, type: 'A', address: active.ingressVip, comment: `service gateway (服务网关) at site ${active.site}` });
  return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The zone file. The SOA serial is derived from the records (not the clock), so the same input always
 * gives the same file and any change of records gives a new serial, which makes CoreDNS reload it.
 */
export function renderZoneFile(province: ProvinceBasics, zone: Zone): string {
  const origin = platformZoneName(province, zone);
  const records = zoneRecords(province, zone);
  const body = records.map((r) => `${relative(r.name, origin).padEnd(28)} IN ${r.type.padEnd(5)} ${r.address.padEnd(15)} ; ${r.comment}`);
  const serial = (parseInt(createHash('sha256').update(body.join('\n')).digest('hex').slice(0, 8), 16) % 2_000_000_000) + 1;
  // Both datacenters' DNS controllers serve this zone: each is a name server of it.
  const controllers = province.units.filter((u) => u.zone === zone).map((u) => ({ name: `ns-${u.site.toLowerCase()}`, unit: u }));
  const primary = controllers.find((c) => c.unit.active)!;
  return [
    `; ${origin}: stable names of the ${zone} zone, answered with the active site (${province.activeSite})`,
    `$ORIGIN ${origin}.`,
    `$TTL ${RECORD_TTL_SECONDS}`,
    `@ IN SOA ${primary.name}.${origin}. hostmaster.${origin}. ( ${serial} 300 60 86400 ${RECORD_TTL_SECONDS} )`,
    ...controllers.map((c) => `@ IN NS ${c.name}.${origin}.`),
    ...controllers.map((c) => `${c.name.padEnd(28)} IN A     ${c.unit.dnsVip.padEnd(15)} ; DNS controller (DNS控制器) of site ${c.unit.site}`),
    ...body,
    '',
  ].join('\n');
}

function relative(name: string, origin: string): string {
  return name.slice(0, -(origin.length + 1));
}
