/**
 * A Kubernetes control plane per cluster the environment names, on 127.0.0.1 inside the rehearsal's
 * network namespace: one etcd, and per cluster a kube-apiserver (its own etcd prefix, its own port, token
 * authentication, RBAC, the default admission plugins: NamespaceLifecycle, LimitRanger, ServiceAccount,
 * PodSecurity, ResourceQuota...) and a kube-controller-manager (ResourceQuota status, ReplicaSets, Pods
 * from Deployments and StatefulSets, service-account tokens). No kubelet: pods are admitted and stored,
 * never run.
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stop } from '../backup/restore-verify';
import type { RehearsalTools } from './tools';

/** The deploy identity: not cluster-admin, bound to the ClusterRole docs/deploy-rehearsal.md documents. */
export const DEPLOYER_USER = 'hsa-deployer';
export const DEPLOYER_GROUP = 'hsa:deployers';

export interface ClusterEndpoint {
  readonly name: string;
  readonly server: string;
  readonly caFile: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ControlPlaneError extends Error {}

/** An HTTPS call to an API server with a bearer token; answers status and parsed body. */
export function kubeRequest(endpoint: ClusterEndpoint, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, endpoint.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        // A fresh connection each time: a kept-alive one the API server has since closed fails with EPIPE.
        agent: false,
        ca: readFileSync(endpoint.caFile),
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload ? { 'content-type': method === 'PATCH' ? 'application/apply-patch+yaml' : 'application/json' } : {}) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain text (readyz)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href}: no answer in 30 s`)));
    if (payload) req.write(payload);
    req.end();
  });
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The processes of one rehearsal: etcd and every cluster's API server and controller manager. */
export class ControlPlane {
  private readonly processes: { name: string; child: ChildProcess }[] = [];
  private readonly endpoints = new Map<string, ClusterEndpoint>();
  readonly adminToken = randomBytes(24).toString('hex');
  readonly deployerToken = randomBytes(24).toString('hex');
  readonly caFile: string;
  private readonly etcdUrl = 'http://127.0.0.1:2379';

  private constructor(
    private readonly tools: RehearsalTools,
    private readonly dir: string,
  ) {
    this.caFile = join(dir, 'ca.crt');
  }

  /** Certificates, tokens and etcd; clusters come with `startCluster`. */
  static async start(tools: RehearsalTools, dir: string): Promise<ControlPlane> {
    mkdirSync(dir, { recursive: true });
    const plane = new ControlPlane(tools, dir);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=hsa-rehearsal-ca'], dir);
    openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
    openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
    writeFileSync(join(dir, 'tokens.csv'), `${plane.adminToken},rehearsal-admin,1,"system:masters"\n${plane.deployerToken},${DEPLOYER_USER},2,"${DEPLOYER_GROUP}"\n`, { mode: 0o600 });
    plane.launch('etcd', tools.etcd, ['--data-dir', join(dir, 'etcd'), '--listen-client-urls', plane.etcdUrl, '--advertise-client-urls', plane.etcdUrl, '--listen-peer-urls', 'http://127.0.0.1:2380', '--quota-backend-bytes', String(4 << 30)]);
    await plane.until('etcd answers', 60, async () => {
      const res = await fetch(`${plane.etcdUrl}/health`).catch(() => undefined);
      return res?.ok ? true : undefined;
    });
    return plane;
  }

  private launch(name: string, binary: string, args: readonly string[]): ChildProcess {
    const log = openSync(join(this.dir, `${name}.log`), 'a');
    const child = spawn(binary, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.processes.push({ name, child });
    child.once('exit', (code, signal) => {
      if (!this.stopping) process.stderr.write(`rehearsal: ${name} exited (${code ?? signal}); its log: ${join(this.dir, `${name}.log`)}\n`);
    });
    return child;
  }

  private stopping = false;

  private async until<T>(what: string, seconds: number, attempt: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const value = await attempt().catch(() => undefined);
      if (value !== undefined) return value;
      await sleep(250);
    }
    throw new ControlPlaneError(`${what}: not within ${seconds} s (logs in ${this.dir})`);
  }

  /**
   * A serving certificate signed by the rehearsal's CA for `names` (DNS names or IP addresses), as
   * `<base>.crt` / `<base>.key` in the control plane's directory.
   */
  servingCertificate(base: string, names: readonly string[]): { cert: string; key: string } {
    const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${names[0]}`], this.dir);
    writeFileSync(join(this.dir, `${base}.ext`), `subjectAltName=${san}\n`);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.crt`, '-days', '2', '-extfile', `${base}.ext`], this.dir);
    return { cert: join(this.dir, `${base}.crt`), key: join(this.dir, `${base}.key`) };
  }

  /**
   * An API server and a controller manager for `name`, listening on `address:port` and reached as
   * `https://<host>:<port>` (`host` resolves to `address` through the network namespace's hosts file);
   * resolves when the API server is ready.
   */
  async startCluster(name: string, listen: { readonly address: string; readonly port: number; readonly host: string }): Promise<ClusterEndpoint> {
    const { address, port, host } = listen;
    const endpoint: ClusterEndpoint = { name, server: `https://${host}:${port}`, caFile: this.caFile };
    const d = (file: string) => join(this.dir, file);
    const serving = this.servingCertificate(`${name}-apiserver`, [...new Set([host, address, 'localhost', 'kubernetes.default.svc'])]);
    this.launch(`${name}-kube-apiserver`, this.tools.kubeApiServer, [
      `--etcd-servers=${this.etcdUrl}`,
      `--etcd-prefix=/registry-${name}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--secure-port=${port}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--client-ca-file=${d('ca.crt')}`,
      `--token-auth-file=${d('tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${d('sa.pub')}`,
      `--service-account-signing-key-file=${d('sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-priority-and-fairness=false',
      // The `kubernetes` Service's endpoint may not be a loopback address; nothing here needs it.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    await this.until(`${name}'s API server ready`, 180, async () => {
      const res = await kubeRequest(endpoint, this.adminToken, 'GET', '/readyz');
      return res.status === 200 ? true : undefined;
    });
    const kubeconfig = d(`${name}-controller-manager.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigText([{ context: name, endpoint, token: this.adminToken }]), { mode: 0o600 });
    this.launch(`${name}-kube-controller-manager`, this.tools.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--service-account-private-key-file=${d('sa.key')}`,
      `--root-ca-file=${d('ca.crt')}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--secure-port=0',
      '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route,-persistentvolume-binder,-attachdetach,-persistentvolume-expander',
    ]);
    this.endpoints.set(name, endpoint);
    return endpoint;
  }

  endpoint(name: string): ClusterEndpoint {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) throw new ControlPlaneError(`no rehearsal cluster named ${name}`);
    return endpoint;
  }

  /** Stops the API servers and controller managers of the named clusters (etcd keeps their data). */
  async stopClusters(names: readonly string[]): Promise<void> {
    const mine = this.processes.filter((p) => names.some((n) => p.name.startsWith(`${n}-kube-`)));
    this.stopping = true;
    await Promise.all(mine.map((p) => stop(p.child)));
    this.stopping = false;
    for (const p of mine) this.processes.splice(this.processes.indexOf(p), 1);
    for (const n of names) this.endpoints.delete(n);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    // Controller managers and API servers first, etcd last.
    for (const p of [...this.processes].reverse()) await stop(p.child);
    this.processes.length = 0;
  }
}

/** A kubeconfig with one context per entry, each with its own cluster and bearer token. */
export function kubeconfigText(contexts: readonly { context: string; endpoint: ClusterEndpoint; token: string }[]): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({ name: c.context, cluster: { server: c.endpoint.server, 'certificate-authority': c.endpoint.caFile } })),
    users: contexts.map((c) => ({ name: c.context, user: { token: c.token } })),
    contexts: contexts.map((c) => ({ name: c.context, context: { cluster: c.context, user: c.context } })),
    'current-context': contexts[0]?.context ?? '',
  };
  return JSON.stringify(doc, null, 2);
}
