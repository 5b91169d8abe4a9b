import type { Construct } from 'constructs';
import type { ProvinceModel } from '../model/platform-model';
import { ZoneSiteStack } from './zone-site-stack';

/** The four stacks of one province: public-A, public-B, core-A, core-B. */
export function addProvinceStacks(scope: Construct, province: ProvinceModel): ZoneSiteStack[] {
  return province.units.map((unit) => new ZoneSiteStack(scope, province, unit));
}
