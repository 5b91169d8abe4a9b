/**
 * The real charts, served as a Helm repository on loopback: each chart a helm_release names is laid out
 * from the operator's git copy of its upstream repository at the pinned version (with its dependencies,
 * conformance/upstream-charts.ts), packaged with the real Helm and indexed (`helm repo index`). The helm
 * provider resolves every chart against this repository at plan time, as it would against the
 * province's mirror. Nothing here is a stub chart.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { basename, join } from 'node:path';
import { layOutChart } from '../conformance/upstream-charts';

export interface ChartRef {
  readonly chart: string;
  readonly version: string;
}

/** Packages every chart into `repoDir` (skipping ones already packaged) and writes its index.yaml. */
export function packageCharts(helm: string, sources: string, charts: readonly ChartRef[], repoDir: string, scratch: string): string[] {
  mkdirSync(repoDir, { recursive: true });
  const packaged: string[] = [];
  for (const { chart, version } of charts) {
    const archive = join(repoDir, `${chart}-${version}.tgz`);
    if (!existsSync(archive)) {
      const dir = join(scratch, `${chart}-${version}`);
      rmSync(dir, { recursive: true, force: true });
      const chartDir = layOutChart(sources, chart, version, dir);
      // Strimzi's source tree carries a placeholder version (0.1.1) that its release job replaces with the
      // release's version (chart and app alike): the package gets the version the release published.
      const declared = /^version:\s*"?([^"\s]+)/m.exec(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))?.[1];
      const release = declared === version ? [] : ['--version', version, '--app-version', version];
      execFileSync(helm, ['package', chartDir, '--destination', repoDir, ...release], { stdio: ['ignore', 'pipe', 'pipe'] });
      rmSync(dir, { recursive: true, force: true });
    }
    packaged.push(basename(archive));
  }
  execFileSync(helm, ['repo', 'index', repoDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  return packaged;
}

/**
 * Serves `repoDir` read-only over HTTPS at `address:443` with a certificate for the provinces' chart
 * host names (signed by the rehearsal's CA), so `registry.charts` stays as the environment file says. Any
 * path prefix is accepted (`/stable/index.yaml`), since each province names its own.
 */
export function serveCharts(repoDir: string, address: string, tls: { readonly cert: string; readonly key: string }): Promise<Server> {
  const server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const name = decodeURIComponent((req.url ?? '').split('?')[0]!.split('/').pop() ?? '');
    if (req.method !== 'GET' || !readdirSync(repoDir).includes(name)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' });
    createReadStream(join(repoDir, name)).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(443, address, () => resolve(server));
  });
}

/**
 * The chart server in a process of its own: the rehearsal runs OpenTofu synchronously, and a server in
 * its own event loop would not answer the helm provider meanwhile. Resolves once it listens.
 */
export function startChartServer(repoDir: string, address: string, tls: { readonly cert: string; readonly key: string }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', __filename, repoDir, address, tls.cert, tls.key], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the chart server exited (${code}) before it listened`)));
    child.stdout!.once('data', () => resolve(child));
  });
}

if (require.main === module) {
  const [repoDir, address, cert, key] = process.argv.slice(2) as [string, string, string, string];
  void serveCharts(repoDir, address, { cert, key }).then(() => process.stdout.write('listening\n'));
}
