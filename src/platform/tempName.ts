/**
 * The temporary name a file is written under, next to its target, before it is renamed into
 * place (working copy and repository tree alike).
 *
 * It must fit any valid name (a component may be 255 bytes, so `<name>.<suffix>` cannot), be
 * the same for the same path and transaction (recovery removes what a killed placement left),
 * and be hidden from scans (a leading dot). A hash of the name and the transaction id gives all
 * three in 25 bytes.
 */
import { posix } from 'node:path';
import { xxh3Hex } from '../manifest/hash.js';

/** Longest file name component (bytes) on the file systems dsg supports. */
export const MAX_NAME_BYTES = 255;

/** `dir/.dsg-<16 hex>.tmp` for the `/`-separated relative `path`. */
export function placementTempPath(path: string, txId: string): string {
  const dir = posix.dirname(path);
  const name = `.dsg-${xxh3Hex(`${posix.basename(path)}\0${txId}`)}.tmp`;
  return dir === '.' ? name : `${dir}/${name}`;
}

/** True when every component of a `/`-separated path fits MAX_NAME_BYTES. */
export function componentsFit(path: string): boolean {
  return path.split('/').every((c) => Buffer.byteLength(c, 'utf8') <= MAX_NAME_BYTES);
}
