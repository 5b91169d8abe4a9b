/**
 * A minimal Redis (RESP2) client for the drills: pipelined commands over one loopback connection.
 * Small on purpose: the drills need exact control over what is sent and when.
 */
import { Socket } from 'node:net';

export type Reply = string | number | null | Reply[] | Error;

export class RespClient {
  private buffer = Buffer.alloc(0);
  private readonly waiting: ((reply: Reply) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.connect(port, host, () => {
        clearTimeout(timer);
        resolve(new RespClient(socket));
      });
    });
  }

  /** Sends commands in one write and resolves with their replies, in order. */
  pipeline(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    const replies = commands.map(() => new Promise<Reply>((resolve) => this.waiting.push(resolve)));
    this.socket.write(Buffer.concat(commands.map(encode)));
    return Promise.all(replies);
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
      const parsed = parse(this.buffer, 0);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.next);
      this.waiting.shift()?.(parsed.value);
    }
  }
}

function encode(command: readonly string[]): Buffer {
  const parts = [`*${command.length}\r\n`];
  for (const arg of command) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

function parse(buffer: Buffer, start: number): { value: Reply; next: number } | undefined {
  const end = buffer.indexOf('\r\n', start);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buffer[start]!);
  const line = buffer.toString('utf8', start + 1, end);
  switch (type) {
    case '+':
      return { value: line, next: end + 2 };
    case '-':
      return { value: new Error(line), next: end + 2 };
    case ':':
      return { value: Number(line), next: end + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: end + 2 };
      if (buffer.length < end + 2 + length + 2) return undefined;
      return { value: buffer.toString('utf8', end + 2, end + 2 + length), next: end + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: end + 2 };
      const items: Reply[] = [];
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
