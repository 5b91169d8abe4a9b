import { NOT_APPLICABLE, outcome, type JsonObject, type ResourceRuleDefinition, type RuleProblem } from '../types';
import { asObject, list } from './pod-specs';
import { parseValuesDocument } from './visit-strings';

/**
 * What crosses the datacenter link is encrypted and authenticated (GB/T 22239-2019 level 3, 8.1.2.2
 * communication transmission; NSA/CISA: encrypt traffic): a Kafka listener reachable from outside the
 * cluster is TLS with SCRAM or mutual-TLS authentication and the cluster authorizes by ACLs; a
 * MirrorMaker 2 source is read over TLS with a login; a Redis release listens and replicates over TLS; a
 * CloudNativePG replica cluster streams from the other site with verified TLS and a client certificate.
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

export const secCrossSiteEncrypted: ResourceRuleDefinition = {
  id: 'SEC-CrossSiteEncrypted',
  description: 'Kafka listeners outside the cluster, MirrorMaker 2 sources, Redis and CloudNativePG replication are TLS with authentication (GB/T 22239-2019 8.1.2.2)',
  check(subject) {
    const manifest = subject.type === 'kubernetes_manifest' ? asObject(subject.config.manifest) : undefined;
    if (manifest) {
      const spec = asObject(manifest.spec) ?? {};
      if (manifest.kind === 'Kafka') return outcome(kafkaProblems(spec));
      if (manifest.kind === 'KafkaMirrorMaker2') return outcome(mirrorProblems(spec));
      if (manifest.kind === 'Cluster' && String(manifest.apiVersion).startsWith('postgresql.cnpg.io/')) return outcome(cloudNativePgProblems(spec));
      return NOT_APPLICABLE;
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
