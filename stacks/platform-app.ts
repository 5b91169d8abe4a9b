import { App, TerraformResource } from 'cdktf';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachResourceRules, checkProvince, type ComplianceSettings, type ProvinceCompliance } from '../compliance/check-province';
import type { FindingCollector } from '../compliance/resource-rules-aspect';
import type { StackJson } from '../compliance/types';
import type { Environment } from '../model/environment-schema';
import type { LoadedEnvironment } from '../model/load-environment';
import { resolveProvince, type ProvinceModel, type ResolveOptions } from '../model/platform-model';
import { addProvinceStacks } from './province';

export interface ProvinceBuild {
  readonly model: ProvinceModel;
  readonly settings: ComplianceSettings;
  readonly collector: FindingCollector;
}

export interface PlatformBuild {
  readonly app: App;
  readonly outdir: string;
  readonly provinces: readonly ProvinceBuild[];
}

/**
 * The cdktf App for a set of provinces, with the compliance rule packs attached as Aspects. Used by
 * `main.ts` (under `cdktf synth/deploy`), by `npm run synth` and by the tests, so all produce the same output.
 */
export function buildPlatform(outdir: string, environments: readonly LoadedEnvironment[], options: ResolveOptions = {}): PlatformBuild {
  // Stack traces would put absolute source paths into the output.
  const app = new App({ outdir, stackTraces: false });
  const provinces = environments.map((loaded) => {
    const model = resolveProvince(loaded.name, loaded.environment, options);
    const stacks = addProvinceStacks(app, model);
    const settings = complianceSettings(loaded.environment);
    return { model, settings, collector: attachResourceRules(stacks, model, settings) };
  });
  return { app, outdir, provinces };
}

/** Shorthand when only the App is wanted. */
export function buildPlatformApp(outdir: string, environments: readonly LoadedEnvironment[], options: ResolveOptions = {}): App {
  return buildPlatform(outdir, environments, options).app;
}

/** Synthesizes, then runs the province rules on what was written. */
export function synthesizeAndCheck(build: PlatformBuild): ProvinceCompliance[] {
  build.app.synth();
  return build.provinces.map((province) => {
    const stacks = new Map<string, StackJson>();
    for (const unit of province.model.units) {
      stacks.set(unit.stackName, JSON.parse(readFileSync(join(build.outdir, 'stacks', unit.stackName, 'cdk.tf.json'), 'utf8')) as StackJson);
    }
    return checkProvince(province.model, stacks, province.settings, province.collector.findings);
  });
}

export function complianceSettings(env: Environment): ComplianceSettings {
  return {
    edition: env.compliance?.gbt20988Edition ?? '2025',
    ...(env.compliance?.attestation ? { attestation: env.compliance.attestation } : {}),
    suppressions: env.compliance?.suppressions ?? [],
  };
}

/** Resources of one stack of the App, counted from the construct tree. */
export function stackResourceCount(app: App, stackName: string): number {
  return app.node.findChild(stackName).node.findAll().filter((node) => TerraformResource.isTerraformResource(node)).length;
}
