import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { ClusterProviders } from '../constructs/cluster/cluster-providers';
import { providerClassMode } from '../constructs/l1/light-resource';
import { configureStateBackend } from '../constructs/cluster/state-backend';
import { PlatformUnit } from '../constructs/platform/platform-unit';
import type { DeploymentUnit, ProvinceModel } from '../model/platform-model';
import { FastStackSynthesizer, FastSynthesis } from '../engine/fast-stack-synthesis';

/**
 * One Terraform stack per zone and datacenter (`<env>-<zone>-<site>`). It only wires: state backend,
 * providers for its own cluster, and the platform unit. It references no other stack, so each
 * datacenter synthesizes and deploys while the other is down.
 */
export class ZoneSiteStack extends TerraformStack {
  readonly unit: DeploymentUnit;
  /** This stack's fast synthesis: what its preparing pass keeps for its writing pass. */
  private readonly fastSynthesis = new FastSynthesis(this);

  constructor(scope: Construct, province: ProvinceModel, unit: DeploymentUnit) {
    super(scope, unit.stackName);
    this.unit = unit;
    if (providerClassMode() === 'light') this.synthesizer = new FastStackSynthesizer(this, this.fastSynthesis);
    configureStateBackend(this, unit.stackName, unit.backend);
    new ClusterProviders(this, 'Cluster', { connection: unit.cluster });
    new PlatformUnit(this, 'Platform', { unit, province });
    // What this stack is, for reviews of the synthesized plan (Terraform ignores "//").
    this.addOverride('//.hsa', { environment: province.envName, zone: unit.zone, site: unit.site, activeSite: province.activeSite });
  }

  // Same output as cdktf's own synthesis, in one resolving pass (engine/fast-stack-synthesis.ts).
  override prepareStack(): void {
    if (providerClassMode() === 'generated') super.prepareStack();
    else this.fastSynthesis.prepare();
  }

  override toTerraform(): Record<string, unknown> {
    return providerClassMode() === 'generated' ? (super.toTerraform() as Record<string, unknown>) : this.fastSynthesis.toTerraform();
  }
}
