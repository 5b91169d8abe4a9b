/**
 * Whether a text holds an IP address: application configuration names services by stable DNS name, so a
 * switchover changes DNS records, not configuration (HSAF). Used by the environment schema and by the
 * HSAF-NoIpInConfig rule on the synthesized output, so both refuse the same texts.
 */
import { isIPv6 } from 'node:net';

/** A dotted quad inside a longer text (not part of a longer run of digits and dots, such as a version). */
const IPV4_INSIDE = /(^|[^\d.])(\d{1,3}\.){3}\d{1,3}($|[^\d.])/;
/** A run of hex digits, colons and dots with at least two colons, not glued to a word (`Foo::bar`). */
const IPV6_CANDIDATE = /(?<![\w:.])\[?([0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\]?(?![\w:])/g;

/** True when `text` holds an IPv4 address or an IPv6 address (Node's own parser decides the latter). */
export function containsIpLiteral(text: string): boolean {
  if (IPV4_INSIDE.test(text)) return true;
  for (const match of text.matchAll(IPV6_CANDIDATE)) if (isIPv6(match[1]!)) return true;
  return false;
}

/** The IPv4 address as a 32-bit unsigned number. */
function ipv4Number(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Whether an IPv4 address lies in a CIDR (`10.10.0.0/16`). */
export function ipv4InCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = ipv4Number(base) - (ipv4Number(base) % size);
  const n = ipv4Number(address);
  return n >= start && n < start + size;
}

/** Whether two IPv4 CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return ipv4InCidr(a.split('/')[0]!, b) || ipv4InCidr(b.split('/')[0]!, a);
}
