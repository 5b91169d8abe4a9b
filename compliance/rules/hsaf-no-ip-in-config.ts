import { containsIpLiteral } from '../../model/ip-literal';
import { NOT_APPLICABLE, outcome, type JsonObject, type ResourceRuleDefinition, type ResourceSubject } from '../types';

/**
 * The data of an application's configuration ConfigMap (the toolkit marks it with HSA_APPLICATION);
 * undefined for anything else: middleware's own files, such as FastDFS's storage ids, name the
 * datacenter addresses on purpose.
 */
export function applicationConfigOf(subject: ResourceSubject): JsonObject | undefined {
  if (!/^kubernetes_config_map(_v1)?$/.test(subject.type)) return undefined;
  const data = subject.config.data;
  return data && typeof data === 'object' && !Array.isArray(data) && typeof data.HSA_APPLICATION === 'string' ? data : undefined;
}

/** HSAF: application configuration names services by stable DNS name, never by IP address. */
export const hsafNoIpInConfig: ResourceRuleDefinition = {
  id: 'HSAF-NoIpInConfig',
  description: 'application configuration has no IP address: services are reached by stable DNS name, so a switchover changes records, not configuration',
  check(subject) {
    const data = applicationConfigOf(subject);
    if (!data) return NOT_APPLICABLE;
    return outcome(
      Object.entries(data)
        .filter(([, value]) => typeof value === 'string' && containsIpLiteral(value))
        .map(([key, value]) => ({ message: `${key} = "${String(value)}" contains an IP address`, fix: 'use the stable DNS name of the service (<service>.<zone>.<env>.<dnsDomain>)' })),
    );
  },
};
