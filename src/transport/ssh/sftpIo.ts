/**
 * Moving bytes over one SFTP session fast and in constant memory. SFTP is request/response,
 * so one request at a time is bound by the round trip (`sftp.createWriteStream` is ~40×
 * slower than `fastPut` for that reason); here up to DEPTH requests are in flight, as in
 * ssh2's fastPut/fastGet, while memory stays at DEPTH × CHUNK whatever the file size.
 * Chunks stay under ssh2's OpenSSH request limit (256 KiB minus overhead), so ssh2 never
 * splits one into sequential requests behind our back.
 */
import type { SFTPWrapper } from 'ssh2';

/** Largest read/write payload per request (ssh2 allows 256 KiB − 2 KiB against OpenSSH). */
export const SFTP_CHUNK = 254 * 1024;
/** Write requests in flight (16 × 254 KiB measured ≈ fastPut's throughput). */
export const WRITE_DEPTH = 16;
/** Read requests in flight per stream. */
export const READ_DEPTH = 16;

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7). */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/**
 * The payload ssh2 sends in one request on this session (it reads the server's
 * limits@openssh.com answer into these private fields): larger requests it would split and
 * send one after another, breaking both the pipelining and the buffer reuse below.
 */
export function requestLimit(sftp: SFTPWrapper, which: 'read' | 'write'): number {
  const v = (sftp as unknown as Record<string, unknown>)[which === 'read' ? '_maxReadLen' : '_maxWriteLen'];
  return typeof v === 'number' && v > 0 ? Math.min(SFTP_CHUNK, v) : 30 * 1024;
}

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function readAt(sftp: SFTPWrapper, handle: Buffer, pos: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(len);
    sftp.read(handle, buf, 0, len, pos, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n))));
  });
}

function writeAt(sftp: SFTPWrapper, handle: Buffer, data: Buffer, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // ssh2 copies `data` into the outgoing packet before returning: the caller may reuse it.
    sftp.write(handle, data, 0, data.length, pos, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Reads a file's bytes in order with up to `depth` requests in flight, never asking for bytes
 * at or past `limit` (the caller's bound + 1). Reads are aimed at `sizeHint` + 1 first (the
 * fstat size: one request past it detects EOF or growth), then further while the file grows.
 */
export class PipelinedReader {
  private queue: { pos: number; len: number; p: Promise<Buffer> }[] = [];
  private nextPos = 0;
  private eof = false;
  private horizon: number;
  private readonly chunk: number;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly limit: number,
    sizeHint: number,
    chunk: number = SFTP_CHUNK,
    private readonly depth: number = READ_DEPTH,
  ) {
    this.chunk = Math.min(chunk, requestLimit(sftp, 'read'));
    this.horizon = Math.min(limit, sizeHint + 1);
  }

  private request(pos: number, len: number): { pos: number; len: number; p: Promise<Buffer> } {
    const p = readAt(this.sftp, this.handle, pos, len);
    p.catch(() => undefined); // awaited in order by next(); an error here must not be "unhandled" meanwhile
    return { pos, len, p };
  }

  private fill(): void {
    if (this.eof) return;
    if (this.nextPos >= this.horizon && this.queue.length === 0 && this.horizon < this.limit) {
      // Everything up to the stated size + 1 arrived without EOF: the file grew; keep going.
      this.horizon = Math.min(this.limit, this.horizon + this.chunk * this.depth);
    }
    while (this.queue.length < this.depth && this.nextPos < this.horizon) {
      const len = Math.min(this.chunk, this.horizon - this.nextPos);
      this.queue.push(this.request(this.nextPos, len));
      this.nextPos += len;
    }
  }

  /** The next bytes in file order, or null at EOF (or once `limit` bytes were returned). */
  async next(): Promise<Buffer | null> {
    this.fill();
    const head = this.queue.shift();
    if (!head) return null;
    const data = await head.p;
    if (data.length === 0) {
      this.eof = true;
      this.queue = [];
      return null;
    }
    if (data.length < head.len) {
      // A short read before EOF: ask for the rest of that range before anything after it.
      this.queue.unshift(this.request(head.pos + data.length, head.len - data.length));
    }
    return data;
  }

  /** Stop: later answers are dropped (their errors included). */
  abandon(): void {
    this.eof = true;
    this.queue = [];
  }
}

/**
 * Write every chunk of `source` to the open `handle` from offset 0, with up to WRITE_DEPTH
 * requests in flight. Small chunks are coalesced into SFTP_CHUNK requests (one copy); large
 * ones are sent in slices without a copy. Returns the number of bytes written.
 */
export async function pipelinedWrite(sftp: SFTPWrapper, handle: Buffer, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  const inFlight: Promise<void>[] = [];
  let failed: unknown = null;
  let pos = 0;
  const CHUNK = requestLimit(sftp, 'write');
  const pending = Buffer.allocUnsafe(CHUNK);
  let fill = 0;

  const issue = async (data: Buffer): Promise<void> => {
    const p = writeAt(sftp, handle, data, pos);
    pos += data.length;
    p.catch((err: unknown) => {
      failed ??= err;
    });
    inFlight.push(p);
    if (inFlight.length >= WRITE_DEPTH) await inFlight.shift()!.catch(() => undefined);
    if (failed !== null) throw failed;
  };

  try {
    for await (const chunk of source) {
      let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      while (buf.length > 0) {
        if (fill === 0 && buf.length >= CHUNK) {
          await issue(buf.subarray(0, CHUNK));
          buf = buf.subarray(CHUNK);
          continue;
        }
        const n = Math.min(CHUNK - fill, buf.length);
        buf.copy(pending, fill, 0, n);
        fill += n;
        buf = buf.subarray(n);
        if (fill === CHUNK) {
          await issue(pending); // copied by ssh2 synchronously: `pending` is free again
          fill = 0;
        }
      }
    }
    if (fill > 0) await issue(pending.subarray(0, fill));
  } finally {
    await Promise.allSettled(inFlight);
  }
  if (failed !== null) throw failed;
  return pos;
}
