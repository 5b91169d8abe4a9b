/** The echo kind's plan: one site's server of the zone's pair, its role decided once, here. */
import type { PairPlanContext } from '../../../../index';
import type { EchoSettings } from './echo-schema';

export interface EchoPlan {
  /** The ConfigMap's name. */
  readonly name: string;
  /** `primary` at the active site, `standby` (following the active site) at the other. */
  readonly mode: 'primary' | 'standby';
  /** This site's server, `host:port`. */
  readonly address: string;
  /** The other site's server of the pair. */
  readonly peer: string;
}

export function planEcho(context: PairPlanContext, settings: EchoSettings): EchoPlan | undefined {
  const servers = settings.zones[context.zone];
  if (!servers) return undefined;
  const other = context.site === 'A' ? 'B' : 'A';
  return { name: 'echo-pair', mode: context.site === context.activeSite ? 'primary' : 'standby', address: servers[context.site], peer: servers[other] };
}
