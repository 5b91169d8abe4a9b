import type { Site } from './topology';

/**
 * The one `cdktf deploy` command line the runbook, the first-deploy procedure and the switchover's
 * deployer print or run.
 *
 * `--skip-provider-lock`: after `init`, `cdktf deploy` runs `providers lock` for several platforms, which
 * asks the public registry even when the providers come from a filesystem mirror; in an air-gapped
 * datacenter (and so during a switchover there) it fails with "Could not retrieve providers for locking".
 * `init` still writes the lock file for the deploying machine's platform from the mirror
 * (docs/deploy-rehearsal.md checks both with no registry reachable).
 */
export const CDKTF_DEPLOY_FLAGS: readonly string[] = ['--skip-provider-lock'];

export interface DeployCommandOptions {
  /** @default - the environment file's activeSite */
  readonly activeSite?: Site;
  /** @default false */
  readonly autoApprove?: boolean;
}

/** The arguments after `npx`: `cdktf deploy <stacks> [--auto-approve] --skip-provider-lock`. */
export function cdktfDeployArgs(stacks: readonly string[], options: DeployCommandOptions = {}): string[] {
  return ['cdktf', 'deploy', ...stacks, ...(options.autoApprove ? ['--auto-approve'] : []), ...CDKTF_DEPLOY_FLAGS];
}

/** The command line an operator runs from the project root. */
export function cdktfDeployCommand(envName: string, stacks: readonly string[], options: DeployCommandOptions = {}): string {
  const site = options.activeSite ? ` HSA_ACTIVE_SITE=${options.activeSite}` : '';
  return `HSA_ENV=${envName}${site} npx ${cdktfDeployArgs(stacks, options).join(' ')}`;
}
