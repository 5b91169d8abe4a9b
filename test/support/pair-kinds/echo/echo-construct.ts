/** The echo kind's construct: one ConfigMap telling the server its role (what a deploy applies). */
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Construct } from 'constructs';
import type { DrPairPlacement } from '../../../../index';
import type { EchoPlan } from './echo-plan';

export class EchoPair extends Construct {
  constructor(scope: Construct, id: string, plan: EchoPlan, placement: DrPairPlacement) {
    super(scope, id);
    new ConfigMapV1(this, 'Role', {
      metadata: { name: plan.name, namespace: placement.namespace, labels: { 'hsa.gov.cn/zone': placement.zone, 'hsa.gov.cn/site': placement.site } },
      data: { mode: plan.mode, address: plan.address, ...(plan.mode === 'standby' ? { follows: plan.peer } : {}) },
    });
  }
}
