/**
 * What every backend's transaction checks of the content it stores: that the bytes sent are the
 * ones the manifest names (a file may change between the scan and its upload). Shared by the
 * POSIX and object-store transactions.
 */
import { TransferError } from '../errors/TransferError.js';
import { StreamingHash } from '../manifest/hash.js';
import type { FileEntry } from '../manifest/types.js';

/** Throws TransferError, naming the path, when what was sent is not what the manifest says. */
export function checkSent(entry: FileEntry, got: string, size: number): void {
  if (got !== entry.hash || size !== entry.filesize) {
    throw new TransferError(
      `${entry.path} changed while it was being uploaded (expected ${entry.hash}, ${entry.filesize} bytes; sent ${got}, ${size} bytes). Nothing was published; run "dsg sync" again.`,
    );
  }
}

/** `source` passed through, hashed on the way (and counted with `onBytes`); `check()` after the last chunk. */
export function hashedSource(entry: FileEntry, source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): { stream: AsyncIterable<Uint8Array>; check: () => void } {
  const hash = new StreamingHash();
  async function* hashing(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      hash.update(chunk);
      onBytes?.(chunk.length);
      yield chunk;
    }
  }
  return { stream: hashing(), check: () => checkSent(entry, hash.digest(), hash.size) };
}
