import { App, TerraformResource } from 'cdktf';
import type { IConstruct } from 'constructs';
import { suppressRule } from '../constructs/suppressions';
import type { LoadedEnvironment } from '../model/load-environment';
import { resolveProvince, type ProvinceModel, type ResolveOptions } from '../model/platform-model';
import { suppressionCovers, type DeclaredSuppression } from '../synthesized/suppressions';
import { addProvinceStacks } from './province';

export interface ProvinceBuild {
  readonly model: ProvinceModel;
  readonly loaded: LoadedEnvironment;
}

export interface PlatformBuild {
  readonly app: App;
  readonly outdir: string;
  readonly provinces: readonly ProvinceBuild[];
}

/**
 * The cdktf App for a set of provinces, with the suppressions each environment declares written into
 * the resources they cover. Used by `main.ts` (under `cdktf synth/deploy`), by `npm run synth` and by
 * the tests, so all produce the same output; the compliance check reads that output afterwards
 * (`pipeline/synthesize-and-check.ts`).
 */
export function buildPlatform(outdir: string, environments: readonly LoadedEnvironment[], options: ResolveOptions = {}): PlatformBuild {
  // Stack traces would put absolute source paths into the output.
  const app = new App({ outdir, stackTraces: false });
  const provinces = environments.map((loaded) => {
    const model = resolveProvince(loaded.name, loaded.environment, options);
    const stacks = addProvinceStacks(app, model);
    recordDeclaredSuppressions(stacks, loaded.environment.compliance?.suppressions ?? []);
    return { model, loaded };
  });
  return { app, outdir, provinces };
}

/** Shorthand when only the App is wanted. */
export function buildPlatformApp(outdir: string, environments: readonly LoadedEnvironment[], options: ResolveOptions = {}): App {
  return buildPlatform(outdir, environments, options).app;
}

function recordDeclaredSuppressions(stacks: readonly IConstruct[], suppressions: readonly DeclaredSuppression[]): void {
  if (suppressions.length === 0) return;
  for (const stack of stacks) {
    for (const node of stack.node.findAll()) {
      if (!TerraformResource.isTerraformResource(node)) continue;
      for (const s of suppressions) if (suppressionCovers(s.path, node.node.path)) suppressRule(node, s.ruleId, s.reason);
    }
  }
}

/** Resources of one stack of the App, counted from the construct tree. */
export function stackResourceCount(app: App, stackName: string): number {
  return app.node.findChild(stackName).node.findAll().filter((node) => TerraformResource.isTerraformResource(node)).length;
}
