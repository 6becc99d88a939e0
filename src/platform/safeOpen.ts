/**
 * Opening files that may be hostile or may change under us: never follow a symbolic link
 * (O_NOFOLLOW), never block (O_NONBLOCK: a FIFO with no writer would hang the open and every
 * read), accept only a regular file (fstat after the open, so the check and the read concern
 * the same file), and never read more than allowed (+1 byte, to tell "exactly that size" from
 * "larger"). Every error names the file. Shared by the local transport (repository reads)
 * and the client (uploads, scanning, hashing).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, promises as fsp, readSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FileReadError } from '../errors/FileReadError.js';

/** O_NOFOLLOW/O_NONBLOCK do not exist on Windows; there the type check after the open still holds. */
const SAFE_READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** What to tell the user after naming the problem, e.g. "the repository may have been tampered with". */
export type Advice = string;

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** "a FIFO", "a symbolic link", …: what a non-regular file is, for messages. */
export function describeFileType(st: Pick<Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'isDirectory' | 'isSymbolicLink'>): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a folder';
  return 'a special file';
}

export function notRegular(path: string, what: string, advice: Advice): FileReadError {
  return new FileReadError('NOT_REGULAR_FILE', path, `${path} is ${what}, not a regular file; ${advice}.`, what);
}

/** The error for an open refused because of what the file is (a link with O_NOFOLLOW, a socket). */
function refusedOpen(path: string, err: unknown, advice: Advice): FileReadError | null {
  const code = (err as NodeJS.ErrnoException).code;
  // ELOOP (Linux, macOS) / EMLINK (FreeBSD): the last component is a symbolic link. ENXIO: a socket.
  if (code !== 'ELOOP' && code !== 'EMLINK' && code !== 'ENXIO') return null;
  let what = code === 'ENXIO' ? 'a socket' : 'a symbolic link';
  try {
    what = describeFileType(lstatSync(path));
  } catch {
    /* keep the guess from the error code */
  }
  return notRegular(path, what, advice);
}

/** The usual "no such file" error, for callers that need one where the open returned null. */
export function notFound(path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, open '${path}'`);
  err.code = 'ENOENT';
  err.path = path;
  return err;
}

/** Open a regular file for reading; null when it does not exist. */
export async function openRegularFile(path: string, advice: Advice): Promise<{ fh: FileHandle; size: number; mtimeMs: number } | null> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(path, SAFE_READ_FLAGS);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw refusedOpen(path, err, advice) ?? err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(path, describeFileType(st), advice);
    return { fh, size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Synchronous twin of openRegularFile (for synchronous hashing). */
export function openRegularFileSync(path: string, advice: Advice): { fd: number; size: number; mtimeMs: number } | null {
  let fd: number;
  try {
    fd = openSync(path, SAFE_READ_FLAGS);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw refusedOpen(path, err, advice) ?? err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, describeFileType(st), advice);
    return { fd, size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function tooLarge(path: string, maxBytes: number, advice: Advice): FileReadError {
  return new FileReadError('FILE_TOO_LARGE', path, `${path} is larger than ${maxBytes} bytes, the most dsg reads for this file; ${advice}.`);
}

function moreThanExpected(path: string, expected: number, advice: Advice): FileReadError {
  return new FileReadError('FILE_TOO_LARGE', path, `${path} holds more than the ${expected} bytes expected; ${advice}.`);
}

/**
 * The read loop shared by readRegularFile and its synchronous twin: the stated size + 1 in the
 * first read (one read for an unchanged file, growth detected), then up to 1 MiB at a time,
 * FILE_TOO_LARGE as soon as more than `maxBytes` arrived.
 */
class BoundedRead {
  private readonly chunks: Buffer[] = [];
  private total = 0;

  constructor(
    private readonly size: number,
    private readonly maxBytes: number,
    private readonly path: string,
    private readonly advice: Advice,
  ) {
    if (size > maxBytes) throw tooLarge(path, maxBytes, advice);
  }

  /** The buffer for the next read. */
  buffer(): Buffer {
    return Buffer.allocUnsafe(this.total === 0 ? this.size + 1 : Math.min(this.maxBytes + 1 - this.total, 1 << 20));
  }

  /** Record a read of `n` bytes into `buf`; false at the end of the file. */
  got(buf: Buffer, n: number): boolean {
    if (n === 0) return false;
    this.chunks.push(buf.subarray(0, n));
    this.total += n;
    if (this.total > this.maxBytes) throw tooLarge(this.path, this.maxBytes, this.advice);
    return true;
  }

  content(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.total);
  }
}

/** The whole content of a regular file of at most `maxBytes` bytes; null when it does not exist. */
export async function readRegularFile(path: string, maxBytes: number, advice: Advice): Promise<Buffer | null> {
  const opened = await openRegularFile(path, advice);
  if (opened === null) return null;
  const { fh, size } = opened;
  try {
    const r = new BoundedRead(size, maxBytes, path, advice);
    for (;;) {
      const buf = r.buffer();
      if (!r.got(buf, (await fh.read(buf, 0, buf.length, null)).bytesRead)) return r.content();
    }
  } finally {
    await fh.close();
  }
}

/**
 * Synchronous twin of readRegularFile, for many small files in a row: four system calls on
 * this thread instead of four trips through the thread pool each (which dominated uploads of
 * small files). Only for files the caller expects to be small: it blocks while it reads.
 */
export function readRegularFileSync(path: string, maxBytes: number, advice: Advice): Buffer | null {
  const opened = openRegularFileSync(path, advice);
  if (opened === null) return null;
  const { fd, size } = opened;
  try {
    const r = new BoundedRead(size, maxBytes, path, advice);
    for (;;) {
      const buf = r.buffer();
      if (!r.got(buf, readSync(fd, buf, 0, buf.length, null))) return r.content();
    }
  } finally {
    closeSync(fd);
  }
}

/** The end of a file and what fstat said of the file that was opened. */
export interface TailRead {
  bytes: Buffer;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

/**
 * The last `maxBytes` bytes of a regular file (the whole file when it is smaller) and the
 * file's size, mtime and inode at the open (fstat); null when it does not exist. The same open rules as
 * readRegularFile, and never more than `maxBytes` bytes read, whatever the file claims.
 */
export async function readRegularFileTail(path: string, maxBytes: number, advice: Advice): Promise<TailRead | null> {
  const opened = await openRegularFile(path, advice);
  if (opened === null) return null;
  const { fh } = opened;
  try {
    const st = await fh.stat({ bigint: true });
    const size = Number(st.size);
    const want = Math.max(0, Math.min(size, maxBytes));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, size - want + got);
      if (bytesRead === 0) break; // truncated since the fstat: the caller sees fewer bytes
      got += bytesRead;
    }
    return { bytes: buf.subarray(0, got), size, mtimeNs: st.mtimeNs, ino: st.ino };
  } finally {
    await fh.close();
  }
}

/**
 * A stream of a regular file's bytes that fails (naming the file) once the file yields more
 * than `expectedSize` bytes; without `expectedSize` only the open rules apply. "Not found"
 * surfaces on the stream as the usual ENOENT error.
 */
export function createRegularFileStream(path: string, opts: { expectedSize?: number; chunkSize: number; advice: Advice }): Readable {
  return new BoundedReadStream(path, opts.expectedSize, opts.chunkSize, opts.advice);
}

class BoundedReadStream extends Readable {
  private fh: FileHandle | null = null;
  private total = 0;

  constructor(
    private readonly path: string,
    private readonly expected: number | undefined,
    private readonly chunkSize: number,
    private readonly advice: Advice,
  ) {
    super({ highWaterMark: chunkSize });
  }

  // The file is opened on the first read, not at construction (_construct): a stream is often
  // made before anyone listens (the upload first opens its destination), and an open that
  // failed then would emit 'error' to no listener, an uncaught exception that ends the process
  // in the middle of a transaction, lock held.
  override _read(): void {
    if (this.fh === null) {
      openRegularFile(this.path, this.advice).then(
        (opened) => {
          if (opened === null) this.destroy(notFound(this.path));
          else if (this.destroyed) void opened.fh.close().catch(() => undefined);
          else {
            this.fh = opened.fh;
            this.readChunk(opened.fh);
          }
        },
        (err: Error) => this.destroy(err),
      );
      return;
    }
    this.readChunk(this.fh);
  }

  private readChunk(fh: FileHandle): void {
    const limit = this.expected === undefined ? this.chunkSize : Math.min(this.chunkSize, this.expected + 1 - this.total);
    const buf = Buffer.allocUnsafe(Math.max(limit, 1));
    fh.read(buf, 0, buf.length, null).then(({ bytesRead }) => {
      if (bytesRead === 0) {
        this.push(null);
        return;
      }
      this.total += bytesRead;
      if (this.expected !== undefined && this.total > this.expected) {
        this.destroy(moreThanExpected(this.path, this.expected, this.advice));
        return;
      }
      this.push(buf.subarray(0, bytesRead));
    }, (err: Error) => this.destroy(err));
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = null;
    if (fh === null) callback(err);
    else fh.close().then(() => callback(err), () => callback(err));
  }
}
