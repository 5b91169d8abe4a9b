import { SITES, stackName } from '../../model/topology';
import { outcome, type JsonObject, type ProvinceRuleDefinition, type RuleProblem } from '../types';

/**
 * GB/T 22240-2020 level 3 (等保三级), network zoning: the public service zone and the core business zone
 * run in separate clusters, and public-zone applications are not configured with any core-zone address:
 * the only crossing is the service gateway through the gatekeeper (网闸).
 */
export const zoneSeparated: ProvinceRuleDefinition = {
  id: 'ZONE-Separated',
  description: 'public and core zones are separate clusters; public-zone applications reach the core zone only through the service gateway (GB/T 22240 level 3)',
  check({ model, stacks }) {
    const problems: RuleProblem[] = [];
    for (const site of SITES) {
      const publicUnit = model.units.find((u) => u.zone === 'public' && u.site === site)!;
      const coreUnit = model.units.find((u) => u.zone === 'core' && u.site === site)!;
      if (JSON.stringify(publicUnit.cluster) === JSON.stringify(coreUnit.cluster)) {
        problems.push({
          stack: publicUnit.stackName,
          path: publicUnit.stackName,
          message: `the public and core zones of site ${site} use the same cluster (${JSON.stringify(publicUnit.cluster)})`,
          fix: 'give each zone its own cluster: sites.<site>.zones.public.cluster and .core.cluster must differ',
        });
      }
      if (publicUnit.gatekeeper === coreUnit.gatekeeper && publicUnit.ingressVip === coreUnit.ingressVip) {
        problems.push({ stack: publicUnit.stackName, path: publicUnit.stackName, message: `the zones of site ${site} share their addresses`, fix: 'declare each zone\'s own ingress VIP and gatekeeper side' });
      }
      const coreSuffix = `.core.${model.envName}.${model.dnsDomain}`;
      const stack = stacks.get(stackName(model.envName, 'public', site));
      for (const [name, body] of Object.entries(stack?.resource?.kubernetes_config_map_v1 ?? {})) {
        const data = (body.data ?? {}) as JsonObject;
        for (const [key, value] of Object.entries(data)) {
          if (typeof value === 'string' && value.includes(coreSuffix)) {
            problems.push({
              stack: publicUnit.stackName,
              path: `kubernetes_config_map_v1.${name}`,
              message: `${key} = "${value}" points a public-zone application straight at the core zone`,
              fix: 'call core-zone services through the service gateway (服务网关) route, never directly',
            });
          }
        }
      }
    }
    return outcome(problems);
  },
};
