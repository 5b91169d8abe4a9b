/**
 * A client at a steady rate, run inside one datacenter's namespace by the drills: writes unique keys
 * `<prefix>:<n>` to each server named, one command at a time, and appends one line per attempt to a
 * log: `<server> <n> ok|refused <epoch ms>`. Runs until the stop file appears or the time is up, and
 * reconnects after a lost connection. Arguments: log file, stop file, password, CA file (the servers
 * speak TLS), rate per second per server, maximum seconds, prefix, then the servers as host:port.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { RespClient, type RedisTls } from '../../../pairs/redis/resp-client';

async function writeTo(server: string, prefix: string, password: string, tls: RedisTls, rate: number, until: number, stopFile: string, log: string): Promise<void> {
  const [host, port] = server.split(':') as [string, string];
  let client: RespClient | undefined;
  let n = 0;
  const interval = 1000 / rate;
  while (Date.now() < until && !existsSync(stopFile)) {
    const started = Date.now();
    try {
      if (!client) {
        client = await RespClient.connect(Number(port), host, 1000, tls);
        await client.call('AUTH', password);
      }
      const [reply] = await client.pipeline([['SET', `${prefix}:${n}`, String(n)]]);
      appendFileSync(log, `${server} ${n} ${reply === 'OK' ? 'ok' : 'refused'} ${Date.now()}\n`);
      if (reply instanceof Error && /connection|no reply/.test(reply.message)) {
        client.close();
        client = undefined;
      }
    } catch {
      appendFileSync(log, `${server} ${n} refused ${Date.now()}\n`);
      client?.close();
      client = undefined;
    }
    n++;
    const wait = interval - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  client?.close();
}

const [log, stopFile, password, caFile, rate, seconds, prefix, ...servers] = process.argv.slice(2) as [string, string, string, string, string, string, string, ...string[]];
const until = Date.now() + Number(seconds) * 1000;
const tls: RedisTls = { ca: readFileSync(caFile) };
void Promise.all(servers.map((server) => writeTo(server, prefix, password, tls, Number(rate), until, stopFile, log))).then(() => process.exit(0));
