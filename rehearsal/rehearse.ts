/**
 * The deploy rehearsal (docs/deploy-rehearsal.md), run inside its own network namespace where nothing
 * but loopback exists, so no registry is reachable, as in an air-gapped datacenter.
 *
 * Per province: four control planes (each zone at each site), the real charts served at the province's
 * own chart repository address, a copy of the project where only what cannot be had here is changed
 * (the CA files of host-addressed clusters, an oci:// chart repository, an s3 state backend), then, as an
 * operator would: `npm run synth`, the first-deploy procedure (`npm run runbook -- --first-deploy`), with
 * `init`, `validate` and `cdktf deploy` per stack as the deploy identity (not cluster-admin), a second
 * plan that must be empty, the pods the controllers created counted (and every refusal), a plan that
 * would destroy data refused, a switchover deploy through the switchover's own deployer whose plan must
 * change exactly what `npm run review` says, then back, and two concurrent deploys on the pg backend.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { postgresqlBin, stop } from '../backup/restore-verify';
import { isDataHolding, reviewStack, reviewTrees } from '../review/plan-diff';
import { differingFields } from '../review/real-plan';
import { CdktfDeployer } from '../switchover/cdktf-deployer';
import type { JsonObject, StackJson } from '../synthesized/json';
import { SITES, ZONES, type Site } from '../model/topology';
import { packageCharts, startChartServer, type ChartRef } from './chart-repository';
import { ControlPlane, DEPLOYER_GROUP, kubeconfigText, kubeRequest, type ClusterEndpoint } from './control-plane';
import type { RehearsalTools } from './tools';

export interface RehearsalOptions {
  /** This checkout: its node_modules and docs/deployer-rbac.yaml. */
  readonly projectRoot: string;
  /** The checkout that is deployed. @default projectRoot */
  readonly deployed?: string;
  readonly sources: string;
  readonly tools: RehearsalTools;
  readonly helm: string;
  /** Scratch directory of this run (emptied first). */
  readonly workDir: string;
  /** name -> loopback address of every host name the provinces use (the namespace's hosts file). */
  readonly hosts: ReadonlyMap<string, string>;
  readonly log: (line: string) => void;
}

export interface StackResult {
  readonly stack: string;
  readonly activeSite: Site;
  readonly init: boolean;
  readonly validate: boolean;
  readonly applied: boolean;
  readonly resources: number;
  /** Addresses the plan after a successful apply still changes (must be none). */
  readonly secondPlanChanges: readonly string[];
  readonly error?: string;
}

export interface SwitchoverResult {
  readonly stack: string;
  readonly to: Site;
  /** Addresses the real plan changes and the review of the two syntheses does not name, and the reverse. */
  readonly planNotInReview: readonly string[];
  readonly reviewNotInPlan: readonly string[];
  readonly planned: number;
}

/** `npm run review -- --plan` on one switchover's real plans, against the review of the two syntheses. */
export interface PlanReviewResult {
  readonly exit: number;
  readonly flips: readonly string[];
  /** Flips the synthesized review names and the plan review does not, and the reverse. */
  readonly missing: readonly string[];
  readonly extra: readonly string[];
}

export interface ProvinceResult {
  readonly environment: string;
  readonly changes: readonly string[];
  readonly stacks: readonly StackResult[];
  readonly pods: { readonly created: number; readonly refused: readonly string[]; readonly workloads: number };
  readonly destroyRefusals: { readonly tried: number; readonly refused: number; readonly notRefused: readonly string[] };
  readonly switchover: readonly SwitchoverResult[];
  readonly planReviews: readonly PlanReviewResult[];
  /** Admission webhooks removed because no operator pod serves them here. */
  readonly webhooksRemoved: readonly string[];
  readonly concurrentDeploy?: { readonly secondRefused: boolean; readonly message: string; readonly stateIntact: boolean; readonly resources: number };
  /** What the API server's own authorizer says each ServiceAccount the toolkit binds to a ClusterRole of its own may do. */
  readonly accessReviews: AccessReviewResult;
  readonly seconds: number;
}

/**
 * SubjectAccessReviews for every ServiceAccount bound by a ClusterRoleBinding the stacks declare: allowed
 * each verb on each resource its ClusterRole grants, and refused what it does not (secrets, pods/exec,
 * nodes/proxy), as the real API server's RBAC authorizer decides.
 */
export interface AccessReviewResult {
  readonly bindings: readonly string[];
  readonly checked: number;
  /** Reviews whose answer differs from the role: `<cluster> <user> <verb> <resource>: allowed|refused`. */
  readonly wrong: readonly string[];
  /** Bindings whose ServiceAccount no pod runs as: they grant nobody (a name that drifted from the chart's). */
  readonly grantingNobody: readonly string[];
}

/** Cluster-wide permissions no toolkit ServiceAccount is meant to hold unless its role names them. */
const SENSITIVE: readonly { readonly verb: string; readonly resource: string; readonly subresource?: string }[] = [
  { verb: 'get', resource: 'secrets' },
  { verb: 'list', resource: 'pods' },
  { verb: 'create', resource: 'pods', subresource: 'exec' },
  { verb: 'get', resource: 'nodes', subresource: 'proxy' },
];

const OVERRIDE_FILE = 'rehearsal_override.tf.json';

/** The one place where waits are turned off: a Terraform override file beside the synthesized stack. */
export function waitOverrides(stack: StackJson): JsonObject {
  const resource: Record<string, Record<string, JsonObject>> = {};
  const set = (type: string, name: string, body: JsonObject) => ((resource[type] ??= {})[name] = body);
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      // `atomic` turns `wait` on whatever `wait` says.
      if (type === 'helm_release') set(type, name, { wait: false, wait_for_jobs: false, atomic: false });
      else if (/^kubernetes_(deployment|stateful_set|daemon_set)_v1$/.test(type)) set(type, name, { wait_for_rollout: false });
      else if (type === 'kubernetes_service_v1' && JSON.stringify(body).includes('"LoadBalancer"')) set(type, name, { wait_for_load_balancer: false });
      else if (type === 'kubernetes_persistent_volume_claim_v1') set(type, name, { wait_until_bound: false });
    }
  }
  return { resource };
}

interface Run {
  readonly status: number | null;
  readonly output: string;
}

/** A copy of a checkout: tracked and untracked-but-not-ignored files, this checkout's node_modules linked. */
function copyProject(checkout: string, nodeModules: string, into: string): void {
  const files = spawnSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], { cwd: checkout, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(checkout, file))) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(checkout, file), join(into, file));
  }
  symlinkSync(nodeModules, join(into, 'node_modules'));
}

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export class Rehearsal {
  private readonly env: NodeJS.ProcessEnv;
  private postgres?: { stop: () => Promise<void> };

  constructor(
    private readonly options: RehearsalOptions,
    private readonly plane: ControlPlane,
    private readonly home: string,
  ) {
    const bin = join(options.workDir, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(options.tools.tofu, join(bin, 'tofu'));
    const cliConfig = join(options.workDir, 'tofu.tfrc');
    // Providers from the mirror only: no `direct`, so nothing is ever asked of a registry.
    writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path    = "${options.tools.providerMirror}"\n    include = ["registry.opentofu.org/hashicorp/*"]\n  }\n}\n`);
    this.env = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      TERRAFORM_BINARY_NAME: 'tofu',
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      CI: '1',
      // Go (the providers) and Node read the rehearsal CA for the chart repository and API servers.
      SSL_CERT_FILE: plane.caFile,
      NODE_EXTRA_CA_CERTS: plane.caFile,
      TF_VAR_cluster_token: plane.deployerToken,
      PG_CONN_STR: 'postgres://postgres@127.0.0.1:5432/hsa_state?sslmode=disable',
      npm_config_offline: 'true',
    };
    // The switchover's deployer passes its own environment on to `cdktf deploy`.
    Object.assign(process.env, this.env);
  }

  /** Every command the rehearsal runs: its environment, 15 minutes at most, output without colours. */
  private run(command: string, args: readonly string[], cwd: string, extra: NodeJS.ProcessEnv = {}): Run {
    const result: SpawnSyncReturns<string> = spawnSync(command, args, { cwd, env: { ...this.env, ...extra }, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 900_000 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
    return { status: result.status, output: output.replace(/\u001b\[[0-9;]*m/g, '') };
  }

  private tofu(stackDir: string, args: readonly string[]): Run {
    return this.run(this.options.tools.tofu, [`-chdir=${stackDir}`, ...args], stackDir);
  }

  /** PostgreSQL for the pg state backend, on 127.0.0.1:5432 inside the namespace. */
  async startPostgres(): Promise<void> {
    const bin = postgresqlBin();
    const dataDir = join(this.options.workDir, 'postgres');
    mkdirSync(dataDir, { recursive: true });
    spawnSync('chown', ['-R', 'postgres:postgres', dataDir]);
    const asPostgres = (args: string[]) => spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' });
    const init = asPostgres([join(bin, 'initdb'), '-D', dataDir, '-A', 'trust', '-U', 'postgres']);
    if (init.status !== 0) throw new Error(`initdb: ${init.stderr}`);
    const child = spawn('runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), '-D', dataDir, '-p', '5432', '-k', dataDir, '-c', 'listen_addresses=127.0.0.1'], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', '5432'], { stdio: 'ignore' }).status !== 0) {
      if (Date.now() > deadline) throw new Error('PostgreSQL did not start within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const created = asPostgres([join(bin, 'psql'), '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-c', 'CREATE DATABASE hsa_state']);
    if (created.status !== 0) throw new Error(`create database: ${created.stderr}`);
    this.postgres = { stop: () => stop(child) };
  }

  /** The chart repository, at every province's chart host name (they resolve to 127.0.0.2 here). */
  async serveCharts(hostNames: readonly string[]): Promise<{ stop: () => Promise<void> }> {
    const repoDir = join(this.options.workDir, 'charts');
    mkdirSync(repoDir, { recursive: true });
    const child = await startChartServer(repoDir, '127.0.0.2', this.plane.servingCertificate('charts', hostNames));
    return { stop: () => stop(child) };
  }

  async stopPostgres(): Promise<void> {
    await this.postgres?.stop();
  }

  /** The ClusterRole of docs/deployer-rbac.yaml, bound to the deploy identity's group, applied as admin. */
  private async bindDeployer(endpoint: ClusterEndpoint): Promise<void> {
    const documents = readFileSync(join(this.options.projectRoot, 'docs', 'deployer-rbac.yaml'), 'utf8')
      .split(/^---$/m)
      .map((d) => parseYaml(d) as JsonObject | null)
      .filter((d): d is JsonObject => d !== null);
    for (const document of documents) {
      const kind = String(document.kind);
      const plural = kind === 'ClusterRole' ? 'clusterroles' : kind === 'ClusterRoleBinding' ? 'clusterrolebindings' : undefined;
      if (!plural) throw new Error(`docs/deployer-rbac.yaml: unexpected kind ${kind}`);
      const name = String((document.metadata as JsonObject).name);
      const res = await kubeRequest(endpoint, this.plane.adminToken, 'PATCH', `/apis/rbac.authorization.k8s.io/v1/${plural}/${name}?fieldManager=rehearsal&force=true`, document);
      if (res.status >= 300) throw new Error(`applying ${kind} ${name}: ${JSON.stringify(res.body)}`);
    }
    const subjects = documents.flatMap((d) => ((d.subjects as JsonObject[] | undefined) ?? []).map((s) => String(s.name)));
    if (!subjects.includes(DEPLOYER_GROUP)) throw new Error(`docs/deployer-rbac.yaml binds no subject ${DEPLOYER_GROUP}`);
  }

  /** The environment file as the rehearsal deploys it, with the changes it had to make (listed). */
  private prepareEnvironment(envName: string, project: string, endpoints: ReadonlyMap<string, ClusterEndpoint>): string[] {
    const file = join(project, 'environments', `${envName}.json`);
    const env = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
    const changes: string[] = [];
    const registry = env.registry as JsonObject;
    if (String(registry.charts).startsWith('oci://')) {
      const host = String(registry.charts).replace(/^oci:\/\//, '').split('/')[0]!;
      const https = `https://${host}/charts`;
      changes.push(`registry.charts ${String(registry.charts)} -> ${https} (no OCI registry here; the same charts over HTTPS)`);
      registry.charts = https;
    }
    const backend = env.backend as JsonObject | undefined;
    if (backend?.type === 's3') {
      env.backend = { type: 'pg', schemaPrefix: `rehearsal-${envName}` };
      changes.push('backend s3 -> pg (no S3-compatible server here: MinIO is AGPL)');
    }
    const kubeconfigs = new Map<string, { context: string; endpoint: ClusterEndpoint; token: string }[]>();
    for (const site of SITES) {
      for (const zone of ZONES) {
        const cluster = ((((env.sites as JsonObject)[site] as JsonObject).zones as JsonObject)[zone] as JsonObject).cluster as JsonObject;
        const endpoint = endpoints.get(`${envName}-${zone}-${site.toLowerCase()}`)!;
        if (cluster.kubeconfig) {
          const { path, context } = cluster.kubeconfig as { path: string; context: string };
          const list = kubeconfigs.get(path) ?? [];
          list.push({ context, endpoint, token: this.plane.deployerToken });
          kubeconfigs.set(path, list);
        } else {
          if (String(cluster.host) !== endpoint.server) throw new Error(`${envName} ${site}/${zone}: host ${String(cluster.host)} is not served at ${endpoint.server}`);
          mkdirSync(dirname(join(project, String(cluster.caCertificateFile))), { recursive: true });
          writeFileSync(join(project, String(cluster.caCertificateFile)), readFileSync(this.plane.caFile));
          changes.push(`${String(cluster.caCertificateFile)}: the rehearsal CA (its API server's certificate is the rehearsal's)`);
        }
      }
    }
    for (const [path, contexts] of kubeconfigs) {
      const target = path.startsWith('~/') ? join(this.home, path.slice(2)) : join(project, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, kubeconfigText(contexts), { mode: 0o600 });
    }
    writeFileSync(file, `${JSON.stringify(env, null, 2)}\n`);
    return changes;
  }

  private synth(envName: string, project: string, site: Site): ReadonlyMap<string, StackJson> {
    const run = this.run('npm', ['run', 'synth', '--', '--env', envName, '--active-site', site, '--cache', 'off'], project);
    if (run.status !== 0) throw new Error(`npm run synth -- --env ${envName} --active-site ${site}: ${tail(run.output)}`);
    const stacks = new Map<string, StackJson>();
    for (const zone of ZONES) {
      for (const s of SITES) {
        const name = `${envName}-${zone}-${s.toLowerCase()}`;
        const dir = join(project, 'cdktf.out', 'stacks', name);
        const json = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as StackJson;
        writeFileSync(join(dir, OVERRIDE_FILE), JSON.stringify(waitOverrides(json), null, 2));
        stacks.set(name, json);
      }
    }
    return stacks;
  }

  /** A plan file as JSON (`tofu show -json`), as a province's CI would hand it to `npm run review -- --plan`. */
  private planJson(stackDir: string, planFile: string): string {
    const shown = this.tofu(stackDir, ['show', '-json', planFile]);
    if (shown.status !== 0) throw new Error(`tofu show -json: ${tail(shown.output)}`);
    return shown.output.slice(shown.output.indexOf('{'));
  }

  /** Changed addresses of a plan file, with the attributes that differ. */
  private planChanges(stackDir: string, planFile: string, json = this.planJson(stackDir, planFile)): { address: string; actions: string[]; fields: string[] }[] {
    const plan = JSON.parse(json) as { resource_changes?: { address: string; change: { actions: string[]; before?: JsonObject; after?: JsonObject } }[] };
    return (plan.resource_changes ?? [])
      .filter((c) => !(c.change.actions.length === 1 && (c.change.actions[0] === 'no-op' || c.change.actions[0] === 'read')))
      .map((c) => ({ address: c.address, actions: c.change.actions, fields: differingFields(c.change.before, c.change.after) }));
  }

  private secondPlan(stackDir: string): string[] {
    const plan = this.tofu(stackDir, ['plan', '-input=false', '-no-color', '-lock-timeout=120s', '-detailed-exitcode', '-out=second.tfplan']);
    if (plan.status === 0) return [];
    if (plan.status !== 2) return [`plan failed: ${tail(plan.output, 6)}`];
    return this.planChanges(stackDir, 'second.tfplan').map((c) => `${c.address} ${c.actions.join('+')} (${c.fields.slice(0, 6).join(', ')})`);
  }

  private resourceCount(stackDir: string): number {
    const list = this.tofu(stackDir, ['state', 'list']);
    return list.status === 0 ? list.output.trim().split('\n').filter(Boolean).length : -1;
  }

  /**
   * Admission webhooks the operators' charts register (CloudNativePG's) are served by the operator's
   * pod, which never runs here: the API server would refuse every Cluster with "failed calling
   * webhook". They are removed, named in the results; the CloudNativePG drill admits the Clusters through
   * the operator's own webhook code instead (test/drills/cloudnative-pg.test.ts).
   */
  private async removeWebhooks(endpoint: ClusterEndpoint): Promise<void> {
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const list = (await kubeRequest(endpoint, this.plane.adminToken, 'GET', `/apis/admissionregistration.k8s.io/v1/${kind}`)).body as { items?: JsonObject[] };
      for (const item of list.items ?? []) {
        const name = String((item.metadata as JsonObject).name);
        const res = await kubeRequest(endpoint, this.plane.adminToken, 'DELETE', `/apis/admissionregistration.k8s.io/v1/${kind}/${name}`);
        if (res.status >= 300) throw new Error(`deleting ${kind}/${name} in ${endpoint.name}: ${JSON.stringify(res.body)}`);
        this.webhooksRemoved.add(`${kind.replace('webhookconfigurations', '')} ${name}`);
      }
    }
  }

  private readonly webhooksRemoved = new Set<string>();
  private endpoints = new Map<string, ClusterEndpoint>();

  /** The first deploy of every stack as `npm run runbook -- --first-deploy` prints it, then the checks. */
  private async firstDeploy(envName: string, project: string, site: Site): Promise<StackResult[]> {
    const runbook = this.run('npm', ['run', '--silent', 'runbook', '--', '--env', envName, '--first-deploy', 'cdktf.out'], project);
    if (runbook.status !== 0) throw new Error(`runbook --first-deploy: ${tail(runbook.output)}`);
    const results: StackResult[] = [];
    const lines = runbook.output.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    let failed: string | undefined;
    for (const line of lines) {
      const terraform = /^terraform -chdir=(\S+) (.*)$/.exec(line);
      const deploy = /^HSA_ENV=(\S+) npx (cdktf deploy (\S+)(?: .*)?)$/.exec(line);
      if (terraform) {
        const [, dir, rest] = terraform as unknown as [string, string, string];
        const run = this.run(this.options.tools.tofu, [`-chdir=${dir}`, ...rest.split(' '), ...(rest.startsWith('apply') ? ['-auto-approve'] : [])], project);
        this.options.log(`  $ tofu -chdir=${dir} ${rest}: ${run.status === 0 ? 'ok' : `FAILED\n${tail(run.output, 15)}`}`);
        if (run.status !== 0) failed = `${line}: ${tail(run.output, 8)}`;
      } else if (deploy) {
        const [, , command, stack] = deploy as unknown as [string, string, string, string];
        const stackDir = join(project, 'cdktf.out', 'stacks', stack);
        const init = failed === undefined && (existsSync(join(stackDir, '.terraform')) || this.tofu(stackDir, ['init', '-input=false', '-no-color']).status === 0);
        const validate = init && this.tofu(stackDir, ['validate', '-no-color']).status === 0;
        await this.removeWebhooks(this.endpoints.get(stack)!);
        const run = validate ? this.run('npx', [...command.split(' '), '--auto-approve', '--skip-synth'], project, { HSA_ENV: envName }) : { status: 1, output: failed ?? 'init or validate failed' };
        const applied = run.status === 0;
        const error = applied ? undefined : (failed ?? tail(run.output, 20));
        this.options.log(`  $ ${line} --auto-approve --skip-synth: ${applied ? 'applied' : `FAILED\n${error ?? ''}`}`);
        results.push({ stack, activeSite: site, init, validate, applied, resources: applied ? this.resourceCount(stackDir) : 0, secondPlanChanges: applied ? this.secondPlan(stackDir) : [], ...(error ? { error } : {}) });
        failed = undefined;
      } else {
        throw new Error(`runbook --first-deploy printed a line the rehearsal does not know: ${line}`);
      }
    }
    return results;
  }

  /** Pods the controllers created, and every creation the API server refused (FailedCreate events). */
  private async pods(endpoints: readonly ClusterEndpoint[]): Promise<ProvinceResult['pods']> {
    await new Promise((r) => setTimeout(r, 15_000));
    let created = 0;
    let workloads = 0;
    const refused: string[] = [];
    for (const endpoint of endpoints) {
      const get = async (path: string) => (await kubeRequest(endpoint, this.plane.adminToken, 'GET', path)).body as { items?: JsonObject[] };
      created += (await get('/api/v1/pods')).items?.length ?? 0;
      workloads += ((await get('/apis/apps/v1/deployments')).items?.length ?? 0) + ((await get('/apis/apps/v1/statefulsets')).items?.length ?? 0);
      for (const event of (await get('/api/v1/events?fieldSelector=reason%3DFailedCreate')).items ?? []) {
        const object = event.involvedObject as JsonObject;
        refused.push(`${endpoint.name} ${String(object.kind)} ${String(object.namespace)}/${String(object.name)}: ${String(event.message)}`);
      }
    }
    return { created, refused, workloads };
  }

  /** See AccessReviewResult: the bindings are read back from the API server, as applied. */
  private async accessReviews(stacks: ReadonlyMap<string, StackJson>): Promise<AccessReviewResult> {
    const bindings: string[] = [];
    const wrong: string[] = [];
    const grantingNobody: string[] = [];
    let checked = 0;
    for (const [name, stack] of stacks) {
      const endpoint = this.endpoints.get(name);
      if (!endpoint) continue;
      const admin = async (method: string, path: string, body?: unknown) => (await kubeRequest(endpoint, this.plane.adminToken, method, path, body)).body as JsonObject;
      for (const declared of Object.values(stack.resource?.kubernetes_cluster_role_binding_v1 ?? {})) {
        const bindingName = String((declared.metadata as JsonObject).name);
        const binding = await admin('GET', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${bindingName}`);
        const role = await admin('GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${String((binding.roleRef as JsonObject | undefined)?.name)}`);
        bindings.push(`${name} ${bindingName}`);
        const rules = (role.rules as { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[] | undefined) ?? [];
        if (rules.length === 0) wrong.push(`${name} ${bindingName}: its ClusterRole is missing or empty in the cluster`);
        const granted = rules.flatMap((rule) => (rule.resources ?? []).flatMap((resource) => (rule.verbs ?? []).map((verb) => ({ group: rule.apiGroups?.[0] ?? '', verb, resource: resource.split('/')[0]!, subresource: resource.split('/')[1] }))));
        const holds = (a: { verb: string; resource: string; subresource?: string }) => granted.some((g) => g.verb === a.verb && g.resource === a.resource && g.subresource === a.subresource);
        for (const subject of (binding.subjects as JsonObject[] | undefined) ?? []) {
          if (subject.kind !== 'ServiceAccount') continue;
          const namespace = String(subject.namespace);
          const user = `system:serviceaccount:${namespace}:${String(subject.name)}`;
          // The binding must name the ServiceAccount a workload runs as (the chart's), or it grants nobody.
          const users = ((await admin('GET', `/api/v1/namespaces/${namespace}/pods`)).items as JsonObject[] | undefined ?? []).map((pod) => String((pod.spec as JsonObject).serviceAccountName));
          if (!users.includes(String(subject.name))) grantingNobody.push(`${name} ${bindingName}: no pod in ${namespace} runs as ${String(subject.name)}: the binding grants nobody`);
          const expectations = [...granted.map((g) => ({ ...g, allowed: true })), ...SENSITIVE.filter((a) => !holds(a)).map((a) => ({ ...a, group: '', allowed: false }))];
          for (const expected of expectations) {
            const review = await admin('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'], resourceAttributes: { group: expected.group, verb: expected.verb, resource: expected.resource, ...(expected.subresource ? { subresource: expected.subresource } : {}) } },
            });
            checked += 1;
            const allowed = (review.status as JsonObject | undefined)?.allowed === true;
            if (allowed !== expected.allowed) wrong.push(`${name} ${user} ${expected.verb} ${expected.resource}${expected.subresource ? `/${expected.subresource}` : ''}: ${allowed ? 'allowed' : 'refused'}`);
          }
        }
      }
    }
    return { bindings, checked, wrong, grantingNobody };
  }

  /** `tofu plan -destroy -target=<address>` of every data holder with prevent_destroy must be refused. */
  private destroyRefusals(project: string, stacks: ReadonlyMap<string, StackJson>, applied: ReadonlySet<string>): ProvinceResult['destroyRefusals'] {
    let tried = 0;
    let refused = 0;
    const notRefused: string[] = [];
    for (const [name, stack] of stacks) {
      // A stack that did not apply holds nothing to destroy (its failure is reported already).
      if (!applied.has(name)) continue;
      const stackDir = join(project, 'cdktf.out', 'stacks', name);
      for (const [type, byName] of Object.entries(stack.resource ?? {})) {
        for (const [resourceName, body] of Object.entries(byName)) {
          if (!isDataHolding(type, body) || (body.lifecycle as JsonObject | undefined)?.prevent_destroy !== true) continue;
          tried += 1;
          const plan = this.tofu(stackDir, ['plan', '-destroy', '-input=false', '-no-color', '-lock-timeout=120s', `-target=${type}.${resourceName}`]);
          if (plan.status !== 0 && plan.output.includes('prevent_destroy')) refused += 1;
          else notRefused.push(`${name}/${type}.${resourceName}: exit ${plan.status}`);
        }
      }
    }
    return { tried, refused, notRefused };
  }

  /** A switchover deploy: the plan against the review of the two syntheses, then the deployer applies. */
  private async switchover(envName: string, project: string, before: ReadonlyMap<string, StackJson>, to: Site): Promise<{ results: SwitchoverResult[]; stacks: StackResult[]; after: ReadonlyMap<string, StackJson>; planReview: PlanReviewResult }> {
    const after = this.synth(envName, project, to);
    const results: SwitchoverResult[] = [];
    const planFiles: string[] = [];
    for (const [name, head] of after) {
      const stackDir = join(project, 'cdktf.out', 'stacks', name);
      const review = reviewStack(name, before.get(name), head);
      const expected = new Set([...review.added, ...review.changed, ...review.destroyed].map((c) => c.address));
      const plan = this.tofu(stackDir, ['plan', '-input=false', '-no-color', '-lock-timeout=120s', '-out=switchover.tfplan']);
      if (plan.status !== 0) throw new Error(`${name}: switchover plan failed: ${tail(plan.output)}`);
      const json = this.planJson(stackDir, 'switchover.tfplan');
      const file = join(project, 'plans', `${name}-to-${to}.json`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, json);
      planFiles.push(file);
      const planned = new Set(this.planChanges(stackDir, 'switchover.tfplan', json).map((c) => c.address));
      results.push({ stack: name, to, planned: planned.size, planNotInReview: [...planned].filter((a) => !expected.has(a)), reviewNotInPlan: [...expected].filter((a) => !planned.has(a)) });
    }
    // `npm run review -- --plan` on the real plans names the same DR pairs flipping as the review of the
    // two syntheses.
    const reviewed = this.run('npm', ['run', '--silent', 'review', '--', ...planFiles.flatMap((f) => ['--plan', f]), '--stacks', 'cdktf.out'], project);
    const flipsOf = (text: string) => new Set([...text.matchAll(/^- `([^`]+)` (\S+): (\S+) -> (\S+)$/gm)].map((m) => `${m[1]} ${m[2]} -> ${m[4]}`));
    const planFlips = flipsOf(reviewed.output);
    const synthesizedFlips = new Set(reviewTrees({ stacks: before, findings: new Map() }, { stacks: after, findings: new Map() }).flatMap((r) => r.roleFlips.map((f) => `${f.stack} ${f.role} -> ${f.to}`)));
    const planReview = { exit: reviewed.status ?? -1, flips: [...planFlips].sort(), missing: [...synthesizedFlips].filter((f) => !planFlips.has(f)), extra: [...planFlips].filter((f) => !synthesizedFlips.has(f)) };
    writeFileSync(join(project, 'plans', `review-to-${to}.md`), reviewed.output);
    // The switchover's deployer, as `npm run switchover -- --execute` runs it: datacenter `to` first.
    const deployer = new CdktfDeployer(envName, project, { synthesize: false });
    const stacks: StackResult[] = [];
    for (const site of [to, to === 'A' ? 'B' : 'A'] as const) {
      const names = ZONES.map((zone) => `${envName}-${zone}-${site.toLowerCase()}`);
      let error: string | undefined;
      for (const name of names) await this.removeWebhooks(this.endpoints.get(name)!);
      await deployer.deploy(names, to).catch((e: unknown) => (error = String(e)));
      for (const name of names) {
        const stackDir = join(project, 'cdktf.out', 'stacks', name);
        stacks.push({ stack: name, activeSite: to, init: true, validate: true, applied: error === undefined, resources: this.resourceCount(stackDir), secondPlanChanges: error === undefined ? this.secondPlan(stackDir) : [], ...(error ? { error } : {}) });
      }
    }
    return { results, stacks, after, planReview };
  }

  /**
   * Two deploys of one pg-backed stack at once: the first holds the state lock (waiting at its
   * confirmation prompt), the second must wait or fail on the lock; the state is unchanged.
   */
  private async concurrentDeploy(stackDir: string): Promise<ProvinceResult['concurrentDeploy']> {
    const before = this.tofu(stackDir, ['state', 'list']).output;
    // A replacement to confirm keeps the first apply at its prompt, holding the lock; it is answered no.
    const victim = before.split('\n').find((a) => a.startsWith('kubernetes_config_map_v1.'));
    if (!victim) throw new Error(`${stackDir}: no ConfigMap in state to hold the lock with`);
    const first = spawn(this.options.tools.tofu, [`-chdir=${stackDir}`, 'apply', '-input=true', '-no-color', `-replace=${victim}`], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let firstOutput = '';
    first.stdout.on('data', (c: Buffer) => (firstOutput += c.toString('utf8')));
    first.stderr.on('data', (c: Buffer) => (firstOutput += c.toString('utf8')));
    const deadline = Date.now() + 300_000;
    while (!firstOutput.includes('Enter a value') && first.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const second = this.tofu(stackDir, ['apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=0s']);
    first.stdin.end('no\n');
    await new Promise((r) => first.once('exit', r));
    const after = this.tofu(stackDir, ['state', 'list']).output;
    const message = /Error acquiring the state lock[^\n]*/.exec(second.output)?.[0] ?? tail(second.output, 4);
    return { secondRefused: second.status !== 0 && second.output.includes('state lock'), message, stateIntact: before === after && before.trim().length > 0, resources: before.trim().split('\n').length };
  }

  async province(envName: string): Promise<ProvinceResult> {
    const started = Date.now();
    const log = this.options.log;
    this.webhooksRemoved.clear();
    const project = join(this.options.workDir, envName);
    copyProject(this.options.deployed ?? this.options.projectRoot, join(this.options.projectRoot, 'node_modules'), project);
    const envJson = JSON.parse(readFileSync(join(project, 'environments', `${envName}.json`), 'utf8')) as JsonObject;
    const endpoints = new Map<string, ClusterEndpoint>();
    let port = 6443;
    for (const site of SITES) {
      for (const zone of ZONES) {
        const name = `${envName}-${zone}-${site.toLowerCase()}`;
        const cluster = ((((envJson.sites as JsonObject)[site] as JsonObject).zones as JsonObject)[zone] as JsonObject).cluster as JsonObject;
        const url = cluster.host ? new URL(String(cluster.host)) : undefined;
        const host = url?.hostname ?? '127.0.0.1';
        const listen = url ? { address: this.options.hosts.get(host)!, port: Number(url.port || 443), host } : { address: '127.0.0.1', port: port++, host };
        endpoints.set(name, await this.plane.startCluster(name, listen));
        await this.bindDeployer(endpoints.get(name)!);
      }
    }
    log(`${envName}: 4 API servers and controller managers ready`);
    const changes = this.prepareEnvironment(envName, project, endpoints);
    const activeSite = envJson.activeSite as Site;
    const other: Site = activeSite === 'A' ? 'B' : 'A';
    const first = this.synth(envName, project, activeSite);
    const packaged = packageCharts(this.options.helm, this.options.sources, chartsOf(first.values()), join(this.options.workDir, 'charts'), join(this.options.workDir, 'chart-scratch'));
    log(`${envName}: charts served: ${packaged.join(', ')}`);
    this.endpoints = endpoints;
    const stacks = await this.firstDeploy(envName, project, activeSite);
    const pods = await this.pods([...endpoints.values()]);
    log(`${envName}: pods created ${pods.created}, refused ${pods.refused.length}`);
    const accessReviews = await this.accessReviews(new Map([...first].filter(([name]) => stacks.some((s) => s.stack === name && s.applied))));
    log(`${envName}: access reviews ${accessReviews.checked - accessReviews.wrong.length} of ${accessReviews.checked} as the roles say`);
    const destroyRefusals = this.destroyRefusals(project, first, new Set(stacks.filter((s) => s.applied).map((s) => s.stack)));
    const switchover: SwitchoverResult[] = [];
    const planReviews: PlanReviewResult[] = [];
    if (stacks.every((s) => s.applied)) {
      const there = await this.switchover(envName, project, first, other);
      const back = await this.switchover(envName, project, there.after, activeSite);
      switchover.push(...there.results, ...back.results);
      planReviews.push(there.planReview, back.planReview);
      stacks.push(...there.stacks, ...back.stacks);
    }
    const pgStack = [...first.keys()].find((name) => (first.get(name)!.terraform as JsonObject | undefined)?.backend && 'pg' in ((first.get(name)!.terraform as JsonObject).backend as JsonObject));
    const concurrentDeploy = pgStack ? await this.concurrentDeploy(join(project, 'cdktf.out', 'stacks', pgStack)) : undefined;
    await this.plane.stopClusters([...endpoints.keys()]);
    return { environment: envName, changes, stacks, pods, accessReviews, destroyRefusals, switchover, planReviews, webhooksRemoved: [...this.webhooksRemoved].sort(), ...(concurrentDeploy ? { concurrentDeploy } : {}), seconds: (Date.now() - started) / 1000 };
  }
}

/** Charts (name and version) every helm_release of the stacks names. */
export function chartsOf(stacks: Iterable<StackJson>): ChartRef[] {
  const found = new Map<string, ChartRef>();
  for (const stack of stacks) {
    for (const body of Object.values((stack.resource ?? {}).helm_release ?? {})) found.set(`${String(body.chart)}@${String(body.version)}`, { chart: String(body.chart), version: String(body.version) });
  }
  return [...found.values()].sort((a, b) => a.chart.localeCompare(b.chart));
}

