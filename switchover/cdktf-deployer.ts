import { spawn } from 'node:child_process';
import { cdktfDeployArgs, cdktfDeployCommand } from '../model/deploy-command';
import type { Site } from '../model/topology';
import type { Deployer } from './execute-switchover';

/**
 * The production deployer: `npx cdktf deploy <stacks> --auto-approve --skip-provider-lock` with the
 * environment's name and the new active site (`HSA_ACTIVE_SITE`, as `npm run synth -- --active-site`
 * previews it), from the project root; it needs no registry (model/deploy-command.ts). After the
 * switchover, set `activeSite` in the environment file and commit it.
 */
export interface CdktfDeployerOptions {
  /**
   * Let `cdktf deploy` synthesize (with `HSA_ACTIVE_SITE`) before it deploys. Off only where the caller
   * has just synthesized the same environment and site into `cdktf.out/` itself (the deploy rehearsal,
   * which adds its override file there).
   * @default true
   */
  readonly synthesize?: boolean;
}

export class CdktfDeployer implements Deployer {
  constructor(
    private readonly envName: string,
    private readonly projectRoot: string,
    private readonly options: CdktfDeployerOptions = {},
  ) {}

  private args(stacks: readonly string[]): string[] {
    return [...cdktfDeployArgs(stacks, { autoApprove: true }), ...(this.options.synthesize === false ? ['--skip-synth'] : [])];
  }

  describe(stacks: readonly string[], activeSite: Site): string {
    const command = cdktfDeployCommand(this.envName, stacks, { activeSite, autoApprove: true });
    return this.options.synthesize === false ? `${command} --skip-synth` : command;
  }

  deploy(stacks: readonly string[], activeSite: Site): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('npx', this.args(stacks), {
        cwd: this.projectRoot,
        stdio: 'inherit',
        env: { ...process.env, HSA_ENV: this.envName, HSA_ACTIVE_SITE: activeSite },
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${this.describe(stacks, activeSite)} exited ${code}`))));
    });
  }
}
