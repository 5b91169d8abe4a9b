import { z } from 'zod';

const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { message: 'expected an IPv4 CIDR such as "10.8.0.0/16"' });
const id = z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, { message: 'expected lowercase letters, digits and "-"' });

/**
 * `gateway`: the service gateway (服务网关), the only path from the public zone to the core zone.
 * Each connected institution (定点医疗机构, 定点药店, 合作银行...) is a consumer with its own
 * credentials, kept in an existing Kubernetes Secret in namespace `hsa-gateway` of the public zone's
 * clusters: key `key` for key authentication; keys `issuer` and `rsa-public-key` for JWT (RS256).
 */
export const gatewaySchema = z.strictObject({
  /** Port the gatekeeper (网闸) listens on for the gateway path, at both sites. @default 9443 */
  gatekeeperPort: z.number().int().min(1).max(65535).optional(),
  /**
   * Existing Secret (key `key`) in the gateway namespace of both zones' clusters at both sites: the key
   * the public gateways present to the core gateways through the gatekeeper (header x-hsa-gateway-key).
   * Never the key itself. @default "hsa-gateway-link"
   */
  linkSecret: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' }).optional(),
  routes: z
    .array(
      z.strictObject({
        id,
        /** Core-zone application the route reaches (catalog id). */
        application: z.string().min(1),
        /** @default "/api/<id>" */
        pathPrefix: z.string().regex(/^\/[a-z0-9/_-]+$/, { message: 'expected a path such as "/api/settlement"' }).optional(),
        /** Circuit breaking: failures that take a target out, and seconds before it is tried again. @default 5 failures, 30 s */
        circuitBreaker: z.strictObject({ failures: z.number().int().min(1).max(100), recoverSeconds: z.number().int().min(1).max(3600) }).optional(),
      }),
    )
    .min(1),
  institutions: z.array(
    z.strictObject({
      id,
      name: z.string().min(1),
      kind: z.enum(['hospital', 'pharmacy', 'bank', 'other']),
      auth: z.enum(['key', 'jwt']),
      /** Existing Secret holding the credential (never the credential itself). */
      credentialSecret: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { message: 'expected the name of a Kubernetes Secret' }),
      rateLimitPerMinute: z.number().int().min(1).max(1_000_000),
      /** Source addresses allowed; none = any. */
      allow: z.array(cidr).optional(),
      deny: z.array(cidr).optional(),
      /** Route ids the institution may call. */
      routes: z.array(id).min(1),
    }),
  ),
});

export type GatewaySettings = z.infer<typeof gatewaySchema>;
