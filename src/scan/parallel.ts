/**
 * Both cores for big scans: one helper thread (scan/scanWorker.ts) shares the `lstat` calls and
 * the hashing with the main thread. Small jobs stay on the main thread: starting the thread
 * costs 100–200 ms of one core here, as much as 20,000 `lstat` calls, and ~40 MB of memory
 * (its own V8 heap) for the rest of the process: for a 20,000-file sync of one big file that
 * was a fifth of the peak, to save ~0.1 s of `lstat`.
 *
 * Work sharing: a job's files are cut into chunks; each thread claims the next chunk from one
 * shared counter (Atomics), writes its results straight into shared arrays and marks the chunk
 * done. So neither thread waits for the other except for the chunk in progress, and a thread
 * that starts late (or never) simply claims less.
 *
 * The helper is only ever an accelerator: a chunk it did not finish (it failed, crashed, or
 * exited) is done again on the main thread, so results and errors are exactly those of a
 * single-threaded scan. One helper per process, started on demand, reused by later jobs; when
 * idle it does not keep the process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BY_HELPER, claimChunks, CONTROL_SLOTS, DONE, emptyStats, hashInto, NEXT, SKIPPED, statInto, type FileHashes, type FileStats, type SharedJob } from './fileWork.js';
import type { ScanJob, ScanAnswer } from './scanWorker.js';

/** Below these counts the thread's start-up costs more than it saves. */
export const PARALLEL_STAT_MIN = 50_000;
/**
 * A walk that has found this many files starts the helper at once, so it is up when the walk
 * ends. Close to PARALLEL_STAT_MIN: a helper started for a tree that stays below it would cost
 * its memory for nothing.
 */
export const PRESTART_AT_FILES = 40_000;
export const PARALLEL_HASH_MIN_FILES = 2_000;
export const PARALLEL_HASH_MIN_BYTES = 128 << 20;
/** Files per chunk: small enough to balance, large enough that claiming costs nothing. */
const STAT_CHUNK = 512;
const HASH_CHUNK = 64;

/** Atomics.waitAsync (Node ≥ 16; not yet in TypeScript's ES2022 library). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/** True when a second core exists (DSG_SCAN_THREADS=1 keeps a scan on one thread, e.g. to compare). */
function helperAllowed(): boolean {
  return process.env.DSG_SCAN_THREADS !== '1' && availableParallelism() >= 2;
}

interface Helper {
  worker: Worker;
  ready: Promise<boolean>;
  /** Set when the thread failed or exited: its unfinished chunks go back to the main thread. */
  lost: boolean;
  busy: number;
}

let helper: Helper | null = null;
/** Once the thread failed to start or died, scans stay on the main thread. */
let helperBroken = false;

function startHelper(): Helper | null {
  if (helper !== null) return helper;
  if (helperBroken || !helperAllowed()) return null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./scanWorker.js', import.meta.url));
  } catch {
    helperBroken = true;
    return null;
  }
  const h: Helper = { worker, ready: Promise.resolve(false), lost: false, busy: 0 };
  // Referenced until it has started (a caller may be waiting for that), then only while busy.
  h.ready = new Promise((resolve) => {
    worker.once('message', (a: ScanAnswer) => {
      if (h.busy === 0) worker.unref();
      resolve('ready' in a);
    });
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  const lose = (): void => {
    h.lost = true;
    helperBroken = true;
    if (helper === h) helper = null;
  };
  worker.on('error', lose);
  worker.on('exit', lose);
  helper = h;
  return h;
}

/** Start the helper now (e.g. while the walk still lists folders), so it is ready when the files are. */
export function prestartHelper(): void {
  startHelper();
}

/** Resolves true once the helper thread runs (false when there is none); for tests. */
export function helperReady(): Promise<boolean> {
  return startHelper()?.ready ?? Promise.resolve(false);
}

/** Chunks the helper thread finished in this process (for tests: proves the second core was used). */
export let helperChunks = 0;

function newShared(n: number, chunk: number): SharedJob {
  return { control: new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS)), chunkDone: new Uint8Array(new SharedArrayBuffer(Math.ceil(n / chunk))), n, chunk };
}

let jobIds = 0;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Run a job on both threads: the helper (when there is one) gets the message, this thread
 * claims chunks at once. Waits for the helper's chunk in progress, then redoes here any chunk
 * the helper did not finish (it failed or was lost).
 */
async function shareJob(job: SharedJob, message: WithoutId<ScanJob>, run: (from: number, to: number) => void): Promise<void> {
  const h = startHelper();
  const id = ++jobIds;
  let failed = false;
  const onMessage = (a: ScanAnswer): void => {
    if ('failed' in a && a.id === id) failed = true;
  };
  if (h !== null) {
    h.busy++;
    h.worker.ref();
    h.worker.on('message', onMessage);
    h.worker.postMessage({ ...message, id } as ScanJob);
  }
  try {
    claimChunks(job, run);
    const chunks = job.chunkDone.length;
    // The helper may still be in its last chunk: wait for it (the event loop runs meanwhile, so
    // a failure or exit is noticed), then take back whatever it did not finish.
    while (h !== null && !h.lost && !failed && Atomics.load(job.control, DONE) < chunks) {
      const seen = Atomics.load(job.control, DONE);
      const w = waitAsync(job.control, DONE, seen, 50);
      if (w.async) await w.value;
      else await new Promise((r) => setImmediate(r));
    }
    helperChunks += Atomics.load(job.control, BY_HELPER);
    for (let c = 0; c < chunks; c++) if (Atomics.load(job.chunkDone, c) === 0) run(c * job.chunk, Math.min(job.n, (c + 1) * job.chunk));
  } finally {
    if (h !== null) {
      h.worker.off('message', onMessage);
      // Whatever happens here, the helper must not go on writing into this job's arrays: it stops
      // claiming once NEXT is past the end.
      Atomics.store(job.control, NEXT, job.chunkDone.length);
      if (--h.busy === 0) h.worker.unref();
    }
  }
}

/** `lstat` every file (paths relative to `root`); both threads for a big list. */
export async function statFiles(root: string, rels: readonly string[]): Promise<FileStats> {
  const n = rels.length;
  if (n < PARALLEL_STAT_MIN || !helperAllowed()) {
    const out = emptyStats(n);
    statInto(root, rels, 0, n, out);
    return out;
  }
  const out: FileStats = {
    sizes: new Float64Array(new SharedArrayBuffer(8 * n)),
    mtimeNs: new BigInt64Array(new SharedArrayBuffer(8 * n)),
    inos: new BigUint64Array(new SharedArrayBuffer(8 * n)),
    present: new Uint8Array(new SharedArrayBuffer(n)),
  };
  const job = newShared(n, STAT_CHUNK);
  await shareJob(job, { op: 'stat', root, rels: rels.join('\0'), job, stats: out }, (from, to) => statInto(root, rels, from, to, out));
  return out;
}

/**
 * Hash files whose sizes `lstat` gave (all small: see SMALL_FILE_MAX); both threads when there
 * is enough work. `onProgress` gets the files and bytes hashed so far, both threads together.
 */
export async function hashFiles(root: string, rels: readonly string[], sizes: readonly number[], onProgress?: (files: number, bytes: number) => void): Promise<FileHashes> {
  const n = rels.length;
  let total = 0;
  for (const s of sizes) total += s;
  const parallel = helperAllowed() && n >= 2 && (n >= PARALLEL_HASH_MIN_FILES || total >= PARALLEL_HASH_MIN_BYTES);
  const sab = (bytes: number): ArrayBuffer => (parallel ? (new SharedArrayBuffer(bytes) as unknown as ArrayBuffer) : new ArrayBuffer(bytes));
  const out: FileHashes = { hashes: new BigUint64Array(sab(8 * n)), sizes: new Float64Array(sab(8 * n)), kinds: new Uint8Array(sab(n)), reasons: new Map() };
  const job = newShared(n, HASH_CHUNK);
  // Progress counts finished chunks of both threads (by their lstat sizes), at most every 100 ms.
  let counted = 0;
  let files = 0;
  let bytes = 0;
  let reportedAt = 0;
  const countDone = new Uint8Array(job.chunkDone.length);
  const report = (): void => {
    if (!onProgress || Atomics.load(job.control, DONE) === counted) return;
    for (let c = 0; c < countDone.length; c++) {
      if (countDone[c] === 1 || Atomics.load(job.chunkDone, c) === 0) continue;
      countDone[c] = 1;
      counted++;
      for (let i = c * HASH_CHUNK; i < Math.min(n, (c + 1) * HASH_CHUNK); i++) {
        files++;
        bytes += sizes[i];
      }
    }
    onProgress(files, bytes);
  };
  const run = (from: number, to: number): void => {
    hashInto(root, rels, from, to, out);
    const now = performance.now();
    if (now - reportedAt >= 100) {
      reportedAt = now;
      report();
    }
  };
  if (!parallel) claimChunks(job, run);
  else await shareJob(job, { op: 'hash', root, rels: rels.join('\0'), job, hashes: out }, run);
  report();
  // A file the helper found no longer regular is looked at again here, for the reason's text.
  for (let i = 0; i < n; i++) {
    if (out.kinds[i] === SKIPPED && !out.reasons.has(i)) hashInto(root, rels, i, i + 1, out);
  }
  return out;
}
