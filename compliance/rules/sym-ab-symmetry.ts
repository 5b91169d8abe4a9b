import { abDifferences } from '../../synthesized/ab-differences';
import { outcome, type ProvinceRuleDefinition } from '../types';

/**
 * A/B symmetry (应用版本同步 / 项目信息同步): the same applications, versions and configuration in both
 * datacenters, except fields declared site-specific. Checks the business applications and tenancy, where
 * nothing but capacity may differ; DR roles of middleware differ by design and are left to the DR rules.
 */
export const symABSymmetry: ProvinceRuleDefinition = {
  id: 'SYM-ABSymmetry',
  description: 'both datacenters run the same applications, versions and configuration except declared site-specific fields',
  check({ model, stacks }) {
    return outcome(abDifferences(model.envName, stacks));
  },
};
