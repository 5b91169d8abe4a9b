import { toolkitMonitors } from '../../model/monitoring-plan';
import { registeredKindsAt, unitAlertRules } from '../../model/observability';
import { annotationsOf } from '../dr-facts';
import { outcome, type ProvinceRuleDefinition, type RuleProblem } from '../types';

/**
 * Every DR pair and every backup the output deploys has alerts at its site (#27): a replication link
 * down, a standby behind, a split brain or a missed daily backup (GB/T 20988) must reach someone. Read
 * from the output: the monitoring release's annotation lists what its rules alert on; a province that
 * runs its own monitoring (`observability.stack: own`) is checked against the rules `npm run alerts`
 * writes for it.
 */
export const obsEveryPairAlerted: ProvinceRuleDefinition = {
  id: 'OBS-EveryPairAlerted',
  description: 'every DR pair and every backup has alerts at its site, routed to a receiver (GB/T 20988 daily backup; #27)',
  check({ model, stacks }) {
    const problems: RuleProblem[] = [];
    for (const unit of model.units) {
      const stack = stacks.get(unit.stackName);
      if (!stack) continue;
      const found = annotationsOf(stack);
      // The toolkit's kinds annotate their resources; a project's registered kinds are read from the plan,
      // and so is a business database outside the clusters (it leaves no resource of its own).
      const pairs = [
        ...found.flatMap(({ annotation }) => (annotation.component === 'dr-pair' ? [`${annotation.role}@${annotation.zone}`] : [])),
        ...(unit.middlewarePlan.database ? [`database@${unit.zone}`] : []),
        ...registeredKindsAt(unit).map(({ name }) => `${name}@${unit.zone}`),
      ];
      const backups = found.flatMap(({ annotation }) => (annotation.component === 'backup' ? [`velero@${annotation.zone}-${annotation.site.toLowerCase()}`] : []));
      if (pairs.length + backups.length === 0) continue;
      if (!model.observability) {
        problems.push({ stack: unit.stackName, path: 'observability', message: `${[...pairs, ...backups].join(', ')} alert nobody: the environment declares no observability.receivers`, fix: 'declare observability.receivers in the environment file (docs/observability.md)' });
        continue;
      }
      const alerted = toolkitMonitors(model.observability) ? alertedInOutput(found) : alertedByRules(model, unit);
      for (const pair of [...new Set(pairs)].filter((p) => !alerted.pairs.includes(p))) {
        problems.push({ stack: unit.stackName, path: `Platform/Monitoring (${pair})`, message: `the DR pair ${pair} at site ${unit.site} has no alert`, fix: `give its kind alerts in pairs/<kind>/<kind>-monitoring.ts (docs/observability.md lists the kinds still without)` });
      }
      for (const backup of backups.filter((b) => !alerted.backups.includes(b))) {
        problems.push({ stack: unit.stackName, path: `Platform/Monitoring (${backup})`, message: `the backup ${backup} has no alert`, fix: 'the backup alerts come with the monitoring: declare observability in the environment' });
      }
    }
    return outcome(problems);
  },
};

function alertedInOutput(found: ReturnType<typeof annotationsOf>): { pairs: readonly string[]; backups: readonly string[] } {
  const monitoring = found.find(({ annotation }) => annotation.component === 'monitoring')?.annotation;
  return monitoring?.component === 'monitoring' ? monitoring.alerted : { pairs: [], backups: [] };
}

function alertedByRules(model: Parameters<typeof unitAlertRules>[0], unit: Parameters<typeof unitAlertRules>[1]): { pairs: string[]; backups: string[] } {
  const rules = unitAlertRules(model, unit).flatMap((group) => group.rules);
  return { pairs: rules.flatMap((rule) => (rule.labels.hsa_pair ? [rule.labels.hsa_pair] : [])), backups: rules.flatMap((rule) => (rule.labels.hsa_backup ? [rule.labels.hsa_backup] : [])) };
}
