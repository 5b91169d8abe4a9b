/** How the echo kind's pair is watched: its server's port probed as a target, and an alert when it stops answering. */
import type { PairKindMonitoring } from '../../../../index';
import type { EchoPlan } from './echo-plan';

export const echoMonitoring: PairKindMonitoring<EchoPlan> = {
  scrapeJobs: (plan, unit) => [{ name: 'echo', namespace: 'hsa-middleware', port: Number(plan.address.split(':')[1]), targets: [{ address: `${plan.name}.hsa-middleware.svc:${plan.address.split(':')[1]}`, labels: { hsa_pair: `echo@${unit.zone}`, hsa_site: unit.site } }] }],
  alerts: (plan, context) => [
    {
      alert: 'EchoPairDown',
      expr: `up{job="echo", hsa_pair="echo@${context.unit.zone}", hsa_site="${context.unit.site}"} == 0`,
      for: '1m',
      labels: { severity: 'critical', team: 'middleware', hsa_pair: `echo@${context.unit.zone}`, hsa_site: context.unit.site },
      annotations: {
        summary: `The echo server of site ${context.unit.site} does not answer`,
        description: `${plan.address} (${plan.mode}) is down.`,
        runbook: `Check the echo server at ${plan.address}; if its site is lost: ${context.switchoverCommand(context.unit.site === 'A' ? 'B' : 'A', { siteLost: context.unit.site })}.`,
      },
    },
  ],
};
