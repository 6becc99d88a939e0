/**
 * The working-copy scanner: walks the project, applies the tracking rules, reports ignored,
 * skipped and invalid paths, and produces the local manifest entries (L). Unchanged files are
 * not read again thanks to the stat cache; the rest are hashed (streamed above 8 MiB).
 */
import { lstatSync, opendirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { hashLocalFile } from '../manifest/hash.js';
import { formatMtimeNs } from '../manifest/time.js';
import type { Entry } from '../manifest/types.js';
import { escapingLinks, unsafeLinkReason } from '../manifest/codec.js';
import { findCaseCollisions, validatePath, type PathProblem } from './pathRules.js';
import { ignoredDirectory, ignoredFile, inDataDir, isHiddenName, type TrackingRules } from './rules.js';
import type { StatRow } from './statCache.js';
import { UnreadablePathError } from '../errors/UnreadablePathError.js';

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
  statCache?: { lookup(path: string, size: number, mtimeNs: bigint, ino: bigint): string | undefined; readonly rowCount: number };
  onProgress?: (files: number, bytes: number) => void;
}

export interface PendingFile {
  rel: string;
  abs: string;
  st: BigIntStats;
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

/** Walk the tree and collect candidates; no file content is read here. */
function walk(opts: ScanOptions, out: ScanResult): PendingFile[] {
  const files: PendingFile[] = [];
  const { rules } = opts;
  // Names are read as bytes: a name that is not UTF-8 cannot be reached through a decoded string.
  // `undecodable`: the path (so far) holds such a name; nothing below it can be tracked.
  const visit = (absDir: Buffer, relDir: string, undecodable: boolean): void => {
    let dir;
    try {
      dir = opendirSync(absDir, { encoding: 'buffer' as BufferEncoding });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (relDir !== '' && (code === 'ENOENT' || code === 'ENOTDIR')) return; // removed or replaced since it was listed: absent
      const shown = relDir || '.';
      throw new UnreadablePathError(
        `Cannot read the folder ${shown} (${join(opts.root, shown)}): ${describeReadError(err)}. Fix its permissions, or list it under ignore.paths in .dsgconfig.yml.`,
        { cause: err },
      );
    }
    try {
      for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
        const raw = d.name as unknown as Buffer;
        const decoded = decodeName(raw);
        const name = decoded ?? escapeBytes(raw);
        if (isHiddenName(name)) continue; // also skips .dsg and .dsgconfig.yml at the root
        const bad = undecodable || decoded === null;
        const rel = relDir ? `${relDir}/${name}` : name;
        const abs = Buffer.concat([absDir, Buffer.from('/'), raw]);
        if (d.isDirectory()) {
          const why = ignoredDirectory(rules, rel, name);
          if (why) {
            if (inDataDir(rules, rel)) out.ignored.push(`${rel}/`);
            continue;
          }
          visit(abs, rel, bad);
          continue;
        }
        if (!inDataDir(rules, rel)) continue;
        if (ignoredFile(rules, rel, name)) {
          out.ignored.push(rel);
          continue;
        }
        if (bad) {
          out.invalid.push({ path: rel, component: name, reason: `Path ${NOT_UTF8} (such bytes are shown as \\xNN); rename it by hand` });
          continue;
        }
        if (d.isSymbolicLink()) {
          const target = decodeName(readlinkSync(abs, { encoding: 'buffer' }));
          // A target that is not UTF-8 cannot be stored in a JSON manifest without changing it.
          const why = target === null ? `has a target that ${NOT_UTF8}` : unsafeLinkReason(rel, target);
          if (why !== null || target === null) {
            out.skipped.push({ path: rel, reason: `symlink ${why}` });
            continue;
          }
          addEntry(opts, out, { type: 'link', path: rel, user: opts.user, reference: target });
          continue;
        }
        if (!d.isFile()) {
          out.skipped.push({ path: rel, reason: d.isFIFO() ? 'FIFO' : d.isSocket() ? 'socket' : 'device or special file' });
          continue;
        }
        const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
        if (st) files.push({ rel, abs: abs.toString('utf8'), st }); // else removed since it was listed: absent
      }
    } finally {
      dir.closeSync();
    }
  };
  visit(Buffer.from(opts.root), '', false);
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
  files: PendingFile[];
  out: ScanResult;
}

/** The walk alone: no file content is read (status compares it with the index first). */
export function walkWorkingCopy(opts: ScanOptions): WalkedTree {
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
  return { files: walk(opts, out), out };
}

export async function scanWorkingCopy(opts: ScanOptions, walked: WalkedTree = walkWorkingCopy(opts)): Promise<ScanResult> {
  const { files, out } = walked;
  const cache = opts.statCache ?? { lookup: () => undefined, rowCount: 0 };
  let doneFiles = 0;
  let doneBytes = 0;
  for (const f of files) {
    const size = Number(f.st.size);
    let hash = cache.lookup(f.rel, size, f.st.mtimeNs, f.st.ino);
    if (hash === undefined) {
      // Since the walk the file may have vanished (then it is absent) or been replaced by a FIFO, device or link (skipped).
      const r = await hashLocalFile(f.abs);
      if (r.kind === 'absent') continue;
      if (r.kind === 'skipped') {
        out.skipped.push({ path: f.rel, reason: r.reason });
        continue;
      }
      hash = r.hash;
      out.hashedFiles++;
      out.hashedBytes += size;
    }
    out.statRows.set(f.rel, { size, mtimeNs: f.st.mtimeNs, ino: f.st.ino, hash });
    addEntry(opts, out, { type: 'file', path: f.rel, user: opts.user, filesize: size, mtime: formatMtimeNs(f.st.mtimeNs), hash });
    doneFiles++;
    doneBytes += size;
    if (opts.onProgress && (doneFiles & 255) === 0) opts.onProgress(doneFiles, doneBytes);
  }
  opts.onProgress?.(doneFiles, doneBytes);
  out.statCacheStale = out.hashedFiles > 0 || out.statRows.size !== cache.rowCount;
  dropEscapingLinks(out);
  out.caseCollisions = findCaseCollisions(out.entries.keys());
  return out;
}
