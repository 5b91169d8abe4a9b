import { spawn } from 'node:child_process';
import type { Site } from '../model/topology';
import type { Deployer } from './execute-switchover';

/**
 * The production deployer: `npx cdktf deploy <stacks> --auto-approve` with the environment's name and
 * the new active site (`HSA_ACTIVE_SITE`, as `npm run synth -- --active-site` previews it), from the
 * project root. After the switchover, set `activeSite` in the environment file and commit it.
 */
export class CdktfDeployer implements Deployer {
  constructor(
    private readonly envName: string,
    private readonly projectRoot: string,
  ) {}

  describe(stacks: readonly string[], activeSite: Site): string {
    return `HSA_ENV=${this.envName} HSA_ACTIVE_SITE=${activeSite} npx cdktf deploy ${stacks.join(' ')} --auto-approve`;
  }

  deploy(stacks: readonly string[], activeSite: Site): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('npx', ['cdktf', 'deploy', ...stacks, '--auto-approve'], {
        cwd: this.projectRoot,
        stdio: 'inherit',
        env: { ...process.env, HSA_ENV: this.envName, HSA_ACTIVE_SITE: activeSite },
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${this.describe(stacks, activeSite)} exited ${code}`))));
    });
  }
}
