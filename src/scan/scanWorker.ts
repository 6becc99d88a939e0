/**
 * The scan's helper thread (started by scan/parallel.ts): claims chunks of a job's files from
 * the shared counter and `lstat`s or hashes them straight into the job's shared arrays, so
 * both cores work on a big tree. It only reads. Any error is answered as `failed` (the chunk
 * stays unfinished; the main thread does it again and raises the real error).
 */
import { parentPort } from 'node:worker_threads';
import { hashInto, statInto, type FileHashes, type FileStats } from './fileWork.js';

/** The shared part of a job: control counters (next chunk, chunks done, done by the helper) and a done flag per chunk. */
export interface SharedJob {
  control: Int32Array;
  chunkDone: Uint8Array;
  n: number;
  chunk: number;
}

/** A job: paths relative to `root`, joined with NUL (one string crosses threads far faster than an array). */
export type ScanJob = { id: number; root: string; rels: string; job: SharedJob } & ({ op: 'stat'; stats: FileStats } | { op: 'hash'; hashes: FileHashes });

/** Answers name their job: a late answer to an earlier job must not be taken for the current one's. */
export type ScanAnswer = { ready: true } | { id: number; finished: true } | { id: number; failed: string };

const NEXT = 0;
const DONE = 1;
const BY_HELPER = 2;

const port = parentPort!;
port.on('message', (m: ScanJob) => {
  const { job } = m;
  const rels = m.rels === '' ? [] : m.rels.split('\0');
  const chunks = job.chunkDone.length;
  try {
    for (let c = Atomics.add(job.control, NEXT, 1); c < chunks; c = Atomics.add(job.control, NEXT, 1)) {
      const from = c * job.chunk;
      const to = Math.min(job.n, from + job.chunk);
      if (m.op === 'stat') statInto(m.root, rels, from, to, m.stats);
      else hashInto(m.root, rels, from, to, m.hashes); // reasons stay here: the main thread looks again
      Atomics.store(job.chunkDone, c, 1);
      Atomics.add(job.control, BY_HELPER, 1);
      Atomics.add(job.control, DONE, 1);
      Atomics.notify(job.control, DONE);
    }
    port.postMessage({ id: m.id, finished: true } satisfies ScanAnswer);
  } catch (err) {
    port.postMessage({ id: m.id, failed: (err as Error).message } satisfies ScanAnswer);
  }
});
port.postMessage({ ready: true } satisfies ScanAnswer);
