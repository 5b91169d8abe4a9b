/**
 * An application storing files at a steady rate, run inside one datacenter's namespace by the FastDFS
 * drill: like a FastDFS client it asks its tracker where to upload (QUERY_STORE) and uploads there, one
 * file at a time, each with unique content. One line per acknowledged upload goes to the log:
 * `<file id> <sha256 of the content> <storage address> <epoch ms>`; a failed attempt logs
 * `- failed <reason> <epoch ms>`. Runs until the stop file appears or the time is up.
 * Arguments: log file, stop file, uploads per second, maximum seconds, tracker host:port.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { storeFile, uploadTarget } from '../../../pairs/fastdfs/fastdfs-member';

async function main(): Promise<void> {
  const [log, stopFile, rate, seconds, tracker] = process.argv.slice(2) as [string, string, string, string, string];
  const [host, port] = tracker.split(':') as [string, string];
  const until = Date.now() + Number(seconds) * 1000;
  const interval = 1000 / Number(rate);
  for (let n = 0; Date.now() < until && !existsSync(stopFile); n++) {
    const started = Date.now();
    const content = Buffer.from(`drill file ${n} ${started} ${process.pid}\n`);
    try {
      const target = await uploadTarget({ host, port: Number(port) });
      if (!target) throw new Error('no writable storage server');
      const id = await storeFile({ host: target.address, port: target.port }, content, 'txt', target.storePathIndex);
      appendFileSync(log, `${id} ${createHash('sha256').update(content).digest('hex')} ${target.address} ${Date.now()}\n`);
    } catch (e) {
      appendFileSync(log, `- failed ${String((e as Error).message).replace(/\s+/g, '_')} ${Date.now()}\n`);
    }
    const wait = interval - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

void main().then(() => process.exit(0));
