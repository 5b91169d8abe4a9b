/**
 * The switchover's FastDFS protocol reader against an answer of a real tracker: the fixture is the body of
 * LIST_STORAGE for group1 from FastDFS V6.13.0's fdfs_trackerd at site A of the demo (the synthesized
 * files, two network namespaces; captured with `fdfsCall` after three uploads at A). The drill
 * (`npm run drill:fastdfs`) reads the same fields live; this test keeps the layout honest without it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { FastdfsError, fdfsCall, parseStorageList, serverReachable, STORAGE_RECORD_SIZE } from '../pairs/fastdfs/fastdfs-member';

const answer = readFileSync(join(__dirname, 'fixtures', 'fastdfs-list-storage-v6.13.0.bin'));

test('a real V6.13.0 tracker answer: both storage servers with status, access mode and sync timestamps', () => {
  expect(answer.length).toBe(2 * STORAGE_RECORD_SIZE);
  const [a, b] = parseStorageList(answer);
  expect(a).toMatchObject({ id: '100001', address: '10.10.2.24', status: 'ACTIVE', access: 'both', version: '6.13.0' });
  expect(b).toMatchObject({ id: '100002', address: '10.20.2.24', status: 'ACTIVE', access: 'none', version: '6.13.0' });
  // Captured after three uploads at A: B had synced the last of them (its timestamp is A's last upload).
  expect(a!.successUploadCount).toBe(3);
  expect(b!.lastSyncedTimestamp).toBe(a!.lastSourceUpdate);
  // Timestamps are Unix seconds of the capture day (2026-12-01), not garbage from a shifted layout.
  for (const s of [a!, b!]) for (const t of [s.lastHeartBeatTime, s.lastSourceUpdate]) expect(new Date(t * 1000).toISOString().slice(0, 10)).toBe('2026-12-01');
});

test('an answer of another layout is refused with the sizes, not misread', () => {
  expect(() => parseStorageList(answer.subarray(0, STORAGE_RECORD_SIZE + 8))).toThrow(FastdfsError);
  expect(() => parseStorageList(answer.subarray(0, STORAGE_RECORD_SIZE + 8))).toThrow(`not a whole number of ${STORAGE_RECORD_SIZE}-byte storage records`);
});

describe('an address where something else answers (a lost site behind a proxy, another server)', () => {
  const serve = (onConnection: (socket: Socket) => void) =>
    new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => {
        sockets.add(socket);
        onConnection(socket);
      });
      server.listen(0, '127.0.0.1', () =>
        resolve({
          port: (server.address() as AddressInfo).port,
          close: () => new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
        }),
      );
    });

  test('an HTTP answer kept open is refused at once as not FastDFS', async () => {
    const proxy = await serve((socket) => socket.write('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'));
    try {
      const started = Date.now();
      await expect(fdfsCall({ host: '127.0.0.1', port: proxy.port }, 111, Buffer.alloc(0))).rejects.toThrow('not a FastDFS answer ("HTTP/1.1 4');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await serverReachable({ host: '127.0.0.1', port: proxy.port })).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  test('a silent server and a half answer end within the bound', async () => {
    const silent = await serve(() => undefined);
    const half = await serve((socket) => socket.end(Buffer.from([0, 0, 0, 0, 0, 0, 0, 9, 100, 0, 1, 2])));
    try {
      await expect(fdfsCall({ host: '127.0.0.1', port: silent.port }, 111, Buffer.alloc(0), { timeoutMs: 300 })).rejects.toThrow('no whole answer within 300 ms');
      await expect(fdfsCall({ host: '127.0.0.1', port: half.port }, 111, Buffer.alloc(0))).rejects.toThrow('connection closed before a whole answer');
    } finally {
      await silent.close();
      await half.close();
    }
  });
});
