/**
 * XXH3-64 (seed 0) as 16 lowercase hex digits: the only hash in dsg's formats (SPEC §2.3).
 * Streaming so any file size hashes in constant memory.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { xxh3 } from '@node-rs/xxhash';

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
    return hex64(this.state.digest());
  }
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

/** Hash a file's content; `onBytes` reports progress. */
export async function hashFile(file: string, onBytes?: (n: number) => void): Promise<{ hash: string; size: number }> {
  const h = new StreamingHash();
  for await (const chunk of createReadStream(file, { highWaterMark: IO_CHUNK })) {
    h.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return { hash: h.digest(), size: h.size };
}

/** Hash a file synchronously in 1 MiB reads (constant memory). */
export function hashFileSync(file: string): { hash: string; size: number } {
  const h = new StreamingHash();
  const buf = Buffer.allocUnsafe(IO_CHUNK);
  const fd = openSync(file, 'r');
  try {
    for (let n = readSync(fd, buf, 0, IO_CHUNK, null); n > 0; n = readSync(fd, buf, 0, IO_CHUNK, null)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { hash: h.digest(), size: h.size };
}
