import { App } from 'cdktf';
import type { LoadedEnvironment } from '../model/load-environment';
import { resolveProvince, type ResolveOptions } from '../model/platform-model';
import { addProvinceStacks } from './province';

/**
 * The cdktf App for a set of provinces. Used by `main.ts` (under `cdktf synth/deploy`), by
 * `npm run synth` and by the tests, so all three produce the same output.
 */
export function buildPlatformApp(outdir: string, environments: readonly LoadedEnvironment[], options: ResolveOptions = {}): App {
  // Stack traces would put absolute source paths into the output.
  const app = new App({ outdir, stackTraces: false });
  for (const loaded of environments) {
    addProvinceStacks(app, resolveProvince(loaded.name, loaded.environment, options));
  }
  return app;
}
