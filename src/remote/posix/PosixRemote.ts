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
import { archiveFileName, archiveNameCandidates, compressArchive, parseArchive, snapshotIdOfArchive } from '../../manifest/archive.js';
import { parseRemoteJournal, TX_ID, type RemoteJournal, type TreeChanges } from '../journal.js';
import { PublishedIncompleteError } from '../../errors/PublishedIncompleteError.js';
import { describeIoError } from '../../errors/describeIoError.js';
import type { DirEntry, TailRead } from '../../transport/Transport.js';
import { PosixTransaction } from './PosixTransaction.js';
import { parseManifest, parseManifestTail, serializeManifest } from '../../manifest/codec.js';
import { ARCHIVE_MAX_BYTES, LOCK_FILE_MAX_BYTES, MANIFEST_MAX_BYTES, REMOTE_JOURNAL_MAX_BYTES, SYNC_MESSAGES_MAX_BYTES } from '../../manifest/limits.js';
import { emptySyncMessages, parseSyncMessages, type SyncMessages } from '../../manifest/syncMessages.js';
import type { FileEntry, Manifest } from '../../manifest/types.js';
import type { Transport } from '../../transport/Transport.js';
import type { ManifestHead, RemoteFilesystem, RemoteRecovery, RemoteTransaction, TreeDifference } from '../RemoteFilesystem.js';
import { hashStream } from '../../manifest/hash.js';
import { consistentHistory } from '../history.js';
import { lockToken, parseLockRecord, type LockRecord, type StoredLock } from '../lockRecord.js';
import { reachStep } from '../../protocol/steps.js';
import { quoteArg } from '../../transport/ssh/shellQuote.js';
import { placementTempPath } from '../../platform/tempName.js';
import { forEachLimited, METADATA_CONCURRENCY } from '../../platform/pool.js';
const join = posix.join;

/** What the first roll-forward (right after the commit point) knows: placed paths that replace a base entry. */
export interface FreshPublish {
  replacing: ReadonlySet<string>;
}

/** Folders of the tree already looked at by treeAncestorProblem. */
export type KnownDirs = Map<string, 'dir' | 'clear'>;

/** Names dsg gives in .dsg/tmp/: `<tx-id>-<random>` uploads, `lock-<token>.json`, `broken-lock-<random>.json`. */
const OWN_TMP_NAME = /^[0-9A-Za-z][0-9A-Za-z-]*(\.json)?$/;

/** Bytes read from the end of last-sync.json for its metadata (a larger metadata block is read in full). */
const MANIFEST_TAIL_BYTES = 64 << 10;

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

  protected p(...parts: string[]): string {
    return join(this.dsgDir, ...parts);
  }

  objectPath(hash: string): string {
    return this.p('objects', hash.slice(0, 2), hash);
  }

  async exists(): Promise<boolean> {
    return (await this.transport.stat(this.dsgDir))?.type === 'directory';
  }

  async create(): Promise<void> {
    await this.requireMountpoint(posix.dirname(this.root));
    if (await this.transport.stat(this.p('last-sync.json'))) {
      throw new RemoteError(`A repository with snapshots already exists at ${this.location}. Use "dsg clone" to get it, or choose another name.`, { code: 'REMOTE_EXISTS' });
    }
    try {
      for (const d of ['archive', 'objects', 'tmp', 'staging']) await this.transport.mkdirp(this.p(d));
    } catch (err) {
      throw new RemoteError(`Cannot create the repository at ${this.location}: ${(err as Error).message}. Check that the mountpoint exists and is writable.`, { cause: err });
    }
  }

  /**
   * The folder that holds the repositories must exist already (on the repository's host):
   * creating a whole missing path would turn a typo in --mountpoint or .dsgconfig.yml into a new,
   * unnoticed repository where no teammate looks.
   */
  protected async requireMountpoint(mountpoint: string): Promise<void> {
    const st = await this.transport.stat(mountpoint);
    if (st?.type === 'directory') return;
    const where = this.transport.description === 'localhost' ? '' : ` on ${this.transport.description}`;
    const mkdir = `mkdir -p ${quoteArg(mountpoint)}${where ? ' there' : ''}`;
    throw new RemoteError(
      st ? `The mountpoint ${mountpoint}${where} is not a folder; "mountpoint" (--mountpoint) must name the folder that holds the repositories.` : `The mountpoint ${mountpoint}${where} does not exist; dsg does not create it, so that a typo does not make a new repository nobody finds. Check the path, or create the folder first (${mkdir}) and run dsg init again.`,
      { code: 'MOUNTPOINT_NOT_FOUND' },
    );
  }

  private async requireRepository(): Promise<void> {
    if (!(await this.exists())) {
      throw new RemoteError(
        `No dsg repository at ${this.location} (no .dsg/ folder). Check repository settings in .dsgconfig.yml, or run "dsg init" to create it.`,
        { code: 'REMOTE_NOT_FOUND' },
      );
    }
  }

  protected async readText(file: string, maxBytes: number): Promise<string | null> {
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

  async readManifestHead(): Promise<ManifestHead | null> {
    const file = this.p('last-sync.json');
    if (this.transport.readTail) {
      let tail: TailRead | null;
      try {
        tail = await this.transport.readTail(file, MANIFEST_TAIL_BYTES);
      } catch (err) {
        if (err instanceof FileReadError) throw err;
        throw new RemoteError(`Cannot read ${file} on ${this.transport.description}: ${(err as Error).message}.`, { cause: err });
      }
      // Absent, too large or not parsable from the tail: the full read decides (and says why).
      if (tail !== null && tail.size <= MANIFEST_MAX_BYTES) {
        const metadata = parseManifestTail(tail.bytes.toString('utf8'), `remote manifest ${this.location}/.dsg/last-sync.json`);
        if (metadata !== null) return { metadata, stamp: { size: tail.size, mtimeNs: tail.mtimeNs, ino: tail.ino } };
      }
    }
    const full = await this.readManifest();
    return full === null ? null : { metadata: full.metadata, stamp: null };
  }

  async readSyncMessages(): Promise<SyncMessages> {
    // The history needs the current snapshot's metadata only: the manifest's tail, not its
    // 100,000 entries (readManifestHead reads the whole file when the tail does not parse).
    const head = await this.readManifestHead();
    const text = await this.readText(this.p('sync-messages.json'), SYNC_MESSAGES_MAX_BYTES);
    const stored = text === null ? emptySyncMessages() : parseSyncMessages(text, `${this.location}/.dsg/sync-messages.json`);
    return consistentHistory(stored, head?.metadata ?? null);
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
    return parseArchive(bytes, label);
  }

  async openContent(entry: FileEntry, _snapshotId?: string): Promise<Readable> {
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

  async checkTree(current: Manifest, onBytes?: (n: number) => void): Promise<TreeDifference[]> {
    return this.compareTree(this.root, current, onBytes);
  }

  async checkSnapshotTree(_snapshot: Manifest, _onBytes?: (n: number) => void): Promise<TreeDifference[] | null> {
    return null; // a POSIX directory keeps no tree of earlier snapshots
  }

  async mountSnapshot(_snapshotId: string, _dir: string): Promise<boolean> {
    return false; // no native snapshots: snapmount materialises
  }

  async unmountSnapshot(_dir: string): Promise<boolean> {
    return false;
  }

  /** How the tree under `root` (the live tree, or a ZFS snapshot's view) differs from `manifest`. */
  protected async compareTree(root: string, manifest: Manifest, onBytes?: (n: number) => void): Promise<TreeDifference[]> {
    const out: TreeDifference[] = [];
    const knownDirs: KnownDirs = new Map();
    for (const e of manifest.entries.values()) {
      const why = await this.treeAncestorProblem(e.path, new Set(), knownDirs, root);
      if (why) {
        out.push({ path: e.path, problem: why });
        continue;
      }
      const abs = join(root, e.path);
      const st = await this.transport.stat(abs);
      const want = e.type === 'file' ? 'file' : 'symlink';
      if (st === null) out.push({ path: e.path, problem: 'missing from the data tree' });
      else if (st.type !== want) out.push({ path: e.path, problem: `is a ${st.type} in the data tree, the snapshot has a ${e.type}` });
      else if (e.type === 'link') {
        const target = await this.transport.readlink(abs);
        if (target !== e.reference) out.push({ path: e.path, problem: `links to ${JSON.stringify(target)} in the data tree, the snapshot says ${JSON.stringify(e.reference)}` });
      } else if (st.size !== e.filesize) out.push({ path: e.path, problem: `has ${st.size} bytes in the data tree, the snapshot says ${e.filesize}` });
      else {
        const got = await hashStream(this.transport.createReadStream(abs, e.filesize), onBytes).catch((err: Error) => ({ hash: `unreadable: ${err.message}` }));
        if (got.hash !== e.hash) out.push({ path: e.path, problem: `holds other content in the data tree (hash ${got.hash}, the snapshot says ${e.hash})` });
      }
    }
    return out;
  }

  async begin(txId: string, base: Manifest | null, fence: () => Promise<void>): Promise<RemoteTransaction> {
    await this.requireRepository();
    await this.requireOwnDirs();
    const staging = this.p('staging', txId);
    await this.transport.mkdirp(staging);
    await this.transport.mkdirp(this.p('tmp'));
    return new PosixTransaction(this, txId, staging, base, fence);
  }

  // ---- lock (.dsg/lock.json) ----

  private get lockFile(): string {
    return this.p('lock.json');
  }

  get lockLocation(): string {
    return `${this.location}/.dsg/lock.json`;
  }

  async readLock(): Promise<LockRecord | null> {
    return (await this.inspectLock())?.record ?? null;
  }

  async inspectLock(): Promise<StoredLock | null> {
    const st = await this.transport.stat(this.lockFile);
    if (st === null) return null;
    const text = await this.readText(this.lockFile, LOCK_FILE_MAX_BYTES);
    if (text === null) return null;
    // An unparsable lock is not "torn": it may be one being written. The caller judges it by its age.
    return { record: parseLockRecord(text), token: lockToken(text), mtimeMs: st.mtimeMs };
  }

  async createLock(record: LockRecord): Promise<boolean> {
    await this.requireRepository();
    // Written whole under a private name, then hard-linked into place (EEXIST like O_EXCL):
    // a reader never sees a half-written lock of a live writer.
    const tmpDir = this.p('tmp');
    const dirType = (await this.transport.stat(tmpDir))?.type;
    if (dirType === undefined) await this.transport.mkdirp(tmpDir);
    else if (dirType !== 'directory') return this.transport.createExclusive(this.lockFile, JSON.stringify(record)); // never write through a link
    const tmp = this.p('tmp', `new-lock-${record.token}.json`);
    try {
      await this.transport.writeFile(tmp, JSON.stringify(record));
    } catch {
      // No room or no permission for the temp file: an exclusive create still works (readers judge a partial lock by its age).
      await this.transport.unlink(tmp).catch(() => undefined);
      return this.transport.createExclusive(this.lockFile, JSON.stringify(record));
    }
    try {
      await this.transport.link(tmp, this.lockFile);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'EPERM' || code === 'EXDEV' || code === 'ENOTSUP') return this.transport.createExclusive(this.lockFile, JSON.stringify(record));
      throw err;
    } finally {
      await this.transport.unlink(tmp).catch(() => undefined);
    }
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
    const token = moved ? lockToken(moved.toString('utf8')) : null;
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

  async concurrencyProblem(): Promise<string | null> {
    return null; // link() and rename() are atomic on every POSIX file system
  }

  async releaseLock(token: string): Promise<void> {
    const current = await this.readLock();
    if (current?.token === token) await this.transport.unlink(this.lockFile);
  }

  async hasLeftovers(): Promise<boolean> {
    if ((await this.ownEntries('staging')).length > 0) return true;
    if ((await this.ownEntries('tmp')).length > 0) return true;
    return (await this.transport.stat(this.lockFile)) !== null;
  }

  /**
   * dsg's own entries in `.dsg/staging` or `.dsg/tmp`: only when that folder is a real one
   * (a symlink there could point at anyone's files, and recovery removes what it lists), and
   * only names dsg gives (transaction ids, `<tx>-<random>`, lock temps).
   */
  private async ownEntries(sub: 'staging' | 'tmp'): Promise<DirEntry[]> {
    if ((await this.transport.stat(this.p(sub)))?.type !== 'directory') return [];
    const entries = await this.transport.readdir(this.p(sub));
    return sub === 'staging' ? entries.filter((d) => d.type === 'directory' && TX_ID.test(d.name)) : entries.filter((d) => OWN_TMP_NAME.test(d.name));
  }

  /** The folders a writer writes into must be real folders of the repository, not links out of it. */
  async requireOwnDirs(): Promise<void> {
    for (const sub of ['archive', 'objects', 'tmp', 'staging']) {
      const st = await this.transport.stat(this.p(sub));
      if (st === null) await this.transport.mkdirp(this.p(sub));
      else if (st.type !== 'directory') {
        throw new RemoteError(`${this.p(sub)} in ${this.location} is a ${st.type}, not a folder; dsg never writes through links. Replace it with a real folder (as the repository's administrator), then run "dsg sync" again.`, {
          code: 'REMOTE_LAYOUT_INVALID',
        });
      }
    }
  }

  async recover(): Promise<RemoteRecovery> {
    const result: RemoteRecovery = { rolledBack: [], rolledForward: [] };
    if (!(await this.exists())) return result;
    const staged = await this.ownEntries('staging');
    // Parsing a large manifest costs; only a staged transaction needs it.
    const current = staged.length > 0 ? await this.readManifest() : null;
    for (const d of staged) {
      const dir = this.p('staging', d.name);
      const journalBytes = await this.transport.readFile(join(dir, 'journal.json'), REMOTE_JOURNAL_MAX_BYTES);
      // Not JSON: torn while being written, so the commit point (after it) was never reached.
      const journal = journalBytes ? parseRemoteJournal(journalBytes.toString('utf8'), `${this.location}/.dsg/staging/${d.name}/journal.json`) : null;
      if (journal && current && current.metadata.snapshot_hash === journal.new_snapshot_hash) {
        await this.finishPublished(dir, journal);
        result.rolledForward.push(d.name);
      } else {
        // Archive and sync-messages are staged inside the directory: removing it undoes all.
        await this.transport.rmrf(dir);
        result.rolledBack.push(d.name);
      }
      reachStep('recover-remote-tx-done');
    }
    // Empty tmp/ (not re-create it: the folder's own permissions are the administrator's).
    for (const d of await this.ownEntries('tmp')) await this.transport.rmrf(this.p('tmp', d.name));
    return result;
  }

  /**
   * Roll forward a transaction whose snapshot is published. A failure here is never a
   * rollback: the staging folder and its journal stay, so the next command finishes the work
   * once the cause (permissions, space, a folder in the way) is fixed.
   */
  async finishPublished(stagingDir: string, journal: RemoteJournal, fresh?: FreshPublish): Promise<void> {
    try {
      await this.rollForward(stagingDir, journal, fresh);
      // The journal stays until the backend's own last step is done, so a crash in it is
      // finished by recovery like any other step after the commit point.
      await this.afterRollForward(journal);
      await this.transport.rmrf(stagingDir);
    } catch (err) {
      const left = `${journal.changes.place.length} placement(s) and ${journal.changes.delete.length} deletion(s) listed in ${stagingDir}/journal.json`;
      throw new PublishedIncompleteError(
        journal.new_snapshot_id,
        'repository',
        `Snapshot ${journal.new_snapshot_id} was published in ${this.location}, but finishing the repository's side failed: ${describeIoError(err)}. ` +
          `What is left (${left}${this.afterRollForwardLabel}) is finished by the next dsg command or by "dsg recover" once the cause is fixed; dsg reads the snapshot from .dsg/objects/ meanwhile, so nothing is lost.`,
        { cause: err },
      );
    }
  }

  /**
   * The backend's own last step after the data tree is updated, before the staging (and its
   * journal) is removed; idempotent. The POSIX directory has none; ZFS takes its @sN snapshot.
   */
  protected async afterRollForward(_journal: RemoteJournal): Promise<void> {}

  /** For messages: what `afterRollForward` still has to do (", then …"), or "". */
  protected get afterRollForwardLabel(): string {
    return '';
  }

  /**
   * Everything after the commit point but the backend's last step; each step is idempotent.
   * `fresh`: this is the first attempt, right after the commit point (not a recovery), and
   * these are the placed paths that replace an entry of the base snapshot: the others are
   * placed with one request (see placeInTree).
   */
  async rollForward(stagingDir: string, journal: RemoteJournal, fresh?: FreshPublish): Promise<void> {
    const t = this.transport;
    await t.mkdirp(this.p('archive')); // absent in repositories written by dsg 0.4.4
    for (const archiveName of stagedArchiveNames(journal)) {
      if (await t.stat(join(stagingDir, archiveName))) await t.rename(join(stagingDir, archiveName), this.p('archive', archiveName));
    }
    if (await t.stat(join(stagingDir, 'sync-messages.json'))) await t.rename(join(stagingDir, 'sync-messages.json'), this.p('sync-messages.json'));
    await this.deleteFromTree(journal.changes.delete);
    reachStep('remote-rollforward-metadata');
    const knownDirs = new Map<string, Promise<void>>();
    await forEachLimited(journal.changes.place, METADATA_CONCURRENCY, async (item) => {
      const how = fresh === undefined ? 'retry' : fresh.replacing.has(item.path) ? 'replace' : 'new';
      await this.placeInTree(item, journal.tx_id, knownDirs, how);
      reachStep('remote-rollforward-file');
    });
  }

  /**
   * Remove deleted paths from the tree, many requests in flight, then the folders that became
   * empty (deepest first; a folder that is not empty stays, and so do its parents).
   */
  private async deleteFromTree(paths: readonly string[]): Promise<void> {
    const knownDirs: KnownDirs = new Map();
    const parents = new Set<string>();
    await forEachLimited(paths, METADATA_CONCURRENCY, async (path) => {
      // Under a folder that is now a link, the path is not in this tree: never delete through it.
      if ((await this.treeAncestorProblem(path, new Set(), knownDirs)) !== null) return;
      await this.transport.unlink(join(this.root, path));
      for (let dir = posix.dirname(path); dir !== '.' && dir !== ''; dir = posix.dirname(dir)) parents.add(dir);
    });
    const deepestFirst = [...parents].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
    const kept = new Set<string>();
    for (const dir of deepestFirst) {
      if (kept.has(dir)) continue;
      if (!(await this.transport.rmdirIfEmpty(join(this.root, dir)))) {
        for (let up = posix.dirname(dir); up !== '.' && up !== ''; up = posix.dirname(up)) kept.add(up);
      }
    }
  }

  /**
   * Why `path`'s folders in the tree cannot be used (a link or special file, or a file that
   * `deleting` does not remove first), or null. `known` remembers the folders looked at, for
   * the next call: 'dir' a real folder (look deeper), 'clear' absent or about to be removed
   * (nothing below it exists, so no path below has a problem). Without that second kind a new
   * folder of 10,000 files cost 10,000 requests.
   */
  async treeAncestorProblem(path: string, deleting: ReadonlySet<string>, known: KnownDirs = new Map(), root = this.root): Promise<string | null> {
    const parts = path.split('/').slice(0, -1);
    let rel = '';
    for (const c of parts) {
      rel = rel ? `${rel}/${c}` : c;
      const seen = known.get(rel);
      if (seen === 'clear') return null;
      if (seen === 'dir') continue;
      const st = await this.transport.stat(join(root, rel));
      if (st === null || (st.type === 'file' && deleting.has(rel))) {
        known.set(rel, 'clear'); // created when placing (or after the file is removed)
        return null;
      }
      if (st.type !== 'directory') return `${rel} is a ${st.type === 'symlink' ? 'symbolic link' : st.type} in the repository tree, not a folder`;
      known.set(rel, 'dir');
    }
    return null;
  }

  /**
   * Refuse to write through a symlinked directory in the tree (it could point anywhere).
   * `knownDirs` holds each folder's check, shared by the placements running at once, so a
   * folder is looked at (and created) by one request, not by every file placed in it.
   */
  private async ensureParentDir(path: string, knownDirs: Map<string, Promise<void>>): Promise<void> {
    let dir = this.root;
    const parts = path.split('/').slice(0, -1);
    for (const c of parts) {
      dir = join(dir, c);
      let check = knownDirs.get(dir);
      if (check === undefined) {
        const at = dir;
        check = (async () => {
          const st = await this.transport.stat(at);
          if (st === null) {
            await this.transport.mkdirp(at);
          } else if (st.type !== 'directory') {
            throw new RemoteError(`Cannot place ${path} in ${this.location}: ${at} is a ${st.type}, not a directory.`);
          }
        })();
        knownDirs.set(dir, check);
      }
      await check;
    }
  }

  /**
   * Put one file or link of the new snapshot at its path. 'new' (first attempt, a path the base
   * snapshot did not have): one request, a hard link (or symbolic link) made at the path itself,
   * which fails rather than replace anything; whatever stands there (or a file system without
   * hard links) takes the 'retry' way. 'replace': made under a temporary name beside it, then
   * renamed over the old entry (atomic). 'retry' (recovery, or anything unexpected): as
   * 'replace', and the temporary name is cleared before and after, because an interrupted
   * attempt may have left it and rename() between two links to one inode does nothing (POSIX).
   */
  private async placeInTree(item: TreeChanges['place'][number], txId: string, knownDirs: Map<string, Promise<void>>, how: 'new' | 'replace' | 'retry'): Promise<void> {
    const t = this.transport;
    const target = join(this.root, item.path);
    await this.ensureParentDir(item.path, knownDirs);
    if (how === 'new') {
      try {
        if ('link' in item) await t.symlink(item.link, target);
        else await t.link(this.objectPath(item.hash), target);
        return;
      } catch {
        how = 'retry';
      }
    }
    const tmp = join(this.root, placementTempPath(item.path, txId));
    if (how === 'retry') await t.unlink(tmp);
    try {
      await this.makeAt(item, tmp);
    } catch (err) {
      if (how === 'retry') throw err;
      how = 'retry'; // something stood at the temporary name
      await t.unlink(tmp);
      await this.makeAt(item, tmp);
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
    if (how === 'retry') await t.unlink(tmp);
  }

  /** The placed entry at `path` (which must not exist): a link to its object, else a copy. */
  private async makeAt(item: TreeChanges['place'][number], path: string): Promise<void> {
    const t = this.transport;
    if ('link' in item) {
      await t.symlink(item.link, path);
      return;
    }
    const obj = this.objectPath(item.hash);
    try {
      await t.link(obj, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
      await t.writeStream(path, t.createReadStream(obj));
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
