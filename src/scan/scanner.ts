/**
 * The working-copy scanner: walks the project, applies the tracking rules, reports ignored,
 * skipped and invalid paths, and produces the local manifest entries (L). Unchanged files are
 * not read again thanks to the stat cache; the rest are hashed (streamed above 8 MiB).
 */
import { lstatSync, opendirSync, readdirSync, readlinkSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { hashLocalFile, hex64, SMALL_FILE_MAX, type LocalHashResult } from '../manifest/hash.js';
import { ABSENT, SKIPPED, type FileStats } from './fileWork.js';
import { hashFiles, PRESTART_AT_FILES, prestartHelper, statFiles } from './parallel.js';
import { formatMtimeNs } from '../manifest/time.js';
import type { Entry } from '../manifest/types.js';
import { escapingLinks, unsafeLinkReason } from '../manifest/codec.js';
import { findCaseCollisions, validatePath, type PathProblem } from './pathRules.js';
import { ignoredDirectory, ignoredFile, inDataDir, isHiddenName, type TrackingRules } from './rules.js';
import type { StatRow } from './statCache.js';
import { UnreadablePathError } from '../errors/UnreadablePathError.js';
import type { Progress } from '../transaction/progress.js';

export interface SkippedPath {
  path: string;
  reason: string;
}

export interface ScanResult {
  /** Tracked entries in walk order; `user` is filled from `previous` or the scanning user. */
  entries: Map<string, Entry>;
  /** Candidates hidden by an ignore rule (directories end with `/`). */
  ignored: string[];
  /** Things that cannot be tracked, with the reason (absolute/escaping links, sockets, …). */
  skipped: SkippedPath[];
  /** Tracked paths that break the path rules (block init/sync unless --normalize). */
  invalid: PathProblem[];
  caseCollisions: string[][];
  /** Rows for the next stat cache. */
  statRows: Map<string, StatRow>;
  hashedFiles: number;
  hashedBytes: number;
  /** False when the stat cache already holds exactly these rows (no need to rewrite it). */
  statCacheStale: boolean;
}

export interface ScanOptions {
  root: string;
  rules: TrackingRules;
  /** Email recorded on new and changed entries. */
  user: string;
  /** The cache manifest C: unchanged entries keep its `user`. */
  previous?: Map<string, Entry>;
  /** Hashes of unchanged files (scan/workingIndex.ts); without it every file is hashed. */
  statCache?: { lookup(path: string, size: number, mtimeNs: bigint, ino: bigint): string | undefined; readonly rowCount: number; readonly outOfOrder?: boolean };
  /** Told of the "hash" phase (files and bytes the index cannot vouch for) when there is one; the caller ends it. */
  progress?: Progress;
}

/**
 * The regular files a walk found, as parallel arrays (one small object per file would be most
 * of the memory of a 100,000-file status): path, and size, mtime (ns) and inode from `lstat`.
 */
export interface WalkedFiles extends FileStats {
  rels: string[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The reason given for names that are not valid UTF-8 (Linux allows any bytes). */
export const NOT_UTF8 = 'is not valid UTF-8';

/** A name as text, or null when its bytes are not valid UTF-8. */
function decodeName(raw: Buffer): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

/** Valid UTF-8 sequences as text, every other byte as `\xNN`, so such names can be shown. */
export function escapeBytes(raw: Buffer): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const b = raw[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const text = len > 0 && i + len <= raw.length ? decodeName(raw.subarray(i, i + len)) : null;
    if (text === null) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += text;
      i += len;
    }
  }
  return out;
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}

/**
 * Walk the tree and collect candidates; no file content is read here, and files are listed
 * only (their `lstat` comes after, see statFiles). Names are read as text, sorted (libuv's
 * scandir); a folder holding a name that is not valid UTF-8 (it reads as U+FFFD) is listed
 * again as bytes, since such a name cannot be reached through a decoded string.
 */
function walk(opts: ScanOptions, out: ScanResult): string[] {
  const files: string[] = [];
  const { rules } = opts;

  const cannotRead = (err: unknown, relDir: string): boolean => {
    const code = (err as NodeJS.ErrnoException).code;
    if (relDir !== '' && (code === 'ENOENT' || code === 'ENOTDIR')) return true; // removed or replaced since it was listed: absent
    const shown = relDir || '.';
    throw new UnreadablePathError(
      `Cannot read the folder ${shown} (${join(opts.root, shown)}): ${describeReadError(err)}. Fix its permissions, or list it under ignore.paths in .dsgconfig.yml.`,
      { cause: err },
    );
  };

  /** True when the walk goes on into this folder; an ignored one is reported (inside a data dir). */
  const enterDir = (rel: string, name: string, inData: boolean): boolean => {
    if (!ignoredDirectory(rules, rel, name)) return true;
    if (inData) out.ignored.push(`${rel}/`);
    return false;
  };

  /** Anything but a folder. `bad`: the path holds a name that is not UTF-8; `inData`: some component is a data dir. */
  const leaf = (d: Dirent, rel: string, name: string, abs: string | Buffer, bad: boolean, inData: boolean): void => {
    if (!inData) return;
    if (ignoredFile(rules, rel, name)) {
      out.ignored.push(rel);
      return;
    }
    if (bad) {
      out.invalid.push({ path: rel, component: name, reason: `Path ${NOT_UTF8} (such bytes are shown as \\xNN); rename it by hand` });
      return;
    }
    if (d.isSymbolicLink()) {
      const target = decodeName(readlinkSync(abs, { encoding: 'buffer' }));
      // A target that is not UTF-8 cannot be stored in a JSON manifest without changing it.
      const why = target === null ? `has a target that ${NOT_UTF8}` : unsafeLinkReason(rel, target);
      if (why !== null || target === null) {
        out.skipped.push({ path: rel, reason: `symlink ${why}` });
        return;
      }
      addEntry(opts, out, { type: 'link', path: rel, user: opts.user, reference: target });
      return;
    }
    if (!d.isFile()) {
      out.skipped.push({ path: rel, reason: d.isFIFO() ? 'FIFO' : d.isSocket() ? 'socket' : 'device or special file' });
      return;
    }
    files.push(rel);
    // A big tree: start the helper thread now, so it has started when the walk ends.
    if (files.length === PRESTART_AT_FILES) prestartHelper();
  };

  const visitText = (absDir: string, relDir: string, data: boolean): void => {
    let list: Dirent[];
    try {
      list = readdirSync(absDir, { withFileTypes: true });
    } catch (err) {
      if (cannotRead(err, relDir)) return;
      throw err;
    }
    for (const d of list) if (d.name.includes('\uFFFD')) return visitBytes(Buffer.from(absDir), relDir, false, data);
    for (const d of list) {
      const name = d.name;
      if (isHiddenName(name)) continue; // also skips .dsg and .dsgconfig.yml at the root
      const rel = relDir ? `${relDir}/${name}` : name;
      const inData = data || rules.everything || rules.dataDirs.has(name);
      const abs = `${absDir}/${name}`;
      if (d.isDirectory()) {
        if (enterDir(rel, name, inData)) visitText(abs, rel, inData);
      } else leaf(d, rel, name, abs, false, inData);
    }
  };

  // `undecodable`: the path (so far) holds a name that is not UTF-8; nothing below it can be tracked.
  const visitBytes = (absDir: Buffer, relDir: string, undecodable: boolean, data: boolean): void => {
    let dir;
    try {
      dir = opendirSync(absDir, { encoding: 'buffer' as BufferEncoding });
    } catch (err) {
      if (cannotRead(err, relDir)) return;
      throw err;
    }
    try {
      for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
        const raw = d.name as unknown as Buffer;
        const decoded = decodeName(raw);
        const name = decoded ?? escapeBytes(raw);
        if (isHiddenName(name)) continue;
        const bad = undecodable || decoded === null;
        const rel = relDir ? `${relDir}/${name}` : name;
        const inData = data || rules.everything || rules.dataDirs.has(name);
        const abs = Buffer.concat([absDir, Buffer.from('/'), raw]);
        if (d.isDirectory()) {
          if (!enterDir(rel, name, inData)) continue;
          if (bad) visitBytes(abs, rel, true, inData);
          else visitText(abs.toString('utf8'), rel, inData);
        } else leaf(d, rel, name, abs, bad, inData);
      }
    } finally {
      dir.closeSync();
    }
  };
  visitText(opts.root, '', false);
  return files;
}

function addEntry(opts: ScanOptions, out: ScanResult, e: Entry): void {
  const prev = opts.previous?.get(e.path);
  if (prev && prev.type === e.type && (e.type === 'file' ? prev.type === 'file' && prev.hash === e.hash : prev.type === 'link' && prev.reference === e.reference)) {
    e.user = prev.user;
  }
  const problem = validatePath(e.path);
  if (problem) out.invalid.push(problem);
  out.entries.set(e.path, e);
}

/** Links that leave the project only when followed through other links: skipped, as readers reject them. */
function dropEscapingLinks(out: ScanResult): void {
  const links = new Map<string, string>();
  for (const e of out.entries.values()) if (e.type === 'link') links.set(e.path, e.reference);
  if (links.size === 0) return;
  for (const [path, why] of escapingLinks(links)) {
    out.entries.delete(path);
    out.invalid = out.invalid.filter((p) => p.path !== path);
    out.skipped.push({ path, reason: `symlink ${why}` });
  }
}

/** What the walk found: files still to look up or hash, and the partial result (links, skipped, invalid, ignored). */
export interface WalkedTree {
  files: WalkedFiles;
  out: ScanResult;
}

/** The walk alone: no file content is read (status compares it with the index first). */
export async function walkWorkingCopy(opts: ScanOptions): Promise<WalkedTree> {
  const out: ScanResult = {
    entries: new Map(),
    ignored: [],
    skipped: [],
    invalid: [],
    caseCollisions: [],
    statRows: new Map(),
    hashedFiles: 0,
    hashedBytes: 0,
    statCacheStale: true,
  };
  const rels = walk(opts, out);
  return { files: { rels, ...(await statFiles(opts.root, rels)) }, out };
}

/**
 * Hash what the index cannot vouch for and build the entries, in walk order. Files up to
 * SMALL_FILE_MAX are hashed on both cores (scan/parallel.ts); larger ones one at a time
 * without blocking, with byte progress.
 */
export async function scanWorkingCopy(opts: ScanOptions, walked?: WalkedTree): Promise<ScanResult> {
  const { files, out } = walked ?? (await walkWorkingCopy(opts));
  const cache = opts.statCache ?? { lookup: () => undefined, rowCount: 0 };
  const n = files.rels.length;
  const known: (string | undefined)[] = new Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    if (files.present[i] === 0) continue;
    known[i] = cache.lookup(files.rels[i], files.sizes[i], files.mtimeNs[i], files.inos[i]);
    if (known[i] === undefined) (files.sizes[i] <= SMALL_FILE_MAX ? small : large).push(i);
  }
  // Only what is hashed counts: files the index vouches for cost nothing.
  const progress = opts.progress;
  const toHash = [...small, ...large];
  if (progress && toHash.length > 0) progress.phase('hash', toHash.length, toHash.reduce((sum, i) => sum + files.sizes[i], 0));
  // Reports are running totals; Progress takes increments (never negative: a file that grew while hashed).
  const reported = { files: 0, bytes: 0 };
  const report = (doneFiles: number, doneBytes: number): void => {
    if (!progress) return;
    if (doneBytes > reported.bytes) progress.bytes(doneBytes - reported.bytes);
    if (doneFiles > reported.files) progress.fileDone(doneFiles - reported.files);
    reported.files = Math.max(reported.files, doneFiles);
    reported.bytes = Math.max(reported.bytes, doneBytes);
  };
  // Small files' results stay in the arrays the helper returned (no object per file): slot[i] = k + 1.
  const slot = new Int32Array(n);
  small.forEach((i, k) => (slot[i] = k + 1));
  const h = await hashFiles(opts.root, small.map((i) => files.rels[i]), small.map((i) => files.sizes[i]), progress && report);
  let doneFiles = small.length;
  let doneBytes = 0;
  for (const i of small) doneBytes += files.sizes[i];
  report(doneFiles, doneBytes);
  const hashedLarge = new Map<number, LocalHashResult>();
  for (const i of large) {
    // Since the walk the file may have vanished (then it is absent) or been replaced by a FIFO, device or link (skipped).
    let fileBytes = 0;
    hashedLarge.set(i, await hashLocalFile(`${opts.root}/${files.rels[i]}`, (b) => report(doneFiles, doneBytes + (fileBytes += b))));
    doneBytes += files.sizes[i];
    report(++doneFiles, doneBytes);
  }
  const resultOf = (i: number): LocalHashResult => {
    const k = slot[i] - 1;
    if (k < 0) return hashedLarge.get(i)!;
    return h.kinds[k] === ABSENT ? { kind: 'absent' } : h.kinds[k] === SKIPPED ? { kind: 'skipped', reason: h.reasons.get(k)! } : { kind: 'hashed', hash: hex64(h.hashes[k]), size: h.sizes[k] };
  };
  for (let i = 0; i < n; i++) {
    if (files.present[i] === 0) continue;
    const rel = files.rels[i];
    let size = files.sizes[i];
    const mtimeNs = files.mtimeNs[i];
    let hash = known[i];
    let stable = true;
    if (hash === undefined) {
      const r = resultOf(i);
      if (r.kind === 'absent') continue;
      if (r.kind === 'skipped') {
        out.skipped.push({ path: rel, reason: r.reason });
        continue;
      }
      hash = r.hash;
      // Written to between lstat and read: the entry takes the size of what was hashed, and the
      // index does not vouch for it (the next scan hashes it again).
      stable = r.size === size;
      size = r.size;
      out.hashedFiles++;
      out.hashedBytes += size;
    }
    if (stable) out.statRows.set(rel, { size, mtimeNs, ino: files.inos[i], hash });
    addEntry(opts, out, { type: 'file', path: rel, user: opts.user, filesize: size, mtime: formatMtimeNs(mtimeNs), hash });
  }
  out.statCacheStale = out.hashedFiles > 0 || out.statRows.size !== cache.rowCount || cache.outOfOrder === true;
  dropEscapingLinks(out);
  out.caseCollisions = findCaseCollisions(out.entries.keys());
  return out;
}
