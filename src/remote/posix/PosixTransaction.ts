/**
 * One write transaction on a POSIX repository: uploads into `.dsg/objects/` (via `.dsg/tmp/`),
 * the new manifest, archives and sync-messages staged in `.dsg/staging/<tx-id>/`, and the
 * commit point: renaming the staged manifest over `.dsg/last-sync.json`.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { RemoteError } from '../../errors/RemoteError.js';
import { TransferError } from '../../errors/TransferError.js';
import { archiveFileName, compressArchive, snapshotIdOfArchive } from '../../manifest/archive.js';
import { serializeManifest } from '../../manifest/codec.js';
import { xxh3Hex } from '../../manifest/hash.js';
import { checkSent, hashedSource } from '../sentContent.js';
import { forEachLimited, METADATA_CONCURRENCY, TRANSFER_CONCURRENCY } from '../../platform/pool.js';
import { serializeSyncMessages, type SyncMessages } from '../../manifest/syncMessages.js';
import { sameContent, type Entry, type FileEntry, type Manifest } from '../../manifest/types.js';
import type { RemoteTransaction, StagedArchive } from '../RemoteFilesystem.js';
import type { RemoteJournal, TreeChanges } from '../journal.js';
import type { KnownDirs, PosixRemote } from './PosixRemote.js';
import { describeIoError } from '../../errors/describeIoError.js';

const join = posix.join;

export class PosixTransaction implements RemoteTransaction {
  private readonly objectDirs = new Set<string>();
  /** Hashes known to be in objects/ (checked or uploaded by this transaction). */
  private readonly stored = new Set<string>();
  private journal: RemoteJournal | null = null;
  /** Placed paths that replace an entry of the base snapshot (see PosixRemote.placeInTree). */
  private replacing: ReadonlySet<string> = new Set();

  constructor(
    private readonly repo: PosixRemote,
    readonly txId: string,
    private readonly staging: string,
    private readonly base: Manifest | null,
    private readonly fence: () => Promise<void>,
  ) {}

  async hasContent(entry: FileEntry): Promise<boolean> {
    if (this.stored.has(entry.hash)) return true;
    const present = (await this.repo.transport.stat(this.repo.objectPath(entry.hash))) !== null;
    if (present) this.stored.add(entry.hash);
    return present;
  }

  async putContent(entry: FileEntry, source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<void> {
    const t = this.repo.transport;
    const tmp = join(this.repo.dsgDir, 'tmp', `${this.txId}-${randomBytes(6).toString('hex')}`);
    const sent = hashedSource(entry, source, onBytes);
    try {
      // Not fsynced one by one: stageSnapshot flushes the file system once before the commit point.
      await t.writeStream(tmp, sent.stream, { durable: false });
    } catch (err) {
      await t.unlink(tmp).catch(() => undefined);
      throw new TransferError(`Uploading ${entry.path} to ${this.repo.location} failed: ${describeIoError(err)}`, { cause: err });
    }
    try {
      sent.check();
    } catch (err) {
      await t.unlink(tmp);
      throw err;
    }
    await this.ensureObjectDirs([entry.hash]);
    await t.rename(tmp, this.repo.objectPath(entry.hash));
    this.stored.add(entry.hash);
  }

  async putContents(items: readonly { entry: FileEntry; data: Uint8Array }[], onBytes?: (n: number) => void): Promise<void> {
    const t = this.repo.transport;
    const fresh = new Map<string, Uint8Array>();
    for (const { entry, data } of items) {
      checkSent(entry, xxh3Hex(data), data.length);
      if (!this.stored.has(entry.hash)) fresh.set(entry.hash, data);
    }
    if (fresh.size > 0) {
      // A private folder: written as a batch, then each file renamed into objects/ (atomic),
      // so objects/ never holds a partial file; whatever a crash leaves here, recovery removes.
      const dir = join(this.repo.dsgDir, 'tmp', `${this.txId}-${randomBytes(6).toString('hex')}`);
      const hashes = [...fresh.keys()];
      try {
        await t.mkdirp(dir);
        await t.writeFiles(dir, hashes.map((h) => ({ name: h, data: fresh.get(h)! })));
        await this.ensureObjectDirs(hashes);
        await forEachLimited(hashes, METADATA_CONCURRENCY, (h) => t.rename(join(dir, h), this.repo.objectPath(h)));
      } catch (err) {
        await t.rmrf(dir).catch(() => undefined);
        const first = items[0].entry.path;
        throw new TransferError(`Uploading ${first}${items.length > 1 ? ` and ${items.length - 1} other file(s)` : ''} to ${this.repo.location} failed: ${describeIoError(err)}`, { cause: err });
      }
      await t.rmdirIfEmpty(dir);
      for (const h of hashes) this.stored.add(h);
    }
    for (const { data } of items) onBytes?.(data.length);
  }

  /** The objects/<xx>/ folders of these hashes exist (created once per transaction). */
  private async ensureObjectDirs(hashes: Iterable<string>): Promise<void> {
    const dirs = new Set<string>();
    for (const h of hashes) {
      const dir = posix.dirname(this.repo.objectPath(h));
      if (!this.objectDirs.has(dir)) dirs.add(dir);
    }
    await forEachLimited([...dirs], METADATA_CONCURRENCY, async (dir) => {
      await this.repo.transport.mkdirp(dir);
      this.objectDirs.add(dir);
    });
  }

  /**
   * Legacy repositories (dsg 0.4.4 kept no objects): keep the versions being replaced or deleted
   * retrievable, by storing the tree's copy of each one objects/ lacks. The checks go many at
   * a time; the copies (rare, large) TRANSFER_CONCURRENCY at a time.
   */
  private async preserveOldVersions(olds: readonly FileEntry[]): Promise<void> {
    const t = this.repo.transport;
    const missing: FileEntry[] = [];
    await forEachLimited(olds, METADATA_CONCURRENCY, async (old) => {
      if (!(await this.hasContent(old))) missing.push(old);
    });
    await forEachLimited(missing, TRANSFER_CONCURRENCY, async (old) => {
      const inTree = join(this.repo.root, old.path);
      if ((await t.stat(inTree))?.type !== 'file') return;
      await this.putContent(old, t.createReadStream(inTree, old.filesize)).catch(() => undefined);
    });
  }

  async stageSnapshot(manifest: Manifest, syncMessages: SyncMessages, extraArchives: StagedArchive[] = []): Promise<void> {
    const t = this.repo.transport;
    const base = this.base?.entries ?? new Map<string, Entry>();
    const changes: TreeChanges = { delete: [], place: [] };
    const replacing = new Set<string>();
    const olds: FileEntry[] = [];
    for (const [path, old] of base) {
      const now = manifest.entries.get(path);
      if (now === undefined) changes.delete.push(path);
      if ((now === undefined || !sameContent(old, now)) && old.type === 'file') olds.push(old);
    }
    await this.preserveOldVersions(olds);
    const placedFiles: FileEntry[] = [];
    for (const [path, e] of manifest.entries) {
      const old = base.get(path);
      if (old !== undefined && sameContent(old, e)) continue;
      if (old !== undefined) replacing.add(path);
      if (e.type === 'file') {
        placedFiles.push(e);
        changes.place.push({ path, hash: e.hash });
      } else changes.place.push({ path, link: e.reference });
    }
    await forEachLimited(placedFiles, METADATA_CONCURRENCY, async (e) => {
      if (!(await this.hasContent(e))) throw new TransferError(`The content of ${e.path} (hash ${e.hash}) was not uploaded; the sync cannot be published.`);
    });
    await this.checkTree(changes);
    this.replacing = replacing;
    // Uploaded content must be on disk before anything can refer to it.
    await t.flush(this.repo.root);
    const meta = manifest.metadata;
    const text = serializeManifest(manifest); // 22 MB for 100,000 entries: written twice, built once
    await t.writeFile(join(this.staging, archiveFileName(meta.snapshot_id)), compressArchive(text));
    const archives = [archiveFileName(meta.snapshot_id)];
    for (const a of extraArchives) {
      const name = archiveFileName(a.snapshotId);
      if (snapshotIdOfArchive(name) !== a.snapshotId || archives.includes(name)) throw new Error(`stageSnapshot: bad extra archive ${JSON.stringify(a.snapshotId)}`);
      await t.writeFile(join(this.staging, name), a.bytes);
      archives.push(name);
    }
    await t.writeFile(join(this.staging, 'sync-messages.json'), serializeSyncMessages(syncMessages));
    await t.writeFile(join(this.staging, 'last-sync.json'), text);
    this.journal = {
      tx_id: this.txId,
      base_snapshot_hash: this.base?.metadata.snapshot_hash ?? null,
      new_snapshot_id: meta.snapshot_id,
      new_snapshot_hash: meta.snapshot_hash,
      changes,
      archives,
    };
    await t.writeFile(join(this.staging, 'journal.json'), JSON.stringify(this.journal));
  }

  /**
   * What can fail in the roll-forward is checked before the commit point: every folder a
   * placement goes into is a real folder of the tree (or will be created), never a link.
   */
  private async checkTree(changes: TreeChanges): Promise<void> {
    const deleting = new Set(changes.delete);
    const known: KnownDirs = new Map();
    for (const item of changes.place) {
      const why = await this.repo.treeAncestorProblem(item.path, deleting, known);
      if (why) {
        throw new RemoteError(`Cannot place ${item.path} in ${this.repo.location}: ${why}; dsg never writes through links. Nothing was published. Replace it with a real folder (as the repository's administrator), then run "dsg sync" again.`, {
          code: 'REMOTE_TREE_BLOCKED',
        });
      }
    }
  }

  async commit(): Promise<void> {
    if (!this.journal) throw new Error('commit() before stageSnapshot()');
    const t = this.repo.transport;
    // Fencing: publish only while holding the lock, on top of the snapshot this transaction was planned against.
    try {
      await this.fence();
    } catch (err) {
      await this.rollback();
      throw err;
    }
    // Only the metadata decides whether the repository moved: a writer always changes snapshot_hash.
    const current = await this.repo.readManifestHead();
    const currentHash = current?.metadata.snapshot_hash ?? null;
    if (currentHash !== this.journal.base_snapshot_hash) {
      await this.rollback();
      throw new RemoteError(
        `The repository at ${this.repo.location} moved to ${current?.metadata.snapshot_id ?? 'another state'} while this sync ran; nothing was published. Run "dsg sync" again.`,
        { code: 'REMOTE_MOVED' },
      );
    }
    await t.rename(join(this.staging, 'last-sync.json'), join(this.repo.dsgDir, 'last-sync.json'));
    // The commit point is behind us: from here on a failure is reported, never rolled back.
    await this.repo.finishPublished(this.staging, this.journal, { replacing: this.replacing });
  }

  async rollback(): Promise<void> {
    await this.repo.transport.rmrf(this.staging);
  }
}
