/**
 * The POSIX-directory repository (`type: xfs`), on any Transport.
 *
 * Layout under the repository root (documented in README "Remote layout"):
 *   <path>                          data files at their paths (hard links into objects/)
 *   .dsg/last-sync.json             current manifest: renaming it into place is the commit point
 *   .dsg/sync-messages.json         every snapshot's metadata
 *   .dsg/archive/<sN>-sync.json.lz4 every snapshot's manifest
 *   .dsg/objects/<h2>/<hash>        every content ever synced, once per hash (history)
 *   .dsg/tmp/                       uploads in flight
 *   .dsg/staging/<tx-id>/           staged manifest, archives, sync-messages and journal.json
 *
 * Readers take content from objects/ (immutable), so a half-updated data tree during
 * roll-forward is never visible through dsg. Repositories written by the old tool have no
 * objects/: their files are read from the tree, and a version about to be replaced or deleted
 * is first linked into objects/, so cost stays proportional to what changed.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { FileReadError } from '../../errors/FileReadError.js';
import { ManifestError } from '../../errors/ManifestError.js';
import { RemoteError } from '../../errors/RemoteError.js';
import { archiveFileName, archiveNameCandidates, compressArchive, decompressArchive, snapshotIdOfArchive } from '../../manifest/archive.js';
import type { RemoteJournal, TreeChanges } from './journal.js';
import { PosixTransaction } from './PosixTransaction.js';
import { parseManifest, serializeManifest } from '../../manifest/codec.js';
import { ARCHIVE_MAX_BYTES, LOCK_FILE_MAX_BYTES, MANIFEST_MAX_BYTES, REMOTE_JOURNAL_MAX_BYTES, SYNC_MESSAGES_MAX_BYTES } from '../../manifest/limits.js';
import { emptySyncMessages, parseSyncMessages, type SyncMessages } from '../../manifest/syncMessages.js';
import type { FileEntry, Manifest } from '../../manifest/types.js';
import type { Transport } from '../../transport/Transport.js';
import type { RemoteFilesystem, RemoteRecovery, RemoteTransaction } from '../RemoteFilesystem.js';
import { consistentHistory } from '../history.js';
import type { LockRecord } from '../lockRecord.js';
import { reachStep } from '../../transaction/steps.js';
import { forEachLimited, TRANSFER_CONCURRENCY } from '../../transaction/pool.js';
const join = posix.join;

/** Content up to this size is read in one call. */
const SMALL_CONTENT = 1 << 20;

/** The archive files a journal says were staged; only well-formed archive names (never a path). */
function stagedArchiveNames(journal: RemoteJournal): string[] {
  const names = Array.isArray(journal.archives) ? journal.archives : [archiveFileName(journal.new_snapshot_id)];
  return names.filter((n) => typeof n === 'string' && snapshotIdOfArchive(n) !== null && archiveFileName(snapshotIdOfArchive(n)!) === n);
}

export class PosixRemote implements RemoteFilesystem {
  readonly location: string;
  readonly dsgDir: string;

  constructor(
    readonly transport: Transport,
    readonly root: string,
  ) {
    this.location = transport.description === 'localhost' ? root : `${transport.description}:${root}`;
    this.dsgDir = join(root, '.dsg');
  }

  private p(...parts: string[]): string {
    return join(this.dsgDir, ...parts);
  }

  objectPath(hash: string): string {
    return this.p('objects', hash.slice(0, 2), hash);
  }

  async exists(): Promise<boolean> {
    return (await this.transport.stat(this.dsgDir))?.type === 'directory';
  }

  async create(): Promise<void> {
    if (await this.transport.stat(this.p('last-sync.json'))) {
      throw new RemoteError(`A repository with snapshots already exists at ${this.location}. Use "dsg clone" to get it, or choose another name.`, { code: 'REMOTE_EXISTS' });
    }
    try {
      for (const d of ['archive', 'objects', 'tmp', 'staging']) await this.transport.mkdirp(this.p(d));
    } catch (err) {
      throw new RemoteError(`Cannot create the repository at ${this.location}: ${(err as Error).message}. Check that the mountpoint exists and is writable.`, { cause: err });
    }
  }

  private async requireRepository(): Promise<void> {
    if (!(await this.exists())) {
      throw new RemoteError(
        `No dsg repository at ${this.location} (no .dsg/ folder). Check repository settings in .dsgconfig.yml, or run "dsg init" to create it.`,
        { code: 'REMOTE_NOT_FOUND' },
      );
    }
  }

  private async readText(file: string, maxBytes: number): Promise<string | null> {
    try {
      const buf = await this.transport.readFile(file, maxBytes);
      return buf === null ? null : buf.toString('utf8');
    } catch (err) {
      if (err instanceof FileReadError) throw err; // already names the file and what to do
      throw new RemoteError(`Cannot read ${file} on ${this.transport.description}: ${(err as Error).message}.`, { cause: err });
    }
  }

  async readManifest(): Promise<Manifest | null> {
    const file = this.p('last-sync.json');
    const text = await this.readText(file, MANIFEST_MAX_BYTES);
    if (text === null) {
      await this.requireRepository();
      return null;
    }
    return parseManifest(text, `remote manifest ${this.location}/.dsg/last-sync.json`);
  }

  async readSyncMessages(): Promise<SyncMessages> {
    const manifest = await this.readManifest();
    const text = await this.readText(this.p('sync-messages.json'), SYNC_MESSAGES_MAX_BYTES);
    const stored = text === null ? emptySyncMessages() : parseSyncMessages(text, `${this.location}/.dsg/sync-messages.json`);
    return consistentHistory(stored, manifest);
  }

  private async findArchive(snapshotId: string): Promise<{ file: string; data: Buffer } | null> {
    for (const name of archiveNameCandidates(snapshotId)) {
      const file = this.p('archive', name);
      const data = await this.transport.readFile(file, ARCHIVE_MAX_BYTES);
      if (data) return { file, data };
    }
    return null;
  }

  async hasArchive(snapshotId: string): Promise<boolean> {
    for (const name of archiveNameCandidates(snapshotId)) if (await this.transport.stat(this.p('archive', name))) return true;
    return false;
  }

  async hasStoredContent(hash: string): Promise<boolean> {
    return (await this.transport.stat(this.objectPath(hash))) !== null;
  }

  async readArchiveBytes(snapshotId: string): Promise<Buffer> {
    const found = await this.findArchive(snapshotId);
    if (found) return found.data;
    // The current snapshot's archive is moved in just after the commit point.
    const current = await this.readManifest();
    if (current && current.metadata.snapshot_id === snapshotId) return compressArchive(serializeManifest(current));
    throw new ManifestError(`No archive of snapshot ${snapshotId} in ${this.location}/.dsg/archive/. The history is incomplete; run "dsg validate-chain".`);
  }

  async readArchive(snapshotId: string): Promise<Manifest> {
    const bytes = await this.readArchiveBytes(snapshotId);
    const label = `archive of ${snapshotId} in ${this.location}`;
    return parseManifest(decompressArchive(bytes, label), label);
  }

  async openContent(entry: FileEntry): Promise<Readable> {
    const obj = this.objectPath(entry.hash);
    if (entry.filesize <= SMALL_CONTENT) {
      // One read instead of stat + open + reads + close: most files of a tree are small.
      // Never more than the manifest states: a hostile object cannot make us read more.
      const data = (await this.transport.readFile(obj, entry.filesize)) ?? (await this.transport.readFile(join(this.root, entry.path), entry.filesize).catch(() => null));
      if (data) return Readable.from([data]);
    } else if (await this.transport.stat(obj)) return this.transport.createReadStream(obj, entry.filesize);
    // Repositories written by the old tool: content only in the tree (the caller verifies the hash).
    const inTree = join(this.root, entry.path);
    const st = await this.transport.stat(inTree);
    if (st?.type === 'file') return this.transport.createReadStream(inTree, entry.filesize);
    throw new RemoteError(`The content of ${entry.path} (hash ${entry.hash}) is missing from ${this.location}. Run "dsg validate-snapshot --deep" to see what else is missing.`, {
      code: 'REMOTE_CONTENT_MISSING',
    });
  }

  async begin(txId: string, base: Manifest | null, fence: () => Promise<void>): Promise<RemoteTransaction> {
    await this.requireRepository();
    const staging = this.p('staging', txId);
    await this.transport.mkdirp(staging);
    await this.transport.mkdirp(this.p('tmp'));
    return new PosixTransaction(this, txId, staging, base, fence);
  }

  // ---- lock (.dsg/lock.json) ----

  private get lockFile(): string {
    return this.p('lock.json');
  }

  async readLock(): Promise<LockRecord | null> {
    const text = await this.readText(this.lockFile, LOCK_FILE_MAX_BYTES);
    if (text === null) return null;
    try {
      return JSON.parse(text) as LockRecord;
    } catch {
      // A lock file torn by a crash in the middle of its creation: treat it as expired.
      return { user: 'unknown', host: 'unknown', pid: 0, tx_id: 'unknown', token: `torn:${text.length}`, started_at: '', expires_at: 0 };
    }
  }

  async createLock(record: LockRecord): Promise<boolean> {
    await this.requireRepository();
    return this.transport.createExclusive(this.lockFile, JSON.stringify(record));
  }

  async renewLock(record: LockRecord): Promise<boolean> {
    const current = await this.readLock();
    if (current?.token !== record.token) return false;
    const tmp = this.p('tmp', `lock-${record.token}.json`);
    await this.transport.writeFile(tmp, JSON.stringify(record));
    await this.transport.rename(tmp, this.lockFile);
    return true;
  }

  async breakLock(staleToken: string): Promise<boolean> {
    // Move the stale lock aside under a private name, then check it was the one we judged stale.
    const aside = this.p('tmp', `broken-lock-${randomBytes(6).toString('hex')}.json`);
    try {
      await this.transport.rename(this.lockFile, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
    const moved = await this.transport.readFile(aside, LOCK_FILE_MAX_BYTES);
    let token: string | null = null;
    try {
      token = moved ? (JSON.parse(moved.toString('utf8')) as LockRecord).token : null;
    } catch {
      token = moved ? `torn:${moved.length}` : null;
    }
    if (token === staleToken) {
      await this.transport.unlink(aside);
      return true;
    }
    // We moved a fresh lock someone just took: put it back unless yet another one exists.
    try {
      await this.transport.link(aside, this.lockFile);
    } catch {
      /* a newer lock exists; the displaced holder fails at its fence */
    }
    await this.transport.unlink(aside);
    return false;
  }

  async releaseLock(token: string): Promise<void> {
    const current = await this.readLock();
    if (current?.token === token) await this.transport.unlink(this.lockFile);
  }

  async hasLeftovers(): Promise<boolean> {
    if ((await this.transport.readdir(this.p('staging'))).length > 0) return true;
    if ((await this.transport.readdir(this.p('tmp'))).length > 0) return true;
    return (await this.transport.stat(this.lockFile)) !== null;
  }

  async recover(): Promise<RemoteRecovery> {
    const result: RemoteRecovery = { rolledBack: [], rolledForward: [] };
    if (!(await this.exists())) return result;
    const staged = await this.transport.readdir(this.p('staging'));
    // Parsing a large manifest costs; only a staged transaction needs it.
    const current = staged.length > 0 ? await this.readManifest() : null;
    for (const d of staged) {
      const dir = this.p('staging', d.name);
      const journalBytes = await this.transport.readFile(join(dir, 'journal.json'), REMOTE_JOURNAL_MAX_BYTES);
      let journal: RemoteJournal | null = null;
      try {
        journal = journalBytes ? (JSON.parse(journalBytes.toString('utf8')) as RemoteJournal) : null;
      } catch {
        journal = null; // torn while being written: the commit point (after it) was never reached
      }
      if (journal && current && current.metadata.snapshot_hash === journal.new_snapshot_hash) {
        await this.rollForward(dir, journal);
        result.rolledForward.push(d.name);
      } else {
        // Archive and sync-messages are staged inside the directory: removing it undoes all.
        await this.transport.rmrf(dir);
        result.rolledBack.push(d.name);
      }
      reachStep('recover-remote-tx-done');
    }
    // Empty tmp/ (not re-create it: the folder's own permissions are the administrator's).
    await this.transport.mkdirp(this.p('tmp'));
    for (const d of await this.transport.readdir(this.p('tmp'))) await this.transport.rmrf(this.p('tmp', d.name));
    return result;
  }

  /** Everything after the commit point; each step is idempotent. */
  async rollForward(stagingDir: string, journal: RemoteJournal): Promise<void> {
    const t = this.transport;
    await t.mkdirp(this.p('archive')); // absent in repositories written by dsg 0.4.4
    for (const archiveName of stagedArchiveNames(journal)) {
      if (await t.stat(join(stagingDir, archiveName))) await t.rename(join(stagingDir, archiveName), this.p('archive', archiveName));
    }
    if (await t.stat(join(stagingDir, 'sync-messages.json'))) await t.rename(join(stagingDir, 'sync-messages.json'), this.p('sync-messages.json'));
    for (const path of journal.changes.delete) {
      await t.unlink(join(this.root, path));
      await this.pruneEmptyParents(path);
    }
    reachStep('remote-rollforward-metadata');
    const knownDirs = new Set<string>();
    await forEachLimited(journal.changes.place, TRANSFER_CONCURRENCY, async (item) => {
      await this.placeInTree(item, journal.tx_id, knownDirs);
      reachStep('remote-rollforward-file');
    });
    await t.rmrf(stagingDir);
  }

  private async pruneEmptyParents(path: string): Promise<void> {
    for (let dir = posix.dirname(path); dir !== '.' && dir !== ''; dir = posix.dirname(dir)) {
      if (!(await this.transport.rmdirIfEmpty(join(this.root, dir)))) return;
    }
  }

  /** Refuse to write through a symlinked directory in the tree (it could point anywhere). */
  private async ensureParentDir(path: string, knownDirs: Set<string>): Promise<void> {
    let dir = this.root;
    const parts = path.split('/').slice(0, -1);
    for (const c of parts) {
      dir = join(dir, c);
      if (knownDirs.has(dir)) continue;
      const st = await this.transport.stat(dir);
      if (st === null) {
        await this.transport.mkdirp(dir);
      } else if (st.type !== 'directory') {
        throw new RemoteError(`Cannot place ${path} in ${this.location}: ${dir} is a ${st.type}, not a directory.`);
      }
      knownDirs.add(dir);
    }
  }

  private async placeInTree(item: TreeChanges['place'][number], txId: string, knownDirs: Set<string>): Promise<void> {
    const t = this.transport;
    const target = join(this.root, item.path);
    await this.ensureParentDir(item.path, knownDirs);
    const tmp = `${target}.dsg-${txId}.tmp`;
    await t.unlink(tmp);
    if ('link' in item) {
      await t.symlink(item.link, tmp);
    } else {
      const obj = this.objectPath(item.hash);
      try {
        await t.link(obj, tmp);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
        await t.writeStream(tmp, t.createReadStream(obj));
      }
    }
    try {
      await t.rename(tmp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // A folder stands where the file goes; its files were deleted first, so it is empty.
      await t.rmdirIfEmpty(target);
      await t.rename(tmp, target);
    }
    // rename() of two links to the same inode does nothing (POSIX): a retried placement
    // would leave its temp link behind.
    await t.unlink(tmp);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
