import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProvince, type ComplianceSettings, type ProvinceCompliance } from '../compliance/check-province';
import type { Environment } from '../model/environment-schema';
import type { PlatformBuild } from '../stacks/platform-app';
import type { StackJson } from '../synthesized/json';

/**
 * The one place that joins the two halves: synthesizes the App, then checks each province from what
 * was written (the compliance packs read the output only, as `npm run check` does on any directory).
 */
export function synthesizeAndCheck(build: PlatformBuild): ProvinceCompliance[] {
  build.app.synth();
  return build.provinces.map(({ model, loaded }) => {
    const stacks = new Map<string, StackJson>();
    for (const unit of model.units) {
      stacks.set(unit.stackName, JSON.parse(readFileSync(join(build.outdir, 'stacks', unit.stackName, 'cdk.tf.json'), 'utf8')) as StackJson);
    }
    return checkProvince(model, stacks, complianceSettings(loaded.environment));
  });
}

export function complianceSettings(env: Environment): ComplianceSettings {
  return {
    edition: env.compliance?.gbt20988Edition ?? '2025',
    ...(env.compliance?.attestation ? { attestation: env.compliance.attestation } : {}),
    suppressions: env.compliance?.suppressions ?? [],
  };
}
