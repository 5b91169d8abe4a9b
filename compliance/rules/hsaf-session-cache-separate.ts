import { NOT_APPLICABLE, outcome, type JsonObject, type ProvinceRuleDefinition, type RuleProblem } from '../types';

/**
 * HSAF (医疗保障信息平台应用系统技术架构规范) 6.2.3: shared sessions live on their own cache servers,
 * separate from the business cache.
 */
export const hsafSessionCacheSeparate: ProvinceRuleDefinition = {
  id: 'HSAF-SessionCacheSeparate',
  description: 'shared sessions use their own Redis, separate from the business cache (HSAF 6.2.3)',
  check({ model, stacks }) {
    const problems: RuleProblem[] = [];
    let applicable = false;
    for (const unit of model.units) {
      if (!unit.middleware.includes('redis-session')) continue;
      applicable = true;
      const session = unit.middlewareVips['redis-session'];
      if (session !== undefined && session === unit.middlewareVips['redis-cache']) {
        problems.push({
          stack: unit.stackName,
          path: `sites.${unit.site}.zones.${unit.zone}.middlewareVips`,
          message: `redis-session and redis-cache share the address ${session}`,
          fix: 'give the session Redis its own servers and address',
        });
      }
      const stack = stacks.get(unit.stackName);
      for (const [name, body] of Object.entries(stack?.resource?.kubernetes_config_map_v1 ?? {})) {
        const data = (body.data ?? {}) as JsonObject;
        if (data.REDIS_SESSION_HOST !== undefined && data.REDIS_SESSION_HOST === data.REDIS_CACHE_HOST) {
          problems.push({ stack: unit.stackName, path: `kubernetes_config_map_v1.${name}`, message: 'REDIS_SESSION_HOST equals REDIS_CACHE_HOST', fix: 'point sessions at the redis-session name' });
        }
      }
    }
    return applicable ? outcome(problems) : NOT_APPLICABLE;
  },
};
