import { NOT_APPLICABLE, outcome, type JsonObject, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { asObject, list } from './pod-specs';
import { parseValuesDocument } from './visit-strings';
import { PEER_LISTENER_PORT } from '../../model/load-balancer';

/**
 * What crosses the datacenter link is encrypted and authenticated (GB/T 22239-2019 level 3, 8.1.2.2
 * communication transmission; NSA/CISA: encrypt traffic): a Kafka listener reachable from outside the
 * cluster is TLS with SCRAM or mutual-TLS authentication and the cluster authorizes by ACLs; a
 * MirrorMaker 2 source is read over TLS with a login; a Redis release listens and replicates over TLS; a
 * CloudNativePG replica cluster streams from the other site with verified TLS and a client certificate; a
 * site load balancer's listener for the other site is mutual TLS and it reaches anything outside its
 * cluster only over verified TLS with its own certificate.
 * Reads the synthesized resources only: a hand-edited output is judged as it is.
 */
function kafkaProblems(spec: JsonObject): RuleProblem[] {
  const kafka = asObject(spec.kafka) ?? {};
  const problems: RuleProblem[] = [];
  for (const listener of list(kafka.listeners)) {
    if (listener.type === 'internal') continue;
    const name = `listener "${String(listener.name)}" (${String(listener.type)}, port ${String(listener.port)})`;
    if (listener.tls !== true) problems.push({ message: `${name} is plaintext`, fix: 'set tls: true with the site certificate (configuration.brokerCertChainAndKey)' });
    if (!asObject(listener.authentication)) problems.push({ message: `${name} has no authentication`, fix: 'set authentication: { type: scram-sha-512 } (or tls)' });
  }
  if (!asObject(kafka.authorization)) problems.push({ message: 'the cluster has no authorization: every authenticated client may read and write every topic', fix: 'set spec.kafka.authorization: { type: simple } and give each KafkaUser its ACLs' });
  return problems;
}

function mirrorProblems(spec: JsonObject): RuleProblem[] {
  return list(spec.mirrors).flatMap((mirror) => {
    const source = asObject(mirror.source) ?? {};
    const name = `mirror source "${String(source.alias)}" (${String(source.bootstrapServers)})`;
    return [
      ...(asObject(source.tls) ? [] : [{ message: `${name} is read without TLS`, fix: 'set source.tls.trustedCertificates to the CA of the other site\'s listener certificate' }]),
      ...(asObject(source.authentication) ? [] : [{ message: `${name} is read without a login`, fix: 'set source.authentication (scram-sha-512 as the MirrorMaker 2 user)' }]),
    ];
  });
}

/** A CloudNativePG Cluster's replica streams from the other site's Cluster: verified TLS, logged in with a client certificate. */
function cloudNativePgProblems(spec: JsonObject): RuleProblem[] {
  return list(spec.externalClusters).flatMap((external) => {
    const parameters = asObject(external.connectionParameters);
    if (!parameters) return [];
    const name = `external cluster "${String(external.name)}" (${String(parameters.host)})`;
    return [
      ...(parameters.sslmode === 'verify-full' ? [] : [{ message: `${name} is reached with sslmode ${String(parameters.sslmode ?? 'prefer (the default)')}: not verified TLS`, fix: 'set connectionParameters.sslmode: verify-full and sslRootCert to the CA of both sites' }]),
      ...(asObject(external.sslCert) && asObject(external.sslKey) ? [] : [{ message: `${name} is reached without a client certificate`, fix: 'set sslCert and sslKey to the streaming_replica certificate Secret' }]),
    ];
  });
}

function redisProblems(values: JsonObject): RuleProblem[] {
  const tls = asObject(values.tls) ?? {};
  const problems: RuleProblem[] = [];
  if (tls.enabled !== true) problems.push({ message: 'tls.enabled is not true: clients and the other site\'s replica talk to Redis in plaintext', fix: 'set tls.enabled: true with tls.existingSecret (the site certificate)' });
  if (typeof values.commonConfiguration !== 'string' || !/^tls-replication yes$/m.test(values.commonConfiguration)) {
    problems.push({ message: 'commonConfiguration lacks "tls-replication yes": replication would not use TLS', fix: 'add tls-replication yes to commonConfiguration' });
  }
  return problems;
}

/** `{ ... }` blocks of an nginx configuration that open with `head` (e.g. `upstream x`), with their bodies. */
function nginxBlocks(text: string, head: RegExp): { name: string; body: string }[] {
  const blocks: { name: string; body: string }[] = [];
  const opener = new RegExp(`^\\s*(${head.source})\\s*\\{`, 'gm');
  for (let match = opener.exec(text); match; match = opener.exec(text)) {
    let depth = 1;
    let end = opener.lastIndex;
    for (; end < text.length && depth > 0; end++) {
      if (text[end] === '{') depth++;
      else if (text[end] === '}') depth--;
    }
    blocks.push({ name: match[1]!, body: text.slice(opener.lastIndex, end - 1) });
  }
  return blocks;
}

/** A member address that stays inside the pod or the cluster: loopback or a cluster Service name. */
const insideCluster = (address: string) => /^127\.0\.0\.1:/.test(address) || /\.svc\.cluster\.local(:\d+)?$/.test(address);

/**
 * The site load balancer's nginx configuration (values.serverBlock): the listener for the other site is
 * TLS and asks for a client certificate; every `proxy_pass` to an upstream with a member outside the
 * cluster is https with the peer certificate verified and this site's certificate presented.
 */
function loadBalancerProblems(values: JsonObject): RuleProblem[] {
  const text = typeof values.serverBlock === 'string' ? values.serverBlock : undefined;
  if (text === undefined) return [{ message: 'the load balancer has no serverBlock: what crosses to the other site cannot be checked', fix: 'render the configuration with renderNginxConfig (model/load-balancer.ts)' }];
  const problems: RuleProblem[] = [];
  const upstreams = new Map(nginxBlocks(text, /upstream\s+\S+/).map((b) => [b.name.replace(/^upstream\s+/, ''), [...b.body.matchAll(/^\s*server\s+(\S+?);?(\s|$)/gm)].map((m) => m[1]!)]));
  for (const server of nginxBlocks(text, /server/)) {
    for (const listen of server.body.matchAll(/^\s*listen\s+([^;]+);/gm)) {
      const words = listen[1]!.trim().split(/\s+/);
      if (!new RegExp(`(^|:)${PEER_LISTENER_PORT}$`).test(words[0]!)) continue;
      if (!words.includes('ssl')) problems.push({ message: `listener ${words[0]} for the other site is plaintext`, fix: `listen ${PEER_LISTENER_PORT} ssl with the site certificate (ssl_certificate, ssl_certificate_key)` });
      if (!/^\s*ssl_verify_client\s+on;/m.test(server.body)) problems.push({ message: `listener ${words[0]} for the other site asks for no client certificate: anyone reaching the address is served`, fix: 'set ssl_client_certificate to the sites\' CA and ssl_verify_client on' });
    }
    for (const location of nginxBlocks(server.body, /location\s+[^{]+/)) {
      const pass = /^\s*proxy_pass\s+(https?):\/\/([^/;\s]+)/m.exec(location.body);
      if (!pass) continue;
      const members = upstreams.get(pass[2]!) ?? [pass[2]!];
      const outside = members.filter((m) => !insideCluster(m));
      if (outside.length === 0) continue;
      const where = `${location.name.trim()} -> ${pass[1]}://${pass[2]} (${outside.join(', ')})`;
      if (pass[1] === 'http') problems.push({ message: `${where} is plaintext to an address outside the cluster`, fix: 'reach the other site over TLS: proxy_pass https:// with proxy_ssl_verify on (the hop of renderNginxConfig)' });
      else {
        if (!/^\s*proxy_ssl_verify\s+on;/m.test(location.body)) problems.push({ message: `${where} does not verify the other site's certificate`, fix: 'set proxy_ssl_verify on, proxy_ssl_trusted_certificate and proxy_ssl_name' });
        if (!/^\s*proxy_ssl_certificate\s+\S+;/m.test(location.body)) problems.push({ message: `${where} presents no client certificate: the other site's listener refuses it`, fix: 'set proxy_ssl_certificate and proxy_ssl_certificate_key to the site certificate' });
      }
    }
  }
  return problems;
}

export const secCrossSiteEncrypted: ResourceRuleDefinition = {
  id: 'SEC-CrossSiteEncrypted',
  description: 'Kafka listeners outside the cluster, MirrorMaker 2 sources, Redis and CloudNativePG replication, and the link between the site load balancers are TLS with authentication (GB/T 22239-2019 8.1.2.2)',
  check(subject) {
    const manifest = subject.type === 'kubernetes_manifest' ? asObject(subject.config.manifest) : undefined;
    if (manifest) {
      const spec = asObject(manifest.spec) ?? {};
      if (manifest.kind === 'Kafka') return outcome(kafkaProblems(spec));
      if (manifest.kind === 'KafkaMirrorMaker2') return outcome(mirrorProblems(spec));
      if (manifest.kind === 'Cluster' && String(manifest.apiVersion).startsWith('postgresql.cnpg.io/')) return outcome(cloudNativePgProblems(spec));
      return NOT_APPLICABLE;
    }
    if (subject.type === 'helm_release' && subject.config.chart === 'nginx') {
      const texts = Array.isArray(subject.config.values) ? subject.config.values : [];
      const values = texts.flatMap((text) => (typeof text === 'string' ? [asObject(parseValuesDocument(text))].filter((v): v is JsonObject => v !== undefined) : []));
      const withBlock = values.filter((v) => v.serverBlock !== undefined);
      return outcome(withBlock.length === 0 ? loadBalancerProblems({}) : withBlock.flatMap(loadBalancerProblems));
    }
    if (subject.type === 'helm_release' && subject.config.chart === 'redis') {
      const texts = Array.isArray(subject.config.values) ? subject.config.values : [];
      // Values the rule cannot read (not JSON, e.g. hand-written YAML) cannot show TLS: a finding, not a crash.
      const unreadable = texts.flatMap((text, i) => (typeof text === 'string' && asObject(parseValuesDocument(text)) === undefined ? [{ message: `values[${i}] is neither JSON nor YAML: TLS cannot be checked`, fix: 'write the values as a JSON or YAML mapping, with tls.enabled: true' }] : []));
      const values = texts.flatMap((text) => (typeof text === 'string' ? [asObject(parseValuesDocument(text))].filter((v): v is JsonObject => v !== undefined) : []));
      if (unreadable.length > 0) return outcome(unreadable);
      return outcome(values.length === 0 ? [{ message: 'the Redis release has no values: the chart default is plaintext', fix: 'set tls.enabled: true' }] : values.flatMap(redisProblems));
    }
    return NOT_APPLICABLE;
  },
};
