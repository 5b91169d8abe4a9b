/**
 * Declarative configuration of the service gateway (服务网关), Kong in DB-less mode.
 *
 * Why Kong: its declarative file is checked offline by Kong's own tool, decK (Debian package `deck`,
 * `deck validate`), against the schema of Kong's entities; the tests do exactly that.
 *
 * Public zone, site S: institutions authenticate (key or JWT), are rate limited and address-filtered per
 * consumer, may call only their routes (ACL), and every route forwards to site S's gatekeeper (网闸).
 * Core zone, site S: accepts only the gatekeeper's core-side address of site S, presenting the public
 * gateways' link key, at most the sum of the institutions' rates, and routes to the applications by
 * stable name. Circuit breaking is the upstreams' passive health checks (a target that
 * fails N times is taken out, then probed again); the prometheus plugin exports per-route and
 * per-consumer call statistics.
 *
 * Credentials are never in the file the toolkit writes, nor in Terraform's state: the file holds a
 * placeholder per credential ({@link credentialPlaceholder}), and the gateway's pod replaces them when it
 * starts, from the Secrets mounted read-only ({@link RENDER_CREDENTIALS_LUA}).
 */
import type { GatewaySettings } from './gateway-schema';
import type { ProvinceBasics, UnitBasics } from './platform-model';
import { serviceDnsName } from './topology';

export const DEFAULT_GATEKEEPER_PORT = 9443;
/** Consumer that requests without any valid credential become, so key and JWT can both be accepted. */
const ANONYMOUS = 'anonymous';

export type CredentialField = 'key' | 'issuer' | 'rsa-public-key';
export type CredentialRef = (institutionId: string, field: CredentialField) => string;

/** Where the gateway pod mounts each institution's Secret: `<dir>/<institution id>/<field>`. */
export const CREDENTIALS_DIR = '/credentials';
/**
 * The link between the zones: the public gateway adds this header with the link key to every request it
 * sends through the gatekeeper (after removing any the caller sent); the core gateway requires it
 * (key-auth) and removes it before the applications. The key is mounted at `<dir>/_link/key` (an id no
 * institution can have).
 */
export const LINK_HEADER = 'x-hsa-gateway-key';
export const LINK_CREDENTIAL_ID = '_link';
export const DEFAULT_LINK_SECRET = 'hsa-gateway-link';
const LINK_CONSUMER = 'public-gateway';

/** The string the declarative file holds instead of a credential, replaced inside the pod. */
export const credentialPlaceholder: CredentialRef = (institutionId, field) => `{hsa-credential://${institutionId}/${field}}`;

/**
 * Renders the gateway's declarative file inside its pod (an init container running the Kong image's
 * `resty`; plain Lua 5.1, so LuaJIT runs it as the drill does). Arguments: template, credentials
 * directory, output. Each placeholder `{hsa-credential://<id>/<field>}` (always inside a JSON string)
 * becomes the content of the file `<credentials>/<id>/<field>` (the Secret's key, mounted), escaped for
 * the string; a missing or empty one stops the pod with the Secret's mount and key named. The output is
 * written to a temporary name, then renamed.
 */
export const RENDER_CREDENTIALS_LUA = `local template_path, credentials_dir, output_path = arg[1], arg[2], arg[3]
local function read(path)
  local file = io.open(path, 'rb')
  if not file then return nil end
  local text = file:read('*a')
  file:close()
  return text
end
-- Inside a JSON string that is also a YAML double-quoted scalar (Kong reads kong.yml as YAML): only
-- the escapes both share, never "\\/".
local ESCAPES = { ['"'] = '\\\\"', ['\\\\'] = '\\\\\\\\', ['\\n'] = '\\\\n', ['\\r'] = '\\\\r', ['\\t'] = '\\\\t' }
local function escaped(value)
  local text = value:gsub('[%c"\\\\]', function(c) return ESCAPES[c] or string.format('\\\\u%04x', c:byte()) end)
  return text
end
local template = read(template_path)
if not template then
  io.stderr:write('render-credentials: cannot read ' .. tostring(template_path) .. '\\n')
  os.exit(1)
end
local missing = {}
local rendered = template:gsub('{hsa%-credential://([a-z0-9_%-]+)/([a-z%-]+)}', function(id, field)
  local value = read(credentials_dir .. '/' .. id .. '/' .. field)
  if not value or value == '' then
    missing[#missing + 1] = id .. ': key ' .. field
    return ''
  end
  return escaped(value)
end)
if #missing > 0 then
  io.stderr:write('render-credentials: missing or empty in the mounted Secret: ' .. table.concat(missing, ', ') .. '\\n')
  os.exit(1)
end
local out = io.open(output_path .. '.tmp', 'wb')
out:write(rendered)
out:close()
assert(os.rename(output_path .. '.tmp', output_path))
`;

interface KongPlugin {
  readonly name: string;
  readonly config?: Record<string, unknown>;
}

interface KongConsumer {
  readonly username: string;
  readonly custom_id?: string;
  readonly tags?: string[];
  readonly keyauth_credentials?: { readonly key: string }[];
  readonly jwt_secrets?: { readonly key: string; readonly algorithm: 'RS256'; readonly rsa_public_key: string; readonly secret: string }[];
  readonly acls?: { readonly group: string }[];
  readonly plugins?: KongPlugin[];
}

interface KongUpstream {
  readonly name: string;
  readonly healthchecks: {
    readonly passive: { readonly unhealthy: { readonly http_failures: number; readonly tcp_failures: number; readonly timeouts: number }; readonly healthy: { readonly successes: number } };
    readonly active: { readonly http_path: string; readonly healthy: { readonly interval: number; readonly successes: number }; readonly unhealthy: { readonly interval: number; readonly http_failures: number } };
  };
  readonly targets: { readonly target: string }[];
}

interface KongService {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  readonly path?: string;
  readonly routes: { readonly name: string; readonly paths: string[]; readonly strip_path: boolean }[];
  readonly plugins: KongPlugin[];
}

export interface KongDeclarativeConfig {
  readonly _format_version: '3.0';
  readonly services: KongService[];
  readonly upstreams: KongUpstream[];
  readonly consumers: KongConsumer[];
  readonly plugins: KongPlugin[];
}

function upstream(name: string, target: string, failures: number, recoverSeconds: number, healthPath: string): KongUpstream {
  return {
    name,
    healthchecks: {
      passive: { unhealthy: { http_failures: failures, tcp_failures: failures, timeouts: failures }, healthy: { successes: 1 } },
      active: { http_path: healthPath, healthy: { interval: recoverSeconds, successes: 1 }, unhealthy: { interval: recoverSeconds, http_failures: failures } },
    },
    targets: [{ target }],
  };
}

const PROMETHEUS: KongPlugin = { name: 'prometheus', config: { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true } };

export function kongConfig(province: ProvinceBasics, unit: UnitBasics, settings: GatewaySettings, credential: CredentialRef): KongDeclarativeConfig {
  const gatekeeperPort = settings.gatekeeperPort ?? DEFAULT_GATEKEEPER_PORT;
  const routes = [...settings.routes].sort((a, b) => (a.id < b.id ? -1 : 1));
  const pathOf = (route: GatewaySettings['routes'][number]) => route.pathPrefix ?? `/api/${route.id}`;

  if (unit.zone === 'core') {
    // Behind the gatekeeper: only its core-side address of this site may call.
    return {
      _format_version: '3.0',
      services: routes.map((route) => ({
        name: route.id,
        host: route.id,
        port: 80,
        protocol: 'http',
        path: `/${route.application}`,
        routes: [{ name: route.id, paths: [pathOf(route)], strip_path: true }],
        plugins: [],
      })),
      upstreams: routes.map((route) =>
        upstream(route.id, `${serviceDnsName(route.application, 'core', province.envName, province.dnsDomain)}:80`, route.circuitBreaker?.failures ?? 5, route.circuitBreaker?.recoverSeconds ?? 30, `/${route.application}/actuator/health/readiness`),
      ),
      // Only the public gateways (their link key): the gatekeeper's address alone is not an identity.
      consumers: [{ username: LINK_CONSUMER, keyauth_credentials: [{ key: credential(LINK_CREDENTIAL_ID, 'key') }] }],
      // Behind the gatekeeper, at most what the public side admits in total: the sum of the
      // institutions' limits (per gateway node, as on the public side). A flood that reaches the core
      // side by another path through the gatekeeper is cut here.
      plugins: [
        PROMETHEUS,
        { name: 'ip-restriction', config: { allow: [`${unit.gatekeeper}/32`] } },
        { name: 'key-auth', config: { key_names: [LINK_HEADER], hide_credentials: true } },
        { name: 'rate-limiting', config: { minute: settings.institutions.reduce((sum, i) => sum + i.rateLimitPerMinute, 0), policy: 'local', limit_by: 'ip' } },
      ],
    };
  }

  const institutions = [...settings.institutions].sort((a, b) => (a.id < b.id ? -1 : 1));
  const usesKey = institutions.some((i) => i.auth === 'key');
  const usesJwt = institutions.some((i) => i.auth === 'jwt');
  const both = usesKey && usesJwt;
  const authPlugins: KongPlugin[] = [
    ...(usesKey ? [{ name: 'key-auth', config: { key_names: ['apikey'], hide_credentials: true, ...(both ? { anonymous: ANONYMOUS } : {}) } }] : []),
    ...(usesJwt ? [{ name: 'jwt', config: { claims_to_verify: ['exp'], key_claim_name: 'iss', ...(both ? { anonymous: ANONYMOUS } : {}) } }] : []),
  ];
  const consumers: KongConsumer[] = institutions.map((institution) => ({
    username: institution.id,
    custom_id: institution.id,
    tags: [institution.kind],
    ...(institution.auth === 'key'
      ? { keyauth_credentials: [{ key: credential(institution.id, 'key') }] }
      : {
          // RS256 verifies with the public key. Kong's schema still requires `secret`: it gets the
          // public key too, which is not a secret and is never used to sign.
          jwt_secrets: [{ key: credential(institution.id, 'issuer'), algorithm: 'RS256' as const, rsa_public_key: credential(institution.id, 'rsa-public-key'), secret: credential(institution.id, 'rsa-public-key') }],
        }),
    acls: [...institution.routes].sort().map((route) => ({ group: `route-${route}` })),
    plugins: [
      { name: 'rate-limiting', config: { minute: institution.rateLimitPerMinute, policy: 'local', limit_by: 'consumer' } },
      ...(institution.allow || institution.deny ? [{ name: 'ip-restriction', config: { ...(institution.allow ? { allow: institution.allow } : {}), ...(institution.deny ? { deny: institution.deny } : {}) } }] : []),
    ],
  }));
  if (both) {
    // Neither credential matched: the anonymous consumer is refused, so "key OR JWT" is still required.
    consumers.push({ username: ANONYMOUS, plugins: [{ name: 'request-termination', config: { status_code: 401, message: 'credentials required' } }] });
  }
  return {
    _format_version: '3.0',
    services: routes.map((route) => ({
      name: route.id,
      host: route.id,
      port: gatekeeperPort,
      protocol: 'https',
      routes: [{ name: route.id, paths: [pathOf(route)], strip_path: false }],
      plugins: [
        ...authPlugins,
        { name: 'acl', config: { allow: [`route-${route.id}`], hide_groups_header: true } },
        // The link key for the core gateway; a caller's own header of that name never passes.
        { name: 'request-transformer', config: { remove: { headers: [LINK_HEADER] }, add: { headers: [`${LINK_HEADER}:${credential(LINK_CREDENTIAL_ID, 'key')}`] } } },
      ],
    })),
    // Through this site's gatekeeper: site A's callers never cross site B's, and the other way round.
    upstreams: routes.map((route) => upstream(route.id, `${unit.gatekeeper}:${gatekeeperPort}`, route.circuitBreaker?.failures ?? 5, route.circuitBreaker?.recoverSeconds ?? 30, '/healthz')),
    consumers,
    plugins: [PROMETHEUS],
  };
}
