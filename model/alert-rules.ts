/**
 * Prometheus alerting rules generated from the DR model (#27): for each unit (one zone in one datacenter),
 * the alerts its site's Prometheus evaluates over that site's exporters. Each kind of DR pair writes its
 * own (pairs/<kind>/<kind>-monitoring.ts); the backups' are here. Every alert names the pair or the backup,
 * the team that owns it, what it means and the first response, with the switchover command where one applies.
 *
 * The label contract with the scrape configuration: every DR member's exporter target carries
 * `hsa_pair` (`<role>@<zone>`) and `hsa_site` (`A` or `B`); Velero's metrics carry `hsa_site`.
 * `promtool check rules` and `promtool test rules` judge the rendered file (test/alert-rules.test.ts);
 * the observability drill loads it into a real Prometheus (test/drills/observability.test.ts).
 */
import { stringify } from 'yaml';
import type { DeploymentUnit, ProvinceModel } from './platform-model';
import type { Site } from './topology';
import { alertThresholds, type AlertThresholds } from './observability-schema';

/** Who an alert goes to (Alertmanager routes on `team`). */
export type AlertTeam = 'middleware' | 'database' | 'platform';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold, in Prometheus's duration syntax (`30s`, `26h`). */
  readonly for: string;
  readonly labels: { readonly severity: 'critical' | 'warning'; readonly team: AlertTeam; readonly [label: string]: string };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook: string };
}

export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** What an alert generator of a kind is given: the province, the unit, the thresholds, and the switchover commands to name. */
export interface AlertContext {
  readonly province: Pick<ProvinceModel, 'envName' | 'activeSite'>;
  /** The environment's thresholds (`observability.thresholds`), else the defaults. */
  readonly thresholds: AlertThresholds;
  readonly unit: Pick<DeploymentUnit, 'zone' | 'site' | 'middlewarePlan' | 'backupPlan'>;
  /** `npm run switchover` for this province towards `to`, with the site lost when one is. */
  switchoverCommand(to: Site, options?: { readonly siteLost?: Site; readonly pairs?: string }): string;
}

export function alertContext(province: Pick<ProvinceModel, 'envName' | 'activeSite' | 'observability'>, unit: AlertContext['unit']): AlertContext {
  return {
    province,
    unit,
    thresholds: alertThresholds(province.observability),
    switchoverCommand: (to, options = {}) =>
      `npm run switchover -- --env ${province.envName} --to ${to}${options.siteLost ? ` --site-lost ${options.siteLost}` : ''}${options.pairs ? ` --pairs ${options.pairs}` : ''} --journal <journal directory> (dry run first; add --execute to act)`,
  };
}

/** A day and two hours: GB/T 20988's daily full backup, with the time a backup takes. */
export const BACKUP_MAX_AGE_SECONDS = 26 * 3600;
/** The name the Velero chart gives the toolkit's daily schedule (release `velero`, schedule key `daily`). */
export const VELERO_SCHEDULE = 'velero-daily';

/** The backup alerts of one unit: Velero's daily backup of its cluster, off site. */
export function backupAlerts(context: AlertContext): AlertRule[] {
  const { unit } = context;
  if (!unit.backupPlan) return [];
  const selector = `schedule="${VELERO_SCHEDULE}", hsa_site="${unit.site}"`;
  const where = `the ${unit.zone} cluster of site ${unit.site}`;
  return [
    {
      alert: 'HsaBackupTooOld',
      expr: `time() - max(velero_backup_last_successful_timestamp{${selector}}) > ${BACKUP_MAX_AGE_SECONDS}`,
      for: '10m',
      labels: { severity: 'critical', team: 'platform', hsa_backup: `velero@${unit.zone}-${unit.site.toLowerCase()}` },
      annotations: {
        summary: `The last successful backup of ${where} is older than a day`,
        description: `GB/T 20988 asks for a daily full backup; the last one Velero completed for ${where} is {{ $value }} s old (schedule ${unit.backupPlan.schedule}).`,
        runbook: `velero backup get -n hsa-backup (the failed backups and why: velero backup describe <name> --details); check the other datacenter's object store answers from site ${unit.site}; then velero backup create --from-schedule ${VELERO_SCHEDULE} -n hsa-backup.`,
      },
    },
    {
      alert: 'HsaBackupNeverSucceeded',
      expr: `absent(velero_backup_last_successful_timestamp{${selector}})`,
      for: '26h',
      labels: { severity: 'critical', team: 'platform', hsa_backup: `velero@${unit.zone}-${unit.site.toLowerCase()}` },
      annotations: {
        summary: `No backup of ${where} has succeeded for 26 h`,
        description: `Velero's schedule ${VELERO_SCHEDULE} has no successful backup of ${where} (or its metrics are not scraped).`,
        runbook: `velero schedule get -n hsa-backup and velero backup get -n hsa-backup; if Velero is not scraped, check its pod in hsa-backup.`,
      },
    },
  ];
}


/** The rule file Prometheus loads (`rule_files`), deterministic. */
export function renderRuleFile(groups: readonly AlertRuleGroup[]): string {
  return stringify({ groups: groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ alert: r.alert, expr: r.expr, for: r.for, labels: r.labels, annotations: r.annotations })) })) }, { lineWidth: 0 });
}
