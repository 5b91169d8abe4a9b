/**
 * Starts Debian's redis-server inside a datacenter namespace the way bitnami/redis 20.6.2 starts its
 * primary container, from the values the toolkit synthesized and nothing else of its own:
 *   redis.conf  = `commonConfiguration`                                  (the chart's configmap)
 *   master.conf = `dir <data>` + `master.configuration` + the chart's default disabled commands
 *   certs       = the site's TLS Secret, files named by `tls.certFilename`, `tls.certKeyFilename`,
 *                 `tls.certCAFilename` (the chart mounts it at /opt/bitnami/redis/certs)
 *   start       = with `tls.enabled`: ARGS=(--port 0 --tls-port 6379 --tls-cert-file ... --tls-key-file ...
 *                 --tls-ca-cert-file ... --tls-auth-clients yes|no), the REDIS_TLS_* variables set as the
 *                 chart's pod sets them; without it: ARGS=(--port 6379). Then --requirepass/--masterauth
 *                 $REDIS_PASSWORD, --include redis.conf --include master.conf, `master.preExecCmds`
 *                 verbatim, and `exec redis-server "${ARGS[@]}"`             (the chart's start-master.sh)
 * The drill adds only what one host needs for several pods: `--bind <the server's address>` (each pod
 * has its own IP), a log file and `daemonize no`.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Site } from '../../../model/topology';
import { spawnIn } from './two-datacenters';

/** The values of one Redis release that reach the server. */
export interface RedisReleaseValues {
  readonly commonConfiguration: string;
  readonly tls?: { readonly enabled: boolean; readonly authClients: boolean; readonly certFilename: string; readonly certKeyFilename: string; readonly certCAFilename: string };
  readonly master: { readonly configuration: string; readonly preExecCmds?: readonly string[] };
}

/** bitnami/redis 20.6.2 `master.disableCommands` default. */
const CHART_DISABLED_COMMANDS = ['FLUSHDB', 'FLUSHALL'];

export interface ChartRedis {
  readonly site: Site;
  readonly address: string;
  readonly process: ChildProcess;
  /** The gate's message when it started fenced (stderr of the start script). */
  readonly startOutput: () => string;
}

/** `certsDir`: the site's TLS Secret as mounted files (support/certificates.ts). */
export function startChartRedis(site: Site, address: string, dataDir: string, values: RedisReleaseValues, password: string, certsDir: string): ChartRedis {
  mkdirSync(dataDir, { recursive: true });
  const etc = join(dataDir, 'etc');
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'redis.conf'), `# User-supplied common configuration:\n${values.commonConfiguration}\n# End of common configuration\n`);
  writeFileSync(
    join(etc, 'master.conf'),
    [`dir ${dataDir}`, '# User-supplied master configuration:', values.master.configuration, ...CHART_DISABLED_COMMANDS.map((c) => `rename-command ${c} ""`), '# End of master configuration', ''].join('\n'),
  );
  const tls = values.tls?.enabled ? values.tls : undefined;
  const tlsEnvironment: Record<string, string> = tls
    ? {
        REDIS_TLS_ENABLED: 'yes',
        REDIS_TLS_PORT: '6379',
        REDIS_TLS_AUTH_CLIENTS: tls.authClients ? 'yes' : 'no',
        REDIS_TLS_CERT_FILE: join(certsDir, tls.certFilename),
        REDIS_TLS_KEY_FILE: join(certsDir, tls.certKeyFilename),
        ...(tls.certCAFilename ? { REDIS_TLS_CA_FILE: join(certsDir, tls.certCAFilename) } : {}),
      }
    : { REDIS_TLS_ENABLED: 'no' };
  const script = [
    '#!/bin/bash',
    ...(tls
      ? [
          'ARGS=("--port" "0")',
          'ARGS+=("--tls-port" "${REDIS_TLS_PORT}")',
          'ARGS+=("--tls-cert-file" "${REDIS_TLS_CERT_FILE}")',
          'ARGS+=("--tls-key-file" "${REDIS_TLS_KEY_FILE}")',
          ...(tls.certCAFilename ? ['ARGS+=("--tls-ca-cert-file" "${REDIS_TLS_CA_FILE}")'] : []),
          'ARGS+=("--tls-auth-clients" "${REDIS_TLS_AUTH_CLIENTS}")',
        ]
      : ['ARGS=("--port" "6379")']),
    'ARGS+=("--requirepass" "${REDIS_PASSWORD}")',
    'ARGS+=("--masterauth" "${REDIS_PASSWORD}")',
    `ARGS+=("--include" "${etc}/redis.conf")`,
    `ARGS+=("--include" "${etc}/master.conf")`,
    // The drill's only additions: one host stands in for several pods.
    `ARGS+=("--bind" "${address}" "--daemonize" "no" "--logfile" "${dataDir}/redis.log")`,
    ...(values.master.preExecCmds ?? []),
    'exec redis-server "${ARGS[@]}"',
    '',
  ].join('\n');
  const file = join(dataDir, 'start-master.sh');
  writeFileSync(file, script, { mode: 0o755 });
  const child = spawnIn(site, 'bash', [file], { env: { ...process.env, REDIS_PASSWORD: password, ...tlsEnvironment } });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdout?.resume();
  return { site, address, process: child, startOutput: () => output };
}

/** Stops it as Kubernetes stops a pod (SIGTERM; Redis writes its append-only file), or kills it (-9). */
export async function stopChartRedis(server: ChartRedis, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
  server.process.kill(signal);
  const escalate = setTimeout(() => server.process.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(escalate);
}
