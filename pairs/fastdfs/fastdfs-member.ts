/**
 * What the switchover reads from and writes to FastDFS servers, in FastDFS's own protocol (V6): a 10-byte
 * header (body length as a big-endian int64, command, status) and a body.
 *
 * Trackers:
 * - `TRACKER_PROTO_CMD_SERVER_LIST_STORAGE` (92) with the group name (16 bytes, NUL-padded) answers one
 *   fixed-size record per storage server (`TrackerStorageStat` in tracker/tracker_proto.h): status, the
 *   access mode the tracker applies, and the sync timestamps `fdfs_monitor` shows.
 * - `TRACKER_PROTO_CMD_SERVICE_QUERY_STORE_WITHOUT_GROUP_ONE` (101) answers the storage server an upload
 *   goes to (`ENOENT` when no storage server is writable).
 * Storage servers (the catch-up markers, see pairs/fastdfs/fastdfs-driver.ts):
 * - `STORAGE_PROTO_CMD_UPLOAD_FILE` (11) stores a file and answers its id;
 * - `STORAGE_PROTO_CMD_QUERY_FILE_INFO` (22) answers `ENOENT` unless the file is on this server's disk;
 * - `STORAGE_PROTO_CMD_DELETE_FILE` (12) deletes it (the delete syncs to the group like an upload).
 * Checked against real FastDFS V6.13.0 servers in the FastDFS drill (test/drills-fastdfs/);
 * test/fixtures/fastdfs-list-storage-v6.13.0.bin is a real tracker's answer (test/fastdfs-member.test.ts).
 */
import { Socket } from 'node:net';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** FDFS_STORAGE_STATUS_* (tracker/tracker_types.h). */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'INIT',
  1: 'WAIT_SYNC',
  2: 'SYNCING',
  3: 'IP_CHANGED',
  4: 'DELETED',
  5: 'OFFLINE',
  6: 'ONLINE',
  7: 'ACTIVE',
  9: 'RECOVERY',
  99: 'NONE',
};

/** FDFSReadWriteMode (tracker/tracker_types.h): R_OK | W_OK, as the tracker read `rw=` of storage_ids.conf at its start. */
const ACCESS_NAMES: Readonly<Record<number, StorageAccess>> = { 0: 'none', 2: 'write', 4: 'read', 6: 'both' };
export type StorageAccess = 'none' | 'read' | 'write' | 'both';

export interface StorageServerState {
  readonly id: string;
  readonly address: string;
  readonly status: string;
  /** The client access mode this tracker applies to the storage server. */
  readonly access: StorageAccess | `unknown(${number})`;
  readonly version: string;
  /** Unix seconds: the last file written at this storage by a client (not by sync). */
  readonly lastSourceUpdate: number;
  /** Unix seconds: the last file this storage received by sync. */
  readonly lastSyncUpdate: number;
  /** Unix seconds: the source timestamp of the last file this storage received from the other members. */
  readonly lastSyncedTimestamp: number;
  /** Unix seconds: the storage server's last heartbeat at this tracker. */
  readonly lastHeartBeatTime: number;
  /** Uploads this storage server took from clients since it was first started. */
  readonly successUploadCount: number;
}

const CMD_LIST_STORAGE = 92;
const CMD_QUERY_STORE = 101;
const CMD_ACTIVE_TEST = 111;
const CMD_UPLOAD_FILE = 11;
const CMD_DELETE_FILE = 12;
const CMD_QUERY_FILE_INFO = 22;
const CMD_RESP = 100;
/** errno in the header's status byte: no such file, no writable storage server. */
const ENOENT = 2;
const GROUP_NAME_MAX = 16;
const EXT_NAME_MAX = 6;
const HEADER = 10;
/** The largest answer the switchover asks for (a LIST_STORAGE of a full group is a few KB). */
const MAX_ANSWER = 1n << 20n;
/** The toolkit's storage servers have one store path (`store_path_count = 1`, pairs/fastdfs/fastdfs-construct.ts). */
const STORE_PATH_INDEX = 0;

/** TrackerStorageStat: the fields before the stat buffer, the buffer, the trunk flag. */
const ID_SIZE = 16;
const IP_SIZE = 46;
const VERSION_SIZE = 8;
const HEAD_FIELDS = 9; // join_time .. storage_port, 8 bytes each
const STAT_COUNTERS = 42; // FDFSStorageStatBuff: 8-byte fields after the 12-byte connection block
const OFFSET = {
  status: 0,
  access: 1,
  id: 2,
  ip: 2 + ID_SIZE,
  version: 2 + ID_SIZE + IP_SIZE + ID_SIZE,
  stat: 2 + ID_SIZE + IP_SIZE + ID_SIZE + VERSION_SIZE + HEAD_FIELDS * 8 + 12,
};
export const STORAGE_RECORD_SIZE = OFFSET.stat + STAT_COUNTERS * 8 + 1;
/** Index of each counter used in FDFSStorageStatBuff's 8-byte fields. */
const COUNTER = { successUpload: 1, lastSourceUpdate: 38, lastSyncUpdate: 39, lastSyncedTimestamp: 40, lastHeartBeatTime: 41 };

export class FastdfsError extends Error {
  constructor(
    message: string,
    /** The errno the server answered with, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * One request/response exchange with a tracker or storage server; short timeouts, so a lost site
 * answers quickly. `requestStatus` is the header's status byte (FastDFS uses it for flags, e.g. a
 * silent file query).
 */
export function fdfsCall(server: ServerAddress, command: number, body: Buffer, options: { timeoutMs?: number; requestStatus?: number } = {}): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const where = `${server.host}:${server.port}`;
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (error: Error | undefined, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    // A bound on the whole exchange, not on silence: something else at the address (a proxy, another
    // server) may answer slowly or keep the connection open.
    const timer = setTimeout(() => settle(new FastdfsError(`${where}: no whole answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (e) => settle(e));
    socket.once('close', () => settle(new FastdfsError(`${where}: connection closed before a whole answer`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < HEADER) return;
      const all = Buffer.concat(chunks);
      const length = all.readBigInt64BE(0);
      const [cmd, status] = [all[8]!, all[9]!];
      if (cmd !== CMD_RESP || length < 0n || length > MAX_ANSWER) {
        settle(new FastdfsError(`${where}: not a FastDFS answer (${JSON.stringify(all.subarray(0, HEADER).toString('latin1'))}...)`));
        return;
      }
      if (all.length < HEADER + Number(length)) return;
      if (status !== 0) settle(new FastdfsError(`${where}: command ${command} failed with status ${status}`, status));
      else settle(undefined, all.subarray(HEADER, HEADER + Number(length)));
    });
    socket.connect(server.port, server.host, () => {
      const header = Buffer.alloc(HEADER);
      header.writeBigInt64BE(BigInt(body.length), 0);
      header[8] = command;
      header[9] = options.requestStatus ?? 0;
      socket.write(Buffer.concat([header, body]));
    });
  });
}

export async function serverReachable(server: ServerAddress): Promise<boolean> {
  try {
    await fdfsCall(server, CMD_ACTIVE_TEST, Buffer.alloc(0));
    return true;
  } catch {
    return false;
  }
}

const fixed = (text: string, size: number) => {
  const buffer = Buffer.alloc(size);
  buffer.write(text, 'utf8');
  return buffer;
};
const textAt = (buffer: Buffer, at: number, size: number) => buffer.subarray(at, at + size).toString('latin1').replace(/\0.*$/s, '');

export async function listStorages(tracker: ServerAddress, group: string): Promise<StorageServerState[]> {
  return parseStorageList(await fdfsCall(tracker, CMD_LIST_STORAGE, fixed(group, GROUP_NAME_MAX)));
}

/** The body of a LIST_STORAGE answer: one TrackerStorageStat per storage server. */
export function parseStorageList(body: Buffer): StorageServerState[] {
  if (body.length % STORAGE_RECORD_SIZE !== 0) {
    throw new FastdfsError(`LIST_STORAGE answer of ${body.length} bytes is not a whole number of ${STORAGE_RECORD_SIZE}-byte storage records (a FastDFS version with another layout?)`);
  }
  const result: StorageServerState[] = [];
  for (let at = 0; at < body.length; at += STORAGE_RECORD_SIZE) {
    const record = body.subarray(at, at + STORAGE_RECORD_SIZE);
    const counter = (index: number) => Number(record.readBigInt64BE(OFFSET.stat + index * 8));
    result.push({
      id: textAt(record, OFFSET.id, ID_SIZE),
      address: textAt(record, OFFSET.ip, IP_SIZE),
      status: STATUS_NAMES[record[OFFSET.status]!] ?? `UNKNOWN(${record[OFFSET.status]})`,
      access: ACCESS_NAMES[record[OFFSET.access]!] ?? `unknown(${record[OFFSET.access]!})`,
      version: textAt(record, OFFSET.version, VERSION_SIZE),
      lastSourceUpdate: counter(COUNTER.lastSourceUpdate),
      lastSyncUpdate: counter(COUNTER.lastSyncUpdate),
      lastSyncedTimestamp: counter(COUNTER.lastSyncedTimestamp),
      lastHeartBeatTime: counter(COUNTER.lastHeartBeatTime),
      successUploadCount: counter(COUNTER.successUpload),
    });
  }
  return result;
}

export interface UploadTarget {
  readonly group: string;
  readonly address: string;
  readonly port: number;
  /** The store path the upload goes to (the first byte of an upload request). */
  readonly storePathIndex: number;
}

/** Where this tracker sends an upload now: the storage server's address, or undefined when none is writable. */
export async function uploadTarget(tracker: ServerAddress): Promise<UploadTarget | undefined> {
  try {
    const body = await fdfsCall(tracker, CMD_QUERY_STORE, Buffer.alloc(0));
    const portAt = GROUP_NAME_MAX + IP_SIZE - 1;
    return { group: textAt(body, 0, GROUP_NAME_MAX), address: textAt(body, GROUP_NAME_MAX, IP_SIZE - 1), port: Number(body.readBigInt64BE(portAt)), storePathIndex: body[portAt + 8]! };
  } catch (e) {
    if (e instanceof FastdfsError && e.status === ENOENT) return undefined;
    throw e;
  }
}

/** Stores `content` at this storage server (whatever access mode the trackers give it); answers `<group>/<file name>`. */
export async function storeFile(storage: ServerAddress, content: Buffer, extension: string, storePathIndex = STORE_PATH_INDEX): Promise<string> {
  const head = Buffer.alloc(1 + 8);
  head[0] = storePathIndex;
  head.writeBigInt64BE(BigInt(content.length), 1);
  const body = await fdfsCall(storage, CMD_UPLOAD_FILE, Buffer.concat([head, fixed(extension, EXT_NAME_MAX), content]));
  return `${textAt(body, 0, GROUP_NAME_MAX)}/${body.subarray(GROUP_NAME_MAX).toString('latin1')}`;
}

function groupAndName(fileId: string): Buffer {
  const slash = fileId.indexOf('/');
  if (slash < 0) throw new FastdfsError(`${fileId}: not a FastDFS file id (<group>/<file name>)`);
  return Buffer.concat([fixed(fileId.slice(0, slash), GROUP_NAME_MAX), Buffer.from(fileId.slice(slash + 1), 'latin1')]);
}

/** Whether the file is on this storage server's own disk (FastDFS answers ENOENT otherwise). */
export async function holdsFile(storage: ServerAddress, fileId: string): Promise<boolean> {
  try {
    // Status ENOENT in the request: "silent", the server does not log a missing file as an error.
    await fdfsCall(storage, CMD_QUERY_FILE_INFO, groupAndName(fileId), { requestStatus: ENOENT });
    return true;
  } catch (e) {
    if (e instanceof FastdfsError && e.status === ENOENT) return false;
    throw e;
  }
}

export async function deleteFile(storage: ServerAddress, fileId: string): Promise<void> {
  await fdfsCall(storage, CMD_DELETE_FILE, groupAndName(fileId));
}
