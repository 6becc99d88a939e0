/**
 * XXH3-64 (seed 0) as 16 lowercase hex digits: the only hash in dsg's formats (SPEC §2.3).
 * Streaming so any file size hashes in constant memory.
 */
import { closeSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { xxh3 } from '@node-rs/xxhash';
import { FileReadError } from '../errors/FileReadError.js';
import { notFound, openRegularFileSync } from '../platform/safeOpen.js';

export function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

export function xxh3Hex(data: string | Uint8Array): string {
  return hex64(xxh3.xxh64(data));
}

/** Incremental hasher for data that arrives in chunks (transfers, big files). */
export class StreamingHash {
  private readonly state = xxh3.Xxh3.withSeed();
  private bytes = 0;
  update(chunk: Uint8Array): void {
    this.state.update(chunk);
    this.bytes += chunk.length;
  }
  get size(): number {
    return this.bytes;
  }
  digest(): string {
    return hex64(this.digestValue());
  }
  /** The hash as a number (what digest() writes in hex). */
  digestValue(): bigint {
    return this.state.digest();
  }
}

/** Hash everything a stream yields; `onBytes` reports progress. */
export async function hashStream(source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<{ hash: string; size: number }> {
  const h = new StreamingHash();
  for await (const chunk of source) {
    h.update(chunk);
    onBytes?.(chunk.length);
  }
  return { hash: h.digest(), size: h.size };
}

/** 1 MiB reads: large enough that syscall overhead vanishes, small enough for constant memory. */
export const IO_CHUNK = 1 << 20;

/**
 * Read buffer for a file of `size` bytes: no larger than the file (a 1 MiB buffer for each of
 * 100,000 small files is gigabytes of garbage), no smaller than 64 KiB.
 */
export function chunkSizeFor(size: number | undefined): number {
  if (size === undefined) return IO_CHUNK;
  return Math.min(IO_CHUNK, Math.max(64 << 10, size + 1));
}

/** Files up to this size are read into one buffer and hashed in one call. */
const ONE_SHOT_MAX = 8 << 20;

/** dsg hashes only regular files: anything else is refused, never read (a FIFO would hang). */
const LOCAL_ADVICE = 'dsg reads only regular files (was it replaced while dsg was running? then run the command again)';

const readAsync = promisify(read);

/** Hash an open file from its current offset to the end, in IO_CHUNK reads. */
function hashRestSync(fd: number, h: StreamingHash): { value: bigint; size: number } {
  const buf = Buffer.allocUnsafe(IO_CHUNK);
  for (let n = readSync(fd, buf, 0, IO_CHUNK, null); n > 0; n = readSync(fd, buf, 0, IO_CHUNK, null)) h.update(buf.subarray(0, n));
  return { value: h.digestValue(), size: h.size };
}

/** Hash an open file of `size` bytes (as fstat said); a file that grew meanwhile is hashed to its end. */
function hashFdValueSync(fd: number, size: number): { value: bigint; size: number } {
  if (size > ONE_SHOT_MAX) return hashRestSync(fd, new StreamingHash());
  const buf = Buffer.allocUnsafe(size + 1);
  let n = 0;
  while (n < buf.length) {
    const r = readSync(fd, buf, n, buf.length - n, null);
    if (r === 0) break;
    n += r;
  }
  if (n <= size) return { value: xxh3.xxh64(buf.subarray(0, n)), size: n };
  const h = new StreamingHash();
  h.update(buf);
  return hashRestSync(fd, h);
}

function hashFdSync(fd: number, size: number): { hash: string; size: number } {
  const r = hashFdValueSync(fd, size);
  return { hash: hex64(r.value), size: r.size };
}

/**
 * Hash an open file without blocking the event loop (large files; `onBytes` reports progress).
 * Two buffers: the next read runs on the thread pool while this thread hashes the last one, so
 * a large file costs about its read time, not read + hash. One read is in flight at a time, so
 * reads at the current offset (`null`) stay in order.
 */
async function hashFdAsync(fd: number, onBytes?: (n: number) => void): Promise<{ hash: string; size: number }> {
  const h = new StreamingHash();
  const bufs = [Buffer.allocUnsafe(IO_CHUNK), Buffer.allocUnsafe(IO_CHUNK)];
  let cur = 0;
  let pending = readAsync(fd, bufs[cur], 0, IO_CHUNK, null);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const done = bufs[cur];
      cur ^= 1;
      pending = readAsync(fd, bufs[cur], 0, IO_CHUNK, null);
      h.update(done.subarray(0, bytesRead)); // copied into the hash state: the buffer can be reused
      onBytes?.(bytesRead);
    }
  } finally {
    // Never return (and let the caller close the fd) with a read still running on it.
    await pending.catch(() => undefined);
  }
  return { hash: h.digest(), size: h.size };
}

/** Hash a regular file's content (never following a link, never blocking); `onBytes` reports progress. */
export async function hashFile(file: string, onBytes?: (n: number) => void): Promise<{ hash: string; size: number }> {
  const opened = openRegularFileSync(file, LOCAL_ADVICE);
  if (opened === null) throw notFound(file);
  try {
    return await hashFdAsync(opened.fd, onBytes);
  } finally {
    closeSync(opened.fd);
  }
}

/** Hash a regular file synchronously in 1 MiB reads (constant memory). */
export function hashFileSync(file: string): { hash: string; size: number } {
  const opened = openRegularFileSync(file, LOCAL_ADVICE);
  if (opened === null) throw notFound(file);
  try {
    return hashFdSync(opened.fd, opened.size);
  } finally {
    closeSync(opened.fd);
  }
}

/** What hashing a file the walk listed found: it may have vanished or been replaced since. */
export type LocalHashResult = { kind: 'hashed'; hash: string; size: number } | { kind: 'absent' } | { kind: 'skipped'; reason: string };

/** Open a file the walk listed, or say why it cannot be hashed (vanished: absent; no longer a regular file: skipped). */
function openListedFile(file: string): { fd: number; size: number } | Exclude<LocalHashResult, { kind: 'hashed' }> {
  let opened: { fd: number; size: number } | null;
  try {
    opened = openRegularFileSync(file, LOCAL_ADVICE);
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'NOT_REGULAR_FILE') return { kind: 'skipped', reason: `${err.what} (it replaced a regular file during the scan)` };
    throw err;
  }
  return opened ?? { kind: 'absent' };
}

/**
 * Hash a file listed by a walk: one that vanished since is absent (not an error), one that
 * became a FIFO, device, socket, folder or link is skipped with the reason, never opened
 * blocking or followed. Small files are read synchronously (an async round trip per file
 * would dominate a scan of many small files).
 */
export async function hashLocalFile(file: string, onBytes?: (n: number) => void): Promise<LocalHashResult> {
  const opened = openListedFile(file);
  if (!('fd' in opened)) return opened;
  try {
    const r = opened.size <= ONE_SHOT_MAX ? hashFdSync(opened.fd, opened.size) : await hashFdAsync(opened.fd, onBytes);
    return { kind: 'hashed', ...r };
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * hashLocalFile without the event loop, the hash as a number (no hex text per file), for
 * scans on both threads (scan/fileWork.ts): any size, constant memory.
 */
export function hashLocalFileValueSync(file: string): { kind: 'hashed'; value: bigint; size: number } | Exclude<LocalHashResult, { kind: 'hashed' }> {
  const opened = openListedFile(file);
  if (!('fd' in opened)) return opened;
  try {
    return { kind: 'hashed', ...hashFdValueSync(opened.fd, opened.size) };
  } finally {
    closeSync(opened.fd);
  }
}

/** Files above this size are hashed with progress on the main thread; smaller ones may go to a worker. */
export const SMALL_FILE_MAX = ONE_SHOT_MAX;
