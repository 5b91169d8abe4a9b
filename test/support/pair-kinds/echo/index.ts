/**
 * A test-only kind of DR pair, added through the toolkit's public registration alone (docs/architecture.md
 * walks through it): its environment part, planner, construct and switchover driver, against a fake server.
 */
import type { ProjectPairKind } from '../../../../index';
import { EchoPair } from './echo-construct';
import { echoMonitoring } from './echo-monitoring';
import { echoSwitchover } from './echo-driver';
import { planEcho, type EchoPlan } from './echo-plan';
import { echoSettingsSchema, type EchoSettings } from './echo-schema';

export const echoPairKind: ProjectPairKind<EchoSettings, EchoPlan> = {
  name: 'echo',
  settings: echoSettingsSchema,
  plan: planEcho,
  render: (scope, id, plan, placement) => new EchoPair(scope, id, plan, placement),
  replicationPorts: (plan) => [Number(plan.peer.split(':')[1])],
  peerAddresses: (plan) => [plan.peer.split(':')[0]!],
  switchover: echoSwitchover,
  monitoring: echoMonitoring,
};
