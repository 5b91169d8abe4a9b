/**
 * The fake server behind the test-only "echo" kind: a replicated counter speaking one line per command
 * over TCP on loopback. A primary takes WRITE (refused once FENCEd); a replica copies its primary's offset
 * every 20 ms over the same protocol, so catching up takes real round trips.
 *
 *   ROLE            -> "primary <offset> <fenced 0|1>" | "replica <host:port> <offset>"
 *   WRITE           -> "OK <offset>" | "ERR fenced" | "ERR replica"
 *   FENCE           -> "OK"
 *   PROMOTE         -> "OK <offset>"
 *   FOLLOW <h:p>    -> "OK"
 *   UNFENCE         -> "OK"
 */
import { createConnection, createServer, type Server } from 'node:net';

export type EchoRole = { readonly role: 'primary'; readonly offset: number; readonly fenced: boolean } | { readonly role: 'replica'; readonly following: string; readonly offset: number };

export class EchoServer {
  private role: 'primary' | 'replica' = 'primary';
  private following = '';
  private offset = 0;
  private fenced = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    this.timer = setInterval(() => void this.pull(), 20);
  }

  static async start(): Promise<EchoServer> {
    let instance: EchoServer | undefined;
    const server = createServer((socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8');
        for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
          const line = buffered.slice(0, end).trim();
          buffered = buffered.slice(end + 1);
          socket.write(`${instance!.answer(line)}\n`);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('echo server: no port');
    instance = new EchoServer(server, address.port);
    return instance;
  }

  private answer(line: string): string {
    const [command, argument] = line.split(' ');
    switch (command) {
      case 'ROLE':
        return this.role === 'primary' ? `primary ${this.offset} ${this.fenced ? 1 : 0}` : `replica ${this.following} ${this.offset}`;
      case 'WRITE':
        if (this.role === 'replica') return 'ERR replica';
        if (this.fenced) return 'ERR fenced';
        this.offset += 1;
        return `OK ${this.offset}`;
      case 'FENCE':
        this.fenced = true;
        return 'OK';
      case 'UNFENCE':
        this.fenced = false;
        return 'OK';
      case 'PROMOTE':
        this.role = 'primary';
        this.following = '';
        return `OK ${this.offset}`;
      case 'FOLLOW':
        this.role = 'replica';
        this.following = argument ?? '';
        this.fenced = false;
        return 'OK';
      default:
        return `ERR unknown command ${command}`;
    }
  }

  /** A replica copies its primary's offset (a primary's fence does not stop reads). */
  private async pull(): Promise<void> {
    if (this.role !== 'replica' || !this.following) return;
    const reply = await echoCommand(this.following, 'ROLE').catch(() => undefined);
    const offset = reply?.startsWith('primary ') ? Number(reply.split(' ')[1]) : undefined;
    if (offset !== undefined && this.role === 'replica') this.offset = Math.max(this.offset, offset);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One command to an echo server at `host:port`; its one-line answer. */
export function echoCommand(address: string, command: string, timeoutMs = 1000): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: host!, port: Number(port) });
    const timer = setTimeout(() => socket.destroy(new Error(`echo ${address}: no answer in ${timeoutMs} ms`)), timeoutMs);
    let buffered = '';
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(buffered.slice(0, end));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The server's ROLE answer, parsed. */
export async function echoRole(address: string): Promise<EchoRole> {
  const [role, first, second] = (await echoCommand(address, 'ROLE')).split(' ');
  return role === 'primary' ? { role: 'primary', offset: Number(first), fenced: second === '1' } : { role: 'replica', following: first ?? '', offset: Number(second) };
}
