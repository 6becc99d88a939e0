/**
 * The per-file work of a scan, on plain typed arrays so it can run on the main thread or in
 * the helper thread (scan/scanWorker.ts) alike: `lstat` of listed files, hashing of those
 * whose index row did not match. Both only read.
 */
import { lstatSync } from 'node:fs';
import { hashLocalFileValueSync } from '../manifest/hash.js';

/** `lstat` results; `present[i]` is 0 when the file vanished between listing and `lstat`. */
export interface FileStats {
  sizes: Float64Array;
  mtimeNs: BigInt64Array;
  inos: BigUint64Array;
  present: Uint8Array;
}

export function emptyStats(n: number): FileStats {
  return { sizes: new Float64Array(n), mtimeNs: new BigInt64Array(n), inos: new BigUint64Array(n), present: new Uint8Array(n) };
}

/** `lstat` rels[from, to) into out[at …]. A file that changed type is kept: hashing then reports it. */
export function statInto(root: string, rels: readonly string[], from: number, to: number, out: FileStats, at = from): void {
  for (let i = from; i < to; i++, at++) {
    const st = lstatSync(`${root}/${rels[i]}`, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) continue;
    out.sizes[at] = Number(st.size);
    out.mtimeNs[at] = st.mtimeNs;
    out.inos[at] = st.ino;
    out.present[at] = 1;
  }
}

export const HASHED = 0;
export const ABSENT = 1;
export const SKIPPED = 2;

/**
 * Hash results: kinds[i] is HASHED, ABSENT (vanished) or SKIPPED (no longer a regular file;
 * the reason in `reasons` when hashed on this thread); hashes[i] is the XXH3 value.
 */
export interface FileHashes {
  hashes: BigUint64Array;
  sizes: Float64Array;
  kinds: Uint8Array;
  reasons: Map<number, string>;
}

/** Hash rels[from, to) into `out` at the same positions. */
export function hashInto(root: string, rels: readonly string[], from: number, to: number, out: FileHashes): void {
  for (let i = from; i < to; i++) {
    const r = hashLocalFileValueSync(`${root}/${rels[i]}`);
    if (r.kind === 'hashed') {
      out.hashes[i] = r.value;
      out.sizes[i] = r.size;
      out.kinds[i] = HASHED;
    } else if (r.kind === 'absent') out.kinds[i] = ABSENT;
    else {
      out.kinds[i] = SKIPPED;
      out.reasons.set(i, r.reason);
    }
  }
}
