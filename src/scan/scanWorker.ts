/**
 * The scan's helper thread (started by scan/parallel.ts): claims chunks of a job's files from
 * the shared counter and `lstat`s or hashes them straight into the job's shared arrays, so
 * both cores work on a big tree. It only reads. Any error is answered as `failed` (the chunk
 * stays unfinished; the main thread does it again and raises the real error).
 */
import { parentPort } from 'node:worker_threads';
import { claimChunks, hashInto, statInto, type FileHashes, type FileStats, type SharedJob } from './fileWork.js';

/** A job: paths relative to `root`, joined with NUL (one string crosses threads far faster than an array). */
export type ScanJob = { id: number; root: string; rels: string; job: SharedJob } & ({ op: 'stat'; stats: FileStats } | { op: 'hash'; hashes: FileHashes });

/** Answers name their job: a late answer to an earlier job must not be taken for the current one's. */
export type ScanAnswer = { ready: true } | { id: number; failed: string };

const port = parentPort!;
port.on('message', (m: ScanJob) => {
  const rels = m.rels === '' ? [] : m.rels.split('\0');
  try {
    // Skip reasons stay in this thread's copy of `reasons`: the main thread looks at such files again.
    claimChunks(m.job, (from, to) => (m.op === 'stat' ? statInto(m.root, rels, from, to, m.stats) : hashInto(m.root, rels, from, to, m.hashes)), true);
  } catch (err) {
    port.postMessage({ id: m.id, failed: (err as Error).message } satisfies ScanAnswer);
  }
});
port.postMessage({ ready: true } satisfies ScanAnswer);
