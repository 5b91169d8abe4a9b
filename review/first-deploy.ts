/**
 * The first deploy of a stack onto an empty cluster. Terraform's kubernetes_manifest reads a custom
 * resource's schema from the cluster when it plans, so a stack that declares Strimzi or CloudNativePG
 * resources cannot be planned before their operators' CRDs exist. The order, read from the synthesized stack: first apply only
 * the releases that install CRDs (`terraform apply -target=<release>`, which plans nothing else and so
 * never touches other resources), then deploy the whole stack as usual. Stacks without custom
 * resources deploy in one step.
 */
import { cdktfDeployCommand } from '../model/deploy-command';

export interface StackJsonLike {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, { readonly chart?: unknown; readonly depends_on?: readonly string[] }>>>>;
}

/** Charts whose release installs the CRDs the toolkit's custom resources need. */
export const CRD_CHARTS: readonly string[] = ['strimzi-kafka-operator', 'cloudnative-pg'];

export interface FirstDeployStep {
  readonly stack: string;
  /** Terraform addresses to apply first (`-target`); empty when the stack deploys in one step. */
  readonly crdReleases: readonly string[];
  /** Custom resources that wait for them. */
  readonly customResources: readonly string[];
}

export class FirstDeployError extends Error {}

/** The first-deploy order of one stack; throws when a custom resource does not wait for a CRD release. */
export function firstDeployStep(stack: string, json: StackJsonLike): FirstDeployStep {
  const releases = Object.entries(json.resource?.helm_release ?? {})
    .filter(([, r]) => typeof r.chart === 'string' && CRD_CHARTS.includes(r.chart))
    .map(([name]) => `helm_release.${name}`)
    .sort();
  const manifests = json.resource?.kubernetes_manifest ?? {};
  const customResources = Object.keys(manifests).map((name) => `kubernetes_manifest.${name}`).sort();
  if (customResources.length > 0 && releases.length === 0) {
    throw new FirstDeployError(`${stack}: declares custom resources but no release that installs their CRDs (${CRD_CHARTS.join(', ')})`);
  }
  // Every custom resource must reach a CRD release through depends_on, or Terraform could create it first.
  const dependsOn = (address: string): readonly string[] => {
    const [type, name] = address.split('.') as [string, string];
    return json.resource?.[type]?.[name]?.depends_on ?? [];
  };
  for (const resource of customResources) {
    const seen = new Set<string>();
    const queue = [resource];
    while (queue.length > 0) {
      const next = queue.pop()!;
      for (const dependency of dependsOn(next)) if (!seen.has(dependency)) (seen.add(dependency), queue.push(dependency));
    }
    if (!releases.some((release) => seen.has(release))) throw new FirstDeployError(`${stack}: ${resource} does not depend on a CRD release (${releases.join(', ')})`);
  }
  return { stack, crdReleases: customResources.length > 0 ? releases : [], customResources };
}

/** Shell commands for an operator, from the project root, after `npm run synth -- --env <name>`. */
export function renderFirstDeploy(envName: string, steps: readonly FirstDeployStep[], outdir = 'cdktf.out'): string {
  const lines = [`# First deploy of ${envName} onto empty clusters (run each datacenter's stacks where its clusters are reachable).`];
  for (const step of steps) {
    if (step.crdReleases.length > 0) {
      lines.push(
        `# ${step.stack}: install the CRDs first (${step.customResources.length} custom resources need them at plan time)`,
        `terraform -chdir=${outdir}/stacks/${step.stack} init -input=false`,
        `terraform -chdir=${outdir}/stacks/${step.stack} apply -input=false ${step.crdReleases.map((r) => `-target=${r}`).join(' ')}`,
      );
    }
    lines.push(cdktfDeployCommand(envName, [step.stack]));
  }
  return `${lines.join('\n')}\n`;
}
