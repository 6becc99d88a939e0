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

/** `lstat` rels[from, to) into `out` at the same positions. A file that changed type is kept: hashing then reports it. */
export function statInto(root: string, rels: readonly string[], from: number, to: number, out: FileStats): void {
  for (let i = from; i < to; i++) {
    const st = lstatSync(`${root}/${rels[i]}`, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) continue;
    out.sizes[i] = Number(st.size);
    out.mtimeNs[i] = st.mtimeNs;
    out.inos[i] = st.ino;
    out.present[i] = 1;
  }
}

/**
 * The shared part of a job (scan/parallel.ts): a job's `n` files cut into chunks of `chunk`;
 * `control` holds the counters below, `chunkDone` a flag per finished chunk.
 */
export interface SharedJob {
  control: Int32Array;
  chunkDone: Uint8Array;
  n: number;
  chunk: number;
}

// Slots of SharedJob.control.
export const NEXT = 0; // next chunk to claim
export const DONE = 1; // chunks finished
export const BY_HELPER = 2; // chunks the helper thread finished (for tests)
export const CONTROL_SLOTS = 3;

/**
 * Claim and run chunks until none is left, on either thread: each claim is one `Atomics.add`
 * on the shared counter, so no chunk is run twice while both threads claim.
 */
export function claimChunks(job: SharedJob, run: (from: number, to: number) => void, byHelper = false): void {
  const chunks = job.chunkDone.length;
  for (let c = Atomics.add(job.control, NEXT, 1); c < chunks; c = Atomics.add(job.control, NEXT, 1)) {
    run(c * job.chunk, Math.min(job.n, (c + 1) * job.chunk));
    Atomics.store(job.chunkDone, c, 1);
    if (byHelper) Atomics.add(job.control, BY_HELPER, 1);
    Atomics.add(job.control, DONE, 1);
    Atomics.notify(job.control, DONE); // wakes the main thread waiting for the helper's last chunk
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
