/**
 * A minimal Redis (RESP2) client: pipelined commands over one connection. Used by the switchover to
 * read replication state, promote, fence and copy divergent keys, and by the drills. Small on purpose:
 * the switchover needs exact control over what is sent and when. A lost connection or a reply that
 * does not come in time fails every waiting command; nothing waits forever.
 *
 * The toolkit's Redis servers listen on TLS only: `tls` carries the CA that issued their certificates,
 * and the server's certificate must name the address connected to.
 */
import { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export type Reply = string | number | null | Reply[] | Error;
/** A reply whose bulk strings are kept as bytes (DUMP payloads are binary). */
export type BinaryReply = Buffer | number | null | BinaryReply[] | Error;
/** A command argument: text, or bytes (binary keys and DUMP payloads). */
export type Argument = string | Buffer;

/** TLS to a server whose certificate `ca` issued (PEM). */
export interface RedisTls {
  readonly ca: Buffer;
}

interface Waiter {
  readonly resolve: (reply: BinaryReply) => void;
}

export class RespClient {
  private buffer = Buffer.alloc(0);
  private readonly waiting: Waiter[] = [];
  private closedBecause: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly replyTimeoutMs: number,
  ) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (error: Error) => {
      this.closedBecause ??= error;
      for (const waiter of this.waiting.splice(0)) waiter.resolve(this.closedBecause);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000, tls?: RedisTls): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const connected = () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespClient(socket, timeoutMs * 6));
      };
      const socket: Socket = tls ? connectTls({ host, port, ca: tls.ca }, connected) : new Socket().connect(port, host, connected);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends commands in one write and resolves with their replies (bulk strings as bytes), in order. */
  pipelineBinary(commands: readonly (readonly Argument[])[]): Promise<BinaryReply[]> {
    if (this.closedBecause) return Promise.resolve(commands.map(() => this.closedBecause!));
    const replies = commands.map(() => new Promise<BinaryReply>((resolve) => this.waiting.push({ resolve })));
    this.socket.write(Buffer.concat(commands.map(encode)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<BinaryReply[]>((resolve) => {
      timer = setTimeout(() => {
        this.socket.destroy(new Error(`no reply within ${this.replyTimeoutMs} ms`));
        resolve(commands.map(() => new Error(`no reply within ${this.replyTimeoutMs} ms`)));
      }, this.replyTimeoutMs);
    });
    return Promise.race([Promise.all(replies), timeout]).finally(() => clearTimeout(timer));
  }

  /** Sends commands in one write and resolves with their replies, in order. */
  async pipeline(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    return (await this.pipelineBinary(commands)).map(asText);
  }

  async call(...command: string[]): Promise<Reply> {
    const [reply] = await this.pipeline([command]);
    if (reply instanceof Error) throw reply;
    return reply!;
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    for (;;) {
      let parsed;
      try {
        parsed = parse(this.buffer, 0);
      } catch (error) {
        // Not RESP: fail every waiting command with what came, and drop the connection.
        this.socket.destroy(new Error(`${(error as Error).message} in ${JSON.stringify(this.buffer.subarray(0, 80).toString('latin1'))}`));
        return;
      }
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.next);
      this.waiting.shift()?.resolve(parsed.value);
    }
  }
}

function asText(reply: BinaryReply): Reply {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (Array.isArray(reply)) return reply.map(asText);
  return reply;
}

function encode(command: readonly Argument[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${command.length}\r\n`)];
  for (const arg of command) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function parse(buffer: Buffer, start: number): { value: BinaryReply; next: number } | undefined {
  const end = buffer.indexOf('\r\n', start);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buffer[start]!);
  const line = buffer.toString('utf8', start + 1, end);
  switch (type) {
    case '+':
      return { value: Buffer.from(line, 'utf8'), next: end + 2 };
    case '-':
      return { value: new Error(line), next: end + 2 };
    case ':':
      return { value: Number(line), next: end + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: end + 2 };
      if (buffer.length < end + 2 + length + 2) return undefined;
      return { value: Buffer.from(buffer.subarray(end + 2, end + 2 + length)), next: end + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: end + 2 };
      const items: BinaryReply[] = [];
      let next = end + 2;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}

/** Fields of `INFO replication`. */
export async function replicationInfo(client: RespClient): Promise<Record<string, string>> {
  const text = String(await client.call('INFO', 'replication'));
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}
