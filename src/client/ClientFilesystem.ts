/**
 * ClientFilesystem: the working copy and its `.dsg/` folder. Scans, stages verified downloads
 * under `.dsg/staging/<tx-id>/`, and applies them at client commit. It knows nothing about
 * where the remote is.
 *
 *   .dsg/last-sync.json             C: the manifest this client last synced
 *   .dsg/sync-messages.json         copy of the repository's history index
 *   .dsg/archive/<sN>-sync.json.lz4 copies of archived manifests
 *   .dsg/index                      size/mtime/inode → hash, binary (see scan/workingIndex.ts);
 *                                   replaces stat-cache.json of earlier versions
 *   .dsg/remote-verified.json       the repository manifest file last verified in full (status)
 *   .dsg/tmp/                       partial downloads
 *   .dsg/staging/<tx-id>/           verified downloads waiting for the commit point
 *   .dsg/resume/<hash>              verified downloads of an interrupted clone, reused by the next
 *   .dsg/transactions/<tx-id>.json  the client journal of a sync in progress
 */
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DsgError } from '../errors/DsgError.js';
import { TransferError } from '../errors/TransferError.js';
import { archiveFileName, archiveNameCandidates } from '../manifest/archive.js';
import { parseManifest, serializeManifest } from '../manifest/codec.js';
import { chunkSizeFor, hashFileSync, StreamingHash } from '../manifest/hash.js';
import { emptySyncMessages, parseSyncMessages, serializeSyncMessages, type SyncMessages } from '../manifest/syncMessages.js';
import { parseManifestTime } from '../manifest/time.js';
import type { Entry, FileEntry, Manifest } from '../manifest/types.js';
import { scanWorkingCopy, walkWorkingCopy, type ScanResult, type WalkedTree } from '../scan/scanner.js';
import type { TrackingRules } from '../scan/rules.js';
import { StatCache, type StatRow } from '../scan/statCache.js';
import { WorkingIndex, type CleanState } from '../scan/workingIndex.js';
import { atomicWriteFile } from './atomicWrite.js';
import { syncFilesystem } from '../platform/syncFilesystem.js';
import { createRegularFileStream, notFound, readRegularFile, readRegularFileSync } from '../platform/safeOpen.js';
import { componentsFit, MAX_NAME_BYTES, placementTempPath } from '../platform/tempName.js';
import type { Progress } from '../transaction/progress.js';

/** Files up to this size move as one buffer: no stream machinery for the many small files. */
export const SMALL_TRANSFER = 1 << 20;

/** Said after a refused upload read. */
const UPLOAD_ADVICE = 'it changed after dsg scanned it. Nothing was published; run "dsg sync" again';

export class ClientFilesystem {
  readonly dsgDir: string;

  constructor(readonly root: string) {
    this.dsgDir = join(root, '.dsg');
  }

  p(...parts: string[]): string {
    return join(this.dsgDir, ...parts);
  }

  abs(relPath: string): string {
    return join(this.root, ...relPath.split('/'));
  }

  // ---- metadata ----

  readCache(): Manifest | null {
    const file = this.p('last-sync.json');
    if (!existsSync(file)) return null;
    return parseManifest(readFileSync(file, 'utf8'), `${file} (this working copy's last sync)`);
  }

  writeCache(m: Manifest): void {
    atomicWriteFile(this.p('last-sync.json'), serializeManifest(m));
  }

  readSyncMessages(): SyncMessages {
    const file = this.p('sync-messages.json');
    if (!existsSync(file)) return emptySyncMessages();
    return parseSyncMessages(readFileSync(file, 'utf8'), file);
  }

  writeSyncMessages(sm: SyncMessages): void {
    atomicWriteFile(this.p('sync-messages.json'), serializeSyncMessages(sm));
  }

  /**
   * The repository manifest file `status` last verified in full while it named the snapshot
   * cached here (`.dsg/remote-verified.json`); null when absent or unreadable (then the next
   * status reads the repository's manifest in full again).
   */
  readVerifiedRemote(): VerifiedRemote | null {
    try {
      const text = readFileSync(this.p('remote-verified.json'), 'utf8');
      if (text.length > 4096) return null;
      const d = JSON.parse(text) as Record<string, unknown>;
      if (d.version !== 1 || typeof d.location !== 'string' || typeof d.snapshot_hash !== 'string' || typeof d.size !== 'number') return null;
      if (typeof d.mtime_ns !== 'string' || typeof d.ino !== 'string' || typeof d.verified_at_ns !== 'string') return null;
      return { location: d.location, snapshotHash: d.snapshot_hash, size: d.size, mtimeNs: BigInt(d.mtime_ns), ino: BigInt(d.ino), verifiedAtNs: BigInt(d.verified_at_ns) };
    } catch {
      return null;
    }
  }

  writeVerifiedRemote(v: VerifiedRemote): void {
    if (!existsSync(this.dsgDir)) return;
    const doc = { version: 1, location: v.location, snapshot_hash: v.snapshotHash, size: v.size, mtime_ns: v.mtimeNs.toString(), ino: v.ino.toString(), verified_at_ns: v.verifiedAtNs.toString() };
    atomicWriteFile(this.p('remote-verified.json'), JSON.stringify(doc));
  }

  hasArchive(snapshotId: string): boolean {
    return archiveNameCandidates(snapshotId).some((n) => existsSync(this.p('archive', n)));
  }

  writeArchive(snapshotId: string, bytes: Uint8Array): void {
    atomicWriteFile(this.p('archive', archiveFileName(snapshotId)), bytes);
  }

  // ---- scanning ----

  /**
   * The working-copy index `.dsg/index`; when there is none yet, the JSON stat cache of an
   * earlier dsg (read once: the next save replaces it); empty when neither can be read.
   */
  loadIndex(): WorkingIndex {
    return WorkingIndex.load(this.p('index')) ?? StatCache.load(this.p('stat-cache.json')).toIndex();
  }

  async scan(
    rules: TrackingRules,
    user: string,
    previous: Map<string, Entry> | undefined,
    progress?: Progress,
    index: WorkingIndex = this.loadIndex(),
    walked?: WalkedTree,
  ): Promise<ScanResult> {
    const opts = { root: this.root, rules, user, previous, statCache: index, progress };
    return scanWorkingCopy(opts, walked);
  }

  /** The walk alone (see scanner.ts), for `status` to compare with the index first. */
  walk(rules: TrackingRules, user: string): Promise<WalkedTree> {
    return walkWorkingCopy({ root: this.root, rules, user });
  }

  saveStatCache(rows: Map<string, StatRow>, clean: CleanState | null = null): void {
    if (!existsSync(this.dsgDir)) return;
    WorkingIndex.save(this.p('index'), rows, clean);
    WorkingIndex.removeLegacy(this.p('stat-cache.json'));
  }

  /** After a read-only scan: rewrite the index only when it learned something. */
  refreshStatCache(scan: ScanResult): void {
    if (scan.statCacheStale) this.saveStatCache(scan.statRows);
  }

  // ---- transfers ----

  /**
   * The file's bytes for an upload: one read for small files, a stream for large ones. A file
   * replaced after the scan by a FIFO, device or link is refused (never opened blocking, never
   * followed), and one that grew past `size` fails at `size` + 1 bytes, naming the file.
   */
  openForUpload(relPath: string, size?: number): AsyncIterable<Uint8Array> {
    const file = this.abs(relPath);
    const advice = UPLOAD_ADVICE;
    if (size !== undefined && size <= SMALL_TRANSFER) {
      // Read lazily so a missing file fails inside the transfer, where it is reported.
      return (async function* () {
        const data = await readRegularFile(file, size, advice);
        if (data === null) throw notFound(file);
        yield data;
      })();
    }
    return createRegularFileStream(file, { expectedSize: size, chunkSize: chunkSizeFor(size), advice });
  }

  /**
   * A small file's bytes for a batched upload, read synchronously (see readRegularFileSync):
   * the same refusals as `openForUpload`, and an ENOENT error when it is gone.
   */
  readForUpload(relPath: string, size: number): Buffer {
    const file = this.abs(relPath);
    const data = readRegularFileSync(file, size, UPLOAD_ADVICE);
    if (data === null) throw notFound(file);
    return data;
  }

  stagedPath(txId: string, hash: string): string {
    return this.p('staging', txId, hash);
  }

  /** Stream a download into staging (via .dsg/tmp/), verifying size and hash before keeping it. */
  async stageDownload(txId: string, entry: FileEntry, source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<void> {
    const staged = this.stagedPath(txId, entry.hash);
    if (existsSync(staged)) return;
    mkdirSync(this.p('tmp'), { recursive: true });
    mkdirSync(dirname(staged), { recursive: true });
    const tmp = this.p('tmp', `${txId}-${randomBytes(6).toString('hex')}`);
    const hash = new StreamingHash();
    const fh = await open(tmp, 'w');
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        // Stop at the first byte past the stated size: a hostile source must not fill the disk.
        if (hash.size > entry.filesize) throw new Error(`the repository sent more than the ${entry.filesize} bytes its manifest states`);
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        onBytes?.(chunk.length);
      }
      // Not fsynced one by one: the transaction flushes once before its client commit.
    } catch (err) {
      await fh.close();
      rmSync(tmp, { force: true });
      throw new TransferError(`Downloading ${entry.path} failed: ${(err as Error).message}`, { cause: err });
    }
    await fh.close();
    if (hash.digest() !== entry.hash || hash.size !== entry.filesize) {
      rmSync(tmp, { force: true });
      throw new TransferError(
        `${entry.path} arrived with other content than the repository's manifest says (expected ${entry.hash}, ${entry.filesize} bytes; got ${hash.digest()}, ${hash.size} bytes). Nothing was changed locally. Run "dsg validate-snapshot --deep" on the repository.`,
      );
    }
    renameSync(tmp, staged);
  }

  /**
   * Before the commit point: everything the client commit will do must be possible. Each
   * target's folders are real folders (or absent, or a file this sync deletes first), a
   * folder standing where a file goes holds only files this sync deletes, and backup names
   * fit. Throws LOCAL_PATH_BLOCKED naming the path; nothing has changed yet.
   */
  checkLocalChanges(changes: readonly { path: string; target: Entry | null; backup?: string }[]): void {
    const deleting = new Set(changes.filter((c) => c.target === null).map((c) => c.path));
    const blocked = (path: string, why: string): never => {
      throw new DsgError('LOCAL_PATH_BLOCKED', `Cannot write ${path}: ${why}. Nothing was changed. Move it away and run "dsg sync" again.`);
    };
    for (const c of changes) {
      if (c.backup && !componentsFit(c.backup)) blocked(c.path, `its conflict backup name ${c.backup} is longer than ${MAX_NAME_BYTES} bytes; set backup_on_conflict: false in dsg.yml to skip backups`);
      if (c.target === null) continue;
      let rel = '';
      for (const part of c.path.split('/').slice(0, -1)) {
        rel = rel ? `${rel}/${part}` : part;
        const st = lstatSync(this.abs(rel), { throwIfNoEntry: false });
        if (st === undefined || st.isDirectory()) continue;
        if (deleting.has(rel)) break;
        blocked(c.path, `${this.abs(rel)} is ${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}, not a folder (dsg never writes through links)`);
      }
      const st = lstatSync(this.abs(c.path), { throwIfNoEntry: false });
      if (st?.isDirectory() && !onlyDeletedFiles(this.abs(c.path), c.path, deleting)) blocked(c.path, `a folder ${this.abs(c.path)} stands there and holds files this sync does not remove`);
    }
  }

  /** Create missing parent directories, refusing to write through a symlink or over a file. */
  private prepareParent(relPath: string): void {
    const parts = relPath.split('/').slice(0, -1);
    let dir = this.root;
    for (const c of parts) {
      dir = join(dir, c);
      let st;
      try {
        st = lstatSync(dir);
      } catch {
        mkdirSync(dir);
        continue;
      }
      if (!st.isDirectory()) {
        throw new DsgError('LOCAL_PATH_BLOCKED', `Cannot write ${relPath}: ${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}, not a folder. Move it away and run "dsg sync" again.`);
      }
    }
  }

  /** Remove now-empty folders above a deleted path, up to (not including) the project root. */
  private pruneEmptyParents(relPath: string): void {
    let dir = dirname(this.abs(relPath));
    while (dir.length > this.root.length && dir.startsWith(this.root)) {
      try {
        rmdirSync(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }

  /** Copy a file (or link) to its conflict backup name; the backup is never tracked. */
  backupFile(relPath: string, backupRelPath: string): void {
    const from = this.abs(relPath);
    const to = this.abs(backupRelPath);
    rmSync(to, { force: true });
    if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else copyFileSync(from, to);
  }

  deleteLocal(relPath: string): void {
    try {
      unlinkSync(this.abs(relPath));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.pruneEmptyParents(relPath);
  }

  /**
   * Put a staged download or a link in place. `keepStaged`: the staged file is needed again
   * (another path with the same content), so copy instead of moving it.
   */
  placeEntry(txId: string, e: Entry, keepStaged: boolean): void {
    this.prepareParent(e.path);
    const target = this.abs(e.path);
    const tmp = this.abs(placementTempPath(e.path, txId));
    rmSync(tmp, { force: true });
    if (e.type === 'link') {
      symlinkSync(e.reference, tmp);
    } else {
      const staged = this.stagedPath(txId, e.hash);
      if (keepStaged) copyFileSync(staged, tmp);
      else renameSync(staged, tmp);
      const t = parseManifestTime(e.mtime);
      // A Date, not seconds: Node replaces a negative number (before 1970) with the current time.
      if (!Number.isNaN(t)) utimesSync(tmp, new Date(t * 1000), new Date(t * 1000));
    }
    // A folder standing where a file goes must already be empty (its files were deleted first).
    try {
      if (lstatSync(target).isDirectory()) rmdirSync(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    renameSync(tmp, target);
  }

  hasStaged(txId: string, hash: string): boolean {
    return existsSync(this.stagedPath(txId, hash));
  }

  /** An interrupted clone keeps what it verified, so the next clone does not fetch it again. */
  keepForResume(txId: string): void {
    const dir = this.p('staging', txId);
    mkdirSync(this.p('resume'), { recursive: true });
    for (const name of safeReaddir(dir)) renameSync(join(dir, name), this.p('resume', name));
    this.removeStaging(txId);
  }

  /** Move a resumable download into staging when its content still verifies; true when it did. */
  takeResumed(txId: string, entry: FileEntry): boolean {
    const kept = this.p('resume', entry.hash);
    if (!existsSync(kept)) return false;
    if (hashFileSync(kept).hash !== entry.hash) {
      rmSync(kept, { force: true });
      return false;
    }
    mkdirSync(this.p('staging', txId), { recursive: true });
    renameSync(kept, this.stagedPath(txId, entry.hash));
    return true;
  }

  clearResume(): void {
    rmSync(this.p('resume'), { recursive: true, force: true });
  }

  /** Temp files a placement killed midway may have left next to its target. */
  removePlacementTemps(txId: string, paths: string[]): void {
    for (const p of paths) rmSync(this.abs(placementTempPath(p, txId)), { force: true });
  }

  removeStaging(txId: string): void {
    rmSync(this.p('staging', txId), { recursive: true, force: true });
    for (const f of safeReaddir(this.p('tmp'))) if (f.startsWith(`${txId}-`)) rmSync(this.p('tmp', f), { force: true });
  }

  /** Make everything written under .dsg/ durable (one syncfs instead of an fsync per file). */
  async flush(): Promise<void> {
    await syncFilesystem(this.dsgDir);
  }

  ensureDsgDir(): void {
    mkdirSync(this.dsgDir, { recursive: true });
    this.checkOwnDirs();
  }

  /**
   * dsg's folders inside `.dsg/` must be real folders: recovery empties staging/ and tmp/, and
   * a link there would make it empty whatever the link points to. Throws naming the link.
   */
  checkOwnDirs(): void {
    for (const sub of OWN_DIRS) {
      const st = lstatSync(this.p(sub), { throwIfNoEntry: false });
      if (st !== undefined && !st.isDirectory()) {
        throw new DsgError(
          'LOCAL_LAYOUT_INVALID',
          `${this.p(sub)} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; dsg keeps its own files there and never follows links out of .dsg/. Remove it (the link only, not what it points to) and run the command again.`,
        );
      }
    }
  }

  /** Leftovers in staging/ and tmp/ that dsg named (transaction ids, `<tx-id>-<random>`). */
  ownLeftovers(): string[] {
    this.checkOwnDirs();
    const staged = safeReaddir(this.p('staging')).filter((n) => TX_NAME.test(n)).map((n) => this.p('staging', n));
    const temps = safeReaddir(this.p('tmp')).filter((n) => TX_NAME.test(n)).map((n) => this.p('tmp', n));
    return [...staged, ...temps];
  }
}

/** See ClientFilesystem.readVerifiedRemote. */
export interface VerifiedRemote {
  location: string;
  snapshotHash: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  /** When the full read began (ns since the epoch): the racy rule applies to the stamp's mtime. */
  verifiedAtNs: bigint;
}

/** Folders of `.dsg/` that dsg creates, fills and empties. */
const OWN_DIRS = ['staging', 'tmp', 'resume', 'transactions', 'archive'];

/** Names dsg gives in staging/ and tmp/: a transaction id, or `<tx-id>-<random>`. */
const TX_NAME = /^[0-9A-Za-z][0-9A-Za-z-]*$/;

/** True when every non-folder below `abs` (relative path `rel`) is in `deleting`. */
function onlyDeletedFiles(abs: string, rel: string, deleting: ReadonlySet<string>): boolean {
  for (const d of readdirSync(abs, { withFileTypes: true })) {
    const childRel = `${rel}/${d.name}`;
    if (d.isDirectory() ? !onlyDeletedFiles(join(abs, d.name), childRel, deleting) : !deleting.has(childRel)) return false;
  }
  return true;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

