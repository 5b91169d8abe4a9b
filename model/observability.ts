/**
 * The alert rules of a province, per unit: each kind's (pairs/<kind>/<kind>-alerts.ts) and the backups'.
 * A kind without alerts yet is listed in ALERTLESS_PAIR_KINDS, so the gap is named, not hidden.
 */
import { backupAlerts, alertContext, renderRuleFile, type AlertRuleGroup } from './alert-rules';
import type { DeploymentUnit, ProvinceModel } from './platform-model';
import { redisAlerts } from '../pairs/redis/redis-alerts';

/** Kinds of DR pair whose alerts are not generated yet (#27): their pairs are watched by nothing here. */
export const ALERTLESS_PAIR_KINDS = ['kafka', 'fastdfs', 'database'] as const;

/** Every alert rule group one unit's Prometheus evaluates. */
export function unitAlertRules(province: Pick<ProvinceModel, 'envName' | 'activeSite'>, unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan' | 'backupPlan'>): AlertRuleGroup[] {
  const context = alertContext(province, unit);
  const backups = backupAlerts(context);
  return [...redisAlerts(context), ...(backups.length > 0 ? [{ name: `hsa-backup-${unit.zone}-${unit.site.toLowerCase()}`, rules: backups }] : [])];
}

/** The rule file of each unit, by stack name. */
export function provinceRuleFiles(province: ProvinceModel): Map<string, string> {
  return new Map(province.units.map((unit) => [unit.stackName, renderRuleFile(unitAlertRules(province, unit))]));
}
