/**
 * Alertmanager's configuration of a province (the same at both sites): every alert routed by its `team`
 * label to the team's receiver from the environment (`observability.receivers`), the rest to `default`.
 * The deployed Alertmanager gets exactly this (constructs/observability/site-monitoring.ts), and the
 * observability drill starts a real one with exactly this file.
 */
import { stringify } from 'yaml';
import type { AlertTeam } from './alert-rules';
import type { ObservabilitySettings, ReceiverTarget } from './observability-schema';

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
  readonly receivers: readonly { readonly name: string; readonly webhook_configs: readonly WebhookConfig[] }[];
}

/** A webhook: its URL, or the file a Secret holding it is mounted as (Alertmanager 0.26 and later). */
type WebhookConfig = ({ readonly url: string } | { readonly url_file: string }) & { readonly send_resolved: boolean };

/** Where each Secret a receiver names is mounted in the Alertmanager pod (`alertmanager.extraSecretMounts`). */
export const RECEIVER_SECRETS_DIR = '/etc/alertmanager/receivers';

/** The file Alertmanager reads a receiver's URL from, when the environment keeps it in a Secret. */
export function receiverUrlFile(reference: { readonly secret: string; readonly key?: string }): string {
  return `${RECEIVER_SECRETS_DIR}/${reference.secret}/${reference.key ?? 'url'}`;
}

/** The receivers of the environment, by name (`default` and each team's), in routing order. */
export function receiverTargets(settings: ObservabilitySettings): { readonly name: string; readonly target: ReceiverTarget }[] {
  return [{ name: 'default', target: settings.receivers.default }, ...TEAMS.flatMap((team) => {
    const target = settings.receivers.teams?.[team];
    return target ? [{ name: team, target }] : [];
  })];
}

export function alertmanagerConfig(settings: ObservabilitySettings): AlertmanagerConfig {
  const receivers = receiverTargets(settings);
  const webhook = (target: ReceiverTarget): WebhookConfig => {
    const send_resolved = target.sendResolved ?? true;
    // The schema makes sure exactly one of the two is given.
    return target.webhookFromSecret ? { url_file: receiverUrlFile(target.webhookFromSecret), send_resolved } : { url: target.webhook!, send_resolved };
  };
  return {
    route: {
      receiver: 'default',
      group_by: ['alertname', 'hsa_pair', 'hsa_backup', 'hsa_site'],
      group_wait: `${ALERT_GROUP_WAIT_SECONDS}s`,
      group_interval: `${ALERT_GROUP_INTERVAL_SECONDS}s`,
      repeat_interval: '4h',
      routes: receivers.filter(({ name }) => name !== 'default').map(({ name }) => ({ matchers: [`team="${name}"`], receiver: name })),
    },
    receivers: receivers.map(({ name, target }) => ({ name, webhook_configs: [webhook(target)] })),
  };
}

/** `alertmanager.yml`, deterministic. */
export function renderAlertmanagerConfig(settings: ObservabilitySettings): string {
  return stringify(alertmanagerConfig(settings), { lineWidth: 0 });
}
