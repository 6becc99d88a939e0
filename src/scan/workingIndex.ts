/**
 * The working-copy index `.dsg/index` (dsg's own file, not part of the old formats; it
 * replaces `.dsg/stat-cache.json`, read once for compatibility): size, mtime (ns), inode and
 * hash of each tracked file as last hashed, so an unchanged file is not read again, like
 * git's index. Binary, so 100,000 rows load in ~0.1 s without parsing JSON.
 *
 * A hash is reused only when size, mtime and inode all match and the mtime is older than the
 * index's write time minus 2 s (the "racy" rule of SPEC §3: a file written in the same instant
 * may change again without its mtime moving). A missing, torn or otherwise unreadable index
 * is an empty one: every file is hashed, nothing is ever taken as "unchanged" by default.
 *
 * Layout (little-endian):
 *   0  "DSGINDEX"                       8 bytes
 *   8  u32 version (1)
 *  12  u32 header bytes H
 *  16  u32 row count N
 *  20  u32 path table bytes P
 *  24  u64 XXH3-64 of everything from byte 32 on
 *  32  header: UTF-8 JSON (see IndexHeader), padded with spaces to a multiple of 8
 *      rows: N × 32 bytes: u64 size, i64 mtime ns, u64 inode, u64 content hash
 *      path table: the N paths, UTF-8, each followed by a NUL byte
 *
 * `clean` (see IndexHeader) records that the status which wrote the index found everything
 * up to date; `status` then answers from the index alone while every file's stat matches.
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { atomicWriteFile } from '../client/atomicWrite.js';
import { xxh3 } from '@node-rs/xxhash';
import { hex64 } from '../manifest/hash.js';
import { MANIFEST_MAX_BYTES } from '../manifest/limits.js';

const MAGIC = Buffer.from('DSGINDEX', 'latin1');
const VERSION = 1;
const PREFIX = 32;
const ROW = 32;
const RACY_NS = 2_000_000_000n;

export interface IndexRow {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  hash: string;
}

/** The state a status found up to date (L = C = R, nothing invalid, skipped or colliding). */
export interface CleanState {
  /** The cache file C (`.dsg/last-sync.json`) as it was: its stamp and metadata. */
  cache: { size: number; mtime_ns: string; ino: string; snapshot_id: string; snapshot_hash: string; entries_hash: string; entry_count: number };
  /** XXH3 of the tracking rules (data_dirs and ignore) in force. */
  rules: string;
  /** XXH3 over the tracked links (path NUL target NUL …, walk order). */
  links: string;
  /** Status counts: unchanged paths, repository files outside the rules. */
  unchanged: number;
  outside: number;
}

interface IndexHeader {
  written_at_ns: string;
  clean: CleanState | null;
}

export class WorkingIndex {
  private paths: string[] = [];
  private byPath: Map<string, number> | null = null;
  private next = 0; // see rowOf
  /** A lookup missed the walk-order guess: rewriting the index in the walk's order makes the next status faster. */
  outOfOrder = false;
  private sizes: Float64Array = new Float64Array(0);
  private words: BigUint64Array = new BigUint64Array(0); // per row: mtime (as u64), ino, hash

  private constructor(
    readonly writtenAtNs: bigint,
    readonly clean: CleanState | null,
    /** Made from the JSON stat cache of an earlier dsg: the next status writes the index. */
    readonly legacy = false,
  ) {}

  static empty(): WorkingIndex {
    return new WorkingIndex(0n, null);
  }

  /** Rows from the old JSON stat cache (read once, before the first index is written). */
  static fromRows(writtenAtNs: bigint, rows: Iterable<[string, IndexRow]>): WorkingIndex {
    const list = [...rows];
    const ix = new WorkingIndex(writtenAtNs, null, true);
    ix.paths = list.map(([p]) => p);
    ix.sizes = new Float64Array(list.length);
    ix.words = new BigUint64Array(list.length * 3);
    list.forEach(([, r], i) => {
      ix.sizes[i] = r.size;
      ix.words[i * 3] = BigInt.asUintN(64, r.mtimeNs);
      ix.words[i * 3 + 1] = BigInt.asUintN(64, r.ino);
      ix.words[i * 3 + 2] = BigInt(`0x${r.hash}`);
    });
    return ix;
  }

  /** The index at `file`; null when absent; an empty index when it cannot be read or verified. */
  static load(file: string): WorkingIndex | null {
    let data: Buffer;
    try {
      const st = lstatSync(file, { throwIfNoEntry: false });
      if (st === undefined) return null;
      if (!st.isFile() || st.size > MANIFEST_MAX_BYTES || st.size < PREFIX) return WorkingIndex.empty();
      data = readFileSync(file);
    } catch {
      return WorkingIndex.empty();
    }
    return WorkingIndex.decode(data) ?? WorkingIndex.empty();
  }

  private static decode(data: Buffer): WorkingIndex | null {
    if (data.length < PREFIX || !data.subarray(0, 8).equals(MAGIC) || data.readUInt32LE(8) !== VERSION) return null;
    const headerBytes = data.readUInt32LE(12);
    const n = data.readUInt32LE(16);
    const pathBytes = data.readUInt32LE(20);
    if (headerBytes % 8 !== 0 || PREFIX + headerBytes + n * ROW + pathBytes !== data.length) return null;
    if (data.readBigUInt64LE(24) !== xxh3.xxh64(data.subarray(PREFIX))) return null;
    let header: IndexHeader;
    try {
      header = JSON.parse(data.subarray(PREFIX, PREFIX + headerBytes).toString('utf8')) as IndexHeader;
      if (typeof header.written_at_ns !== 'string' || !/^\d{1,20}$/.test(header.written_at_ns)) return null;
    } catch {
      return null;
    }
    const rowsAt = PREFIX + headerBytes;
    const pathsAt = rowsAt + n * ROW;
    const table = data.toString('utf8', pathsAt, data.length);
    if (n > 0 ? !table.endsWith('\0') : table.length !== 0) return null;
    const paths = n > 0 ? table.slice(0, -1).split('\0') : [];
    if (paths.length !== n) return null;
    const ix = new WorkingIndex(BigInt(header.written_at_ns), isClean(header.clean) ? header.clean : null);
    ix.paths = paths;
    // Copy into aligned typed arrays (the rows start at a multiple of 8 in the file, not in memory).
    const rows = new BigUint64Array(n * 4);
    Buffer.from(rows.buffer).set(data.subarray(rowsAt, pathsAt));
    ix.sizes = new Float64Array(n);
    ix.words = new BigUint64Array(n * 3);
    for (let i = 0; i < n; i++) {
      ix.sizes[i] = Number(rows[i * 4]);
      ix.words[i * 3] = rows[i * 4 + 1];
      ix.words[i * 3 + 1] = rows[i * 4 + 2];
      ix.words[i * 3 + 2] = rows[i * 4 + 3];
    }
    return ix;
  }

  get rowCount(): number {
    return this.paths.length;
  }

  /**
   * The row of `path`. A walk asks in the order the index was written (the previous walk's),
   * so the row after the last one found is tried first; the map of all paths (most of the
   * time of a 100,000-file status) is built only when that guess misses.
   */
  private rowOf(path: string): number | undefined {
    if (this.paths[this.next] === path) return this.next++;
    if (this.byPath === null) {
      this.byPath = new Map();
      for (let i = 0; i < this.paths.length; i++) this.byPath.set(this.paths[i], i);
    }
    const i = this.byPath.get(path);
    if (i !== undefined) this.next = i + 1;
    this.outOfOrder = true;
    return i;
  }

  /**
   * True when row `i` is `path` with this size, mtime and inode, not racy: the fast status asks
   * row by row, since a tree that did not change walks in the order its index was written.
   * (An index in another order fails here; the full status then rewrites it in walk order.)
   */
  matchesAt(i: number, path: string, size: number, mtimeNs: bigint, ino: bigint): boolean {
    return this.paths[i] === path && this.rowMatches(i, size, mtimeNs, ino);
  }

  private rowMatches(i: number, size: number, mtimeNs: bigint, ino: bigint): boolean {
    if (this.sizes[i] !== size) return false;
    if (this.words[i * 3] !== BigInt.asUintN(64, mtimeNs) || this.words[i * 3 + 1] !== BigInt.asUintN(64, ino)) return false;
    return mtimeNs < this.writtenAtNs - RACY_NS;
  }

  /** The stored hash when the file is provably unchanged, else undefined. */
  lookup(path: string, size: number, mtimeNs: bigint, ino: bigint): string | undefined {
    const i = this.rowOf(path);
    return i !== undefined && this.rowMatches(i, size, mtimeNs, ino) ? hex64(this.words[i * 3 + 2]) : undefined;
  }

  /** Write an index holding exactly `rows`, stamped now (atomic: temp file, rename; not fsynced, see below). */
  static save(file: string, rows: Iterable<[string, IndexRow]>, clean: CleanState | null = null): void {
    const list = [...rows];
    const header: IndexHeader = { written_at_ns: (BigInt(Date.now()) * 1_000_000n).toString(), clean };
    let headerText = JSON.stringify(header);
    headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
    const headerBuf = Buffer.from(headerText, 'utf8');
    const pathBuf = Buffer.from(list.map(([p]) => `${p}\0`).join(''), 'utf8');
    const out = Buffer.alloc(PREFIX + headerBuf.length + list.length * ROW + pathBuf.length);
    MAGIC.copy(out, 0);
    out.writeUInt32LE(VERSION, 8);
    out.writeUInt32LE(headerBuf.length, 12);
    out.writeUInt32LE(list.length, 16);
    out.writeUInt32LE(pathBuf.length, 20);
    headerBuf.copy(out, PREFIX);
    let at = PREFIX + headerBuf.length;
    for (const [, r] of list) {
      out.writeBigUInt64LE(BigInt(r.size), at);
      out.writeBigUInt64LE(BigInt.asUintN(64, r.mtimeNs), at + 8);
      out.writeBigUInt64LE(BigInt.asUintN(64, r.ino), at + 16);
      out.writeBigUInt64LE(BigInt(`0x${r.hash}`), at + 24);
      at += ROW;
    }
    pathBuf.copy(out, at);
    out.writeBigUInt64LE(xxh3.xxh64(out.subarray(PREFIX)), 24);
    // A cache, checked (xxh3) when read and rebuilt when lost: not worth an fsync (git does not fsync its index either).
    atomicWriteFile(file, out, { durable: false });
  }

  /** Remove the JSON stat cache an older dsg wrote, once its rows live in the index. */
  static removeLegacy(file: string): void {
    rmSync(file, { force: true });
  }
}

function isClean(c: unknown): c is CleanState {
  if (c === null || typeof c !== 'object') return false;
  const x = c as Record<string, unknown>;
  const k = x.cache as Record<string, unknown> | null;
  return (
    typeof x.rules === 'string' &&
    typeof x.links === 'string' &&
    Number.isSafeInteger(x.unchanged) &&
    Number.isSafeInteger(x.outside) &&
    k !== null &&
    typeof k === 'object' &&
    Number.isSafeInteger(k.size) &&
    typeof k.mtime_ns === 'string' &&
    /^\d{1,20}$/.test(k.mtime_ns) &&
    typeof k.ino === 'string' &&
    /^\d{1,20}$/.test(k.ino) &&
    typeof k.snapshot_id === 'string' &&
    typeof k.snapshot_hash === 'string' &&
    typeof k.entries_hash === 'string' &&
    Number.isSafeInteger(k.entry_count)
  );
}
