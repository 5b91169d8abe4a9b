import { NOT_APPLICABLE, outcome, type JsonObject, type ResourceRule, type RuleProblem } from '../types';

/**
 * What crosses the datacenter link is encrypted and authenticated (GB/T 22239-2019 level 3, 8.1.2.2
 * communication transmission; NSA/CISA: encrypt traffic): a Kafka listener reachable from outside the
 * cluster is TLS with SCRAM or mutual-TLS authentication and the cluster authorizes by ACLs; a
 * MirrorMaker 2 source is read over TLS with a login; a Redis release listens and replicates over TLS.
 * Reads the synthesized resources only: a hand-edited output is judged as it is.
 */
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const objects = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

function kafkaProblems(spec: JsonObject): RuleProblem[] {
  const kafka = isObject(spec.kafka) ? spec.kafka : {};
  const problems: RuleProblem[] = [];
  for (const listener of objects(kafka.listeners)) {
    if (listener.type === 'internal') continue;
    const name = `listener "${String(listener.name)}" (${String(listener.type)}, port ${String(listener.port)})`;
    if (listener.tls !== true) problems.push({ message: `${name} is plaintext`, fix: 'set tls: true with the site certificate (configuration.brokerCertChainAndKey)' });
    if (!isObject(listener.authentication)) problems.push({ message: `${name} has no authentication`, fix: 'set authentication: { type: scram-sha-512 } (or tls)' });
  }
  if (!isObject(kafka.authorization)) problems.push({ message: 'the cluster has no authorization: every authenticated client may read and write every topic', fix: 'set spec.kafka.authorization: { type: simple } and give each KafkaUser its ACLs' });
  return problems;
}

function mirrorProblems(spec: JsonObject): RuleProblem[] {
  return objects(spec.mirrors).flatMap((mirror) => {
    const source = isObject(mirror.source) ? mirror.source : {};
    const name = `mirror source "${String(source.alias)}" (${String(source.bootstrapServers)})`;
    return [
      ...(isObject(source.tls) ? [] : [{ message: `${name} is read without TLS`, fix: 'set source.tls.trustedCertificates to the CA of the other site\'s listener certificate' }]),
      ...(isObject(source.authentication) ? [] : [{ message: `${name} is read without a login`, fix: 'set source.authentication (scram-sha-512 as the MirrorMaker 2 user)' }]),
    ];
  });
}

function redisProblems(values: JsonObject): RuleProblem[] {
  const tls = isObject(values.tls) ? values.tls : {};
  const problems: RuleProblem[] = [];
  if (tls.enabled !== true) problems.push({ message: 'tls.enabled is not true: clients and the other site\'s replica talk to Redis in plaintext', fix: 'set tls.enabled: true with tls.existingSecret (the site certificate)' });
  if (typeof values.commonConfiguration !== 'string' || !/^tls-replication yes$/m.test(values.commonConfiguration)) {
    problems.push({ message: 'commonConfiguration lacks "tls-replication yes": replication would not use TLS', fix: 'add tls-replication yes to commonConfiguration' });
  }
  return problems;
}

export const secCrossSiteEncrypted: ResourceRule = {
  id: 'SEC-CrossSiteEncrypted',
  severity: 'error',
  description: 'Kafka listeners outside the cluster, MirrorMaker 2 sources and Redis are TLS with authentication (GB/T 22239-2019 8.1.2.2)',
  check(subject) {
    if (subject.type === 'kubernetes_manifest' && isObject(subject.config.manifest)) {
      const manifest = subject.config.manifest;
      const spec = isObject(manifest.spec) ? manifest.spec : {};
      if (manifest.kind === 'Kafka') return outcome(kafkaProblems(spec));
      if (manifest.kind === 'KafkaMirrorMaker2') return outcome(mirrorProblems(spec));
      return NOT_APPLICABLE;
    }
    if (subject.type === 'helm_release' && subject.config.chart === 'redis') {
      const values = objects((Array.isArray(subject.config.values) ? subject.config.values : []).map((text) => (typeof text === 'string' ? (JSON.parse(text) as unknown) : text)));
      return outcome(values.length === 0 ? [{ message: 'the Redis release has no values: the chart default is plaintext', fix: 'set tls.enabled: true' }] : values.flatMap(redisProblems));
    }
    return NOT_APPLICABLE;
  },
};
