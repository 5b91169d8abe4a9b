import { NOT_APPLICABLE, outcome, type ResourceRuleDefinition } from '../types';
import { applicationConfigOf } from './hsaf-no-ip-in-config';

/** Stable names, in the platform's DNS zone, are how applications reach middleware (HSAF; DNS控制器). */
const ADDRESS_KEY = /(_HOST|_ADDR|_ADDRESSES|_SERVERS|_SERVER|_URL)$/;

/** HSAF: every middleware address in application configuration is a name in the platform's DNS zone. */
export function hsafMiddlewareByName(platformDomains: readonly string[]): ResourceRuleDefinition {
  return {
    id: 'HSAF-MiddlewareByName',
    description: 'every middleware address in application configuration is a stable name in the platform DNS zone',
    check(subject) {
      const data = applicationConfigOf(subject);
      if (!data) return NOT_APPLICABLE;
      return outcome(
        Object.entries(data)
          .filter(([key, value]) => ADDRESS_KEY.test(key) && typeof value === 'string' && /^(REDIS|KAFKA|FASTDFS|NACOS|XXL_JOB|LOG|DB)_/.test(key))
          .filter(([, value]) => !platformDomains.some((domain) => hostOf(String(value)).endsWith(`.${domain}`)))
          .map(([key, value]) => ({ message: `${key} = "${String(value)}" is not a name in the platform DNS zone`, fix: 'address middleware by its stable name <role>.<zone>.<env>.<dnsDomain>' })),
      );
    },
  };
}

function hostOf(address: string): string {
  return address.replace(/^[a-z]+:\/\//, '').split('/')[0]!.split(':')[0]!;
}
