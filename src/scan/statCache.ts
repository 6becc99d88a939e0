/**
 * The JSON stat cache `.dsg/stat-cache.json` of earlier dsg versions, now replaced by the
 * binary index `.dsg/index` (scan/workingIndex.ts): read once, when no index exists yet.
 * It held
 * size, mtime (ns), inode and hash of each tracked file as last hashed, so an unchanged file
 * is not read again. A hash is reused only when size, mtime and inode all match and the mtime
 * is older than the cache's write time minus 2 s (the "racy" rule: a file written in the same
 * instant the cache was written may change again without its mtime moving).
 */
import { readFileSync } from 'node:fs';
import { atomicWriteFile } from '../client/atomicWrite.js';
import { WorkingIndex } from './workingIndex.js';

const RACY_NS = 2_000_000_000n;

interface Row {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  hash: string;
}

export class StatCache {
  private readonly rows = new Map<string, Row>();
  private readonly writtenAtNs: bigint;

  private constructor(writtenAtNs: bigint) {
    this.writtenAtNs = writtenAtNs;
  }

  static empty(): StatCache {
    return new StatCache(0n);
  }

  /** Load from disk; a missing or unreadable cache is an empty one (it is only an optimisation). */
  static load(file: string): StatCache {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { version: number; written_at_ns: string; rows: [string, number, string, string, string][] };
      if (doc.version !== 1) return StatCache.empty();
      const c = new StatCache(BigInt(doc.written_at_ns));
      for (const [p, size, mtime, ino, hash] of doc.rows) c.rows.set(p, { size, mtimeNs: BigInt(mtime), ino: BigInt(ino), hash });
      return c;
    } catch {
      return StatCache.empty();
    }
  }

  /** The same rows as a working index (same write time, so the racy rule is unchanged). */
  toIndex(): WorkingIndex {
    return WorkingIndex.fromRows(this.writtenAtNs, this.rows);
  }

  get rowCount(): number {
    return this.rows.size;
  }

  /** The cached hash when the file is provably unchanged, else undefined. */
  lookup(path: string, size: number, mtimeNs: bigint, ino: bigint): string | undefined {
    const r = this.rows.get(path);
    if (!r || r.size !== size || r.mtimeNs !== mtimeNs || r.ino !== ino) return undefined;
    if (mtimeNs >= this.writtenAtNs - RACY_NS) return undefined;
    return r.hash;
  }

  /** A new cache holding exactly the given rows, stamped now. */
  static save(file: string, rows: Iterable<[string, Row]>): void {
    const out: [string, number, string, string, string][] = [];
    for (const [p, r] of rows) out.push([p, r.size, r.mtimeNs.toString(), r.ino.toString(), r.hash]);
    const writtenAt = BigInt(Date.now()) * 1_000_000n;
    atomicWriteFile(file, JSON.stringify({ version: 1, written_at_ns: writtenAt.toString(), rows: out }));
  }
}

export type StatRow = Row;
