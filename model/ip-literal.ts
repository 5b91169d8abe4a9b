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
