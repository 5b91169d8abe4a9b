/**
 * Runs Debian's redis-server on loopback with a configuration file, for the drills. Every process is
 * tracked and stopped by `stopAll()`, which the drills call in `afterAll` (also after a failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RespClient } from '../../../switchover/resp-client';

const running = new Set<ChildProcess>();

export interface RedisServer {
  readonly port: number;
  readonly process: ChildProcess;
  client(): Promise<RespClient>;
}

export async function startRedis(dir: string, port: number, configuration: string, password: string): Promise<RedisServer> {
  const file = join(dir, 'redis.conf');
  writeFileSync(
    file,
    [
      // What the chart adds around the toolkit's configuration: loopback here instead of the pod network,
      // and the password from the existing Secret (requirepass and masterauth).
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      'daemonize no',
      `dir ${dir}`,
      `requirepass ${password}`,
      `masterauth ${password}`,
      'repl-diskless-sync-delay 0',
      configuration,
    ].join('\n'),
  );
  const child = spawn('redis-server', [file], { stdio: 'ignore' });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const server: RedisServer = {
    port,
    process: child,
    async client() {
      const c = await RespClient.connect(port);
      await c.call('AUTH', password);
      return c;
    },
  };
  await waitUntil(async () => {
    try {
      const c = await server.client();
      const pong = await c.call('PING');
      c.close();
      return pong === 'PONG';
    } catch {
      return false;
    }
  }, 10_000, `redis-server on port ${port} did not start`);
  return server;
}

/** Stops a server the way Kubernetes stops a pod (SIGTERM: Redis flushes its append-only file). */
export async function stopRedis(server: RedisServer): Promise<void> {
  if (server.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
  server.process.kill('SIGTERM');
  const escalate = setTimeout(() => server.process.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(escalate);
}

/** Kills every server still running and waits for them to exit. */
export async function stopAll(): Promise<void> {
  const exits = [...running].map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve()))));
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
  running.clear();
}

export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(`${message} within ${timeoutMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
