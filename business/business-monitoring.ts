/**
 * How the business monitoring itself is watched: the site's Prometheus scrapes the figures service (its
 * figures and what it refused), and alerts when the service is down or events are being refused (an
 * application writing what its declaration does not allow: those settlements are missing from the figures).
 */
import type { AlertRuleGroup } from '../model/alert-rules';
import type { ScrapeJob } from '../model/monitoring-plan';
import type { DeploymentUnit } from '../model/platform-model';
import { FIGURES_PORT, FIGURES_SERVICE } from './business-plan';

export function businessScrapeJobs(unit: Pick<DeploymentUnit, 'site' | 'business'>): ScrapeJob[] {
  if (!unit.business) return [];
  const namespace = unit.business.namespace;
  return [{ name: 'business', namespace, port: FIGURES_PORT, targets: [{ address: `${FIGURES_SERVICE}.${namespace}.svc:${FIGURES_PORT}`, labels: { hsa_site: unit.site } }] }];
}

export function businessAlerts(unit: Pick<DeploymentUnit, 'zone' | 'site' | 'business'>): AlertRuleGroup[] {
  if (!unit.business) return [];
  const here = unit.site;
  const selector = `job="business", hsa_site="${here}"`;
  const labels = { team: 'platform' as const, hsa_site: here };
  const namespace = unit.business.namespace;
  return [
    {
      name: `hsa-business-${unit.zone}-${here.toLowerCase()}`,
      rules: [
        {
          alert: 'HsaBusinessFiguresDown',
          expr: `absent(up{${selector}} == 1)`,
          for: '2m',
          labels: { severity: 'critical', ...labels },
          annotations: {
            summary: `The business figures service of the ${unit.zone} zone at site ${here} does not answer`,
            description: `The big screen's figures at site ${here} stand still. The collectors keep every event in their queues and deliver them when it is back: nothing is lost, the figures are late.`,
            runbook: `kubectl -n ${namespace} get pods,pvc; kubectl -n ${namespace} logs deploy/${FIGURES_SERVICE}.`,
          },
        },
        {
          alert: 'HsaBusinessEventsRejected',
          expr: `sum by (application, reason) (increase(hsa_business_rejected_total{${selector}}[10m])) > 0`,
          for: '0s',
          labels: { severity: 'warning', ...labels },
          annotations: {
            summary: `Settlement events of {{ $labels.application }} at site ${here} are refused ({{ $labels.reason }})`,
            description: `{{ $value }} events of {{ $labels.application }} in 10 minutes do not match its declaration (reason: {{ $labels.reason }}): they are missing from the figures.`,
            runbook: `Compare the application's event lines with its businessEvents declaration in the environment file (fields, types, amount with at most two decimals, a time beginning with its date).`,
          },
        },
      ],
    },
  ];
}
