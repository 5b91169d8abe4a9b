/**
 * Alertmanager's configuration of a province (the same at both sites): every alert routed by its `team`
 * label to the team's receiver from the environment (`observability.receivers`), the rest to `default`.
 * The deployed Alertmanager gets exactly this (constructs/observability/site-monitoring.ts), and the
 * observability drill starts a real one with exactly this file.
 */
import { stringify } from 'yaml';
import type { AlertTeam } from './alert-rules';
import type { ObservabilitySettings } from './observability-schema';

/** Prometheus's scrape and rule evaluation interval (`global`), the deployed and the drilled one. */
export const SCRAPE_INTERVAL_SECONDS = 15;
export const EVALUATION_INTERVAL_SECONDS = 15;
/** How long Alertmanager waits to group a new alert's first notification, and between a group's updates (a resolution among them). */
export const ALERT_GROUP_WAIT_SECONDS = 10;
export const ALERT_GROUP_INTERVAL_SECONDS = 30;

/** Prometheus sending the alert and Alertmanager posting it: seconds allowed for the processes themselves. */
export const ALERT_PROCESSING_SECONDS = 5;

/**
 * The longest from a condition becoming true at the server to its notification at the receiver: the
 * rule's `for`, plus one scrape and one evaluation that may just have missed it, plus Alertmanager's
 * group wait and the processing (docs/observability.md states it per alert; the drill measures it).
 */
export function alertDeliveryBoundSeconds(forSeconds: number): number {
  return forSeconds + SCRAPE_INTERVAL_SECONDS + EVALUATION_INTERVAL_SECONDS + ALERT_GROUP_WAIT_SECONDS + ALERT_PROCESSING_SECONDS;
}

const TEAMS: readonly AlertTeam[] = ['middleware', 'database', 'platform'];

/** The subset of Alertmanager's configuration the toolkit writes. */
export interface AlertmanagerConfig {
  readonly route: {
    readonly receiver: string;
    readonly group_by: readonly string[];
    readonly group_wait: string;
    readonly group_interval: string;
    readonly repeat_interval: string;
    readonly routes: readonly { readonly matchers: readonly string[]; readonly receiver: string }[];
  };
  readonly receivers: readonly { readonly name: string; readonly webhook_configs: readonly { readonly url: string; readonly send_resolved: boolean }[] }[];
}

export function alertmanagerConfig(settings: ObservabilitySettings): AlertmanagerConfig {
  const receiver = (name: string, target: { readonly webhook: string; readonly sendResolved?: boolean }) => ({ name, webhook_configs: [{ url: target.webhook, send_resolved: target.sendResolved ?? true }] });
  const teams = TEAMS.flatMap((team) => {
    const target = settings.receivers.teams?.[team];
    return target ? [{ team, target }] : [];
  });
  return {
    route: {
      receiver: 'default',
      group_by: ['alertname', 'hsa_pair', 'hsa_backup', 'hsa_site'],
      group_wait: `${ALERT_GROUP_WAIT_SECONDS}s`,
      group_interval: `${ALERT_GROUP_INTERVAL_SECONDS}s`,
      repeat_interval: '4h',
      routes: teams.map(({ team }) => ({ matchers: [`team="${team}"`], receiver: team })),
    },
    receivers: [receiver('default', settings.receivers.default), ...teams.map(({ team, target }) => receiver(team, target))],
  };
}

/** `alertmanager.yml`, deterministic. */
export function renderAlertmanagerConfig(settings: ObservabilitySettings): string {
  return stringify(alertmanagerConfig(settings), { lineWidth: 0 });
}
