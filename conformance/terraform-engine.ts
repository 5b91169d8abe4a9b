/**
 * The Terraform engine's own template parser and the API server's own quantity code as judges of the
 * synthesized stacks, where no provider or cluster is at hand (CI): conformance/terraform-engine/main.go,
 * built from github.com/hashicorp/hcl/v2 (the parser Terraform and OpenTofu read JSON configurations
 * with) and k8s.io/apimachinery (resource.Quantity). It checks the two classes of defect the deploy
 * rehearsal found (docs/deploy-rehearsal.md): a `${...}` that is not a reference, and a quantity not in
 * the form the API server stores. The full judge is the rehearsal itself.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtOnce, go, GoToolError } from './go-tool';

const MODULE_DIR = join(__dirname, 'terraform-engine');
const MODULE_FILES = ['main.go', 'go.mod', 'go.sum'];

export interface TerraformEngineReport {
  readonly strings: number;
  readonly templates: number;
  readonly references: number;
  readonly quantities: number;
  readonly problems: readonly string[];
}

/** Builds the program once per source; returns its path. */
export function terraformEngineTool(toolsDir: string): string {
  const hash = createHash('sha256');
  for (const file of MODULE_FILES) hash.update(file).update(readFileSync(join(MODULE_DIR, file)));
  return builtOnce(join(toolsDir, `hsa-terraform-engine-${hash.digest('hex').slice(0, 12)}`), (part) => {
    go(['build', '-trimpath', '-o', part, '.'], MODULE_DIR);
  });
}

/** Judges the named `cdk.tf.json` files. */
export function judgeStacks(tool: string, stackFiles: readonly string[]): TerraformEngineReport {
  const run = spawnSync(tool, stackFiles, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new GoToolError(`${tool}: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as TerraformEngineReport;
}
