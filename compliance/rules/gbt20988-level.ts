import { outcome, type ProvinceRuleDefinition } from '../types';

/** GB/T 20988: the province reaches its required DR level (medical insurance: level 5 or higher). */
export const gbt20988Level: ProvinceRuleDefinition = {
  id: 'GBT20988-Level',
  description: 'the province reaches its required GB/T 20988 disaster-recovery level (default 5)',
  check({ model, drLevel: report }) {
    if (report.achievedLevel >= report.requiredLevel) return outcome([]);
    const missing = report.elements.filter((e) => e.level <= report.requiredLevel && !e.met);
    return outcome(
      missing.map((e) => ({
        stack: model.envName,
        path: `GB/T 20988 level ${e.level}: ${e.nameZh}`,
        message: `reaches level ${report.achievedLevel} of the required ${report.requiredLevel}: ${e.description} is not met (${e.evidence})`,
        fix: `meet "${e.nameZh}" (${e.id})`,
      })),
    );
  },
};
