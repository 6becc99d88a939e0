/**
 * One write transaction on a content-addressed repository: content goes straight to its
 * immutable key `objects/<h2>/<hash>` (verified before it can appear there; unreferenced until
 * a snapshot names it), the journal and the archives of earlier snapshots the repository lacks
 * to `.dsg/staging/<tx-id>/`, and the commit point is one put-if-absent of the new snapshot's
 * key `.dsg/snapshots/s(N+1).json`: exactly one writer on base sN can create it.
 */
import { RemoteError } from '../../errors/RemoteError.js';
import { TransferError } from '../../errors/TransferError.js';
import { describeIoError } from '../../errors/describeIoError.js';
import { archiveFileName, snapshotIdOfArchive } from '../../manifest/archive.js';
import { parseManifestTail, serializeManifest } from '../../manifest/codec.js';
import { xxh3Hex } from '../../manifest/hash.js';
import { checkSent, hashedSource } from '../sentContent.js';
import type { SyncMessages } from '../../manifest/syncMessages.js';
import { sameContent, type FileEntry, type Manifest } from '../../manifest/types.js';
import { forEachLimited } from '../../platform/pool.js';
import type { RemoteJournal } from '../journal.js';
import type { RemoteTransaction, StagedArchive } from '../RemoteFilesystem.js';
import { objectKey, snapshotKey, stagingKey, uploadRecordKey, type ObjectRemote } from './ObjectRemote.js';

/** Small objects sent at once: each is one PUT, so depth hides the round trip. */
const PUTS_IN_FLIGHT = 16;

export class ObjectTransaction implements RemoteTransaction {
  /** Hashes known to be stored (checked or uploaded by this transaction). */
  private readonly stored = new Set<string>();
  private journal: RemoteJournal | null = null;
  private staged: { text: string; syncMessages: SyncMessages } | null = null;

  constructor(
    private readonly repo: ObjectRemote,
    readonly txId: string,
    private readonly base: Manifest | null,
    private readonly fence: () => Promise<void>,
  ) {}

  private get store() {
    return this.repo.store;
  }

  async hasContent(entry: FileEntry): Promise<boolean> {
    if (this.stored.has(entry.hash)) return true;
    const present = await this.repo.hasStoredContent(entry.hash);
    if (present) this.stored.add(entry.hash);
    return present;
  }

  async putContent(entry: FileEntry, source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<void> {
    const sent = hashedSource(entry, source, onBytes);
    try {
      await this.store.putStream(objectKey(entry.hash), sent.stream, entry.filesize, {
        // Before the object can appear under its hash: it must be what the manifest says.
        verify: () => sent.check(),
        resumeKey: uploadRecordKey(entry.hash),
      });
    } catch (err) {
      if (err instanceof TransferError) throw err;
      throw new TransferError(`Uploading ${entry.path} to ${this.repo.location} failed: ${describeIoError(err)}`, { cause: err });
    }
    this.stored.add(entry.hash);
  }

  async putContents(items: readonly { entry: FileEntry; data: Uint8Array }[], onBytes?: (n: number) => void): Promise<void> {
    const fresh = new Map<string, Uint8Array>();
    for (const { entry, data } of items) {
      checkSent(entry, xxh3Hex(data), data.length);
      if (!this.stored.has(entry.hash)) fresh.set(entry.hash, data);
    }
    try {
      // Content-addressed and verified above: a PUT of content already stored changes nothing.
      await forEachLimited([...fresh], PUTS_IN_FLIGHT, async ([h, data]) => {
        await this.store.put(objectKey(h), data);
        this.stored.add(h);
      });
    } catch (err) {
      const first = items[0].entry.path;
      throw new TransferError(`Uploading ${first}${items.length > 1 ? ` and ${items.length - 1} other file(s)` : ''} to ${this.repo.location} failed: ${describeIoError(err)}`, { cause: err });
    }
    for (const { data } of items) onBytes?.(data.length);
  }

  async stageSnapshot(manifest: Manifest, syncMessages: SyncMessages, extraArchives: StagedArchive[] = []): Promise<void> {
    const base = this.base?.entries;
    const needed: FileEntry[] = [];
    for (const [path, e] of manifest.entries) {
      const old = base?.get(path);
      if (e.type === 'file' && (old === undefined || !sameContent(old, e)) && !this.stored.has(e.hash)) needed.push(e);
    }
    await forEachLimited(needed, PUTS_IN_FLIGHT, async (e) => {
      if (!(await this.hasContent(e))) throw new TransferError(`The content of ${e.path} (hash ${e.hash}) was not uploaded; the sync cannot be published.`);
    });
    const meta = manifest.metadata;
    const archives = [archiveFileName(meta.snapshot_id)];
    for (const a of extraArchives) {
      const name = archiveFileName(a.snapshotId);
      if (snapshotIdOfArchive(name) !== a.snapshotId || archives.includes(name)) throw new Error(`stageSnapshot: bad extra archive ${JSON.stringify(a.snapshotId)}`);
      await this.store.put(stagingKey(this.txId, name), a.bytes);
      archives.push(name);
    }
    this.journal = {
      tx_id: this.txId,
      base_snapshot_hash: this.base?.metadata.snapshot_hash ?? null,
      new_snapshot_id: meta.snapshot_id,
      new_snapshot_hash: meta.snapshot_hash,
      changes: { delete: [], place: [] },
      archives,
    };
    // Written last: recovery finds the transaction by it and rolls it forward only if its snapshot was created.
    await this.store.put(stagingKey(this.txId, 'journal.json'), Buffer.from(JSON.stringify(this.journal)));
    this.staged = { text: serializeManifest(manifest), syncMessages };
  }

  async commit(): Promise<void> {
    if (!this.journal || !this.staged) throw new Error('commit() before stageSnapshot()');
    try {
      await this.fence();
    } catch (err) {
      await this.rollback();
      throw err;
    }
    const key = snapshotKey(this.journal.new_snapshot_id);
    // The commit point: one conditional create. Another writer that published this number first wins.
    const created = await this.repo.createOnce(key, Buffer.from(this.staged.text));
    if (!created && !(await this.isOurs(key))) {
      await this.rollback();
      throw new RemoteError(
        `The repository at ${this.repo.location} moved on (another writer published ${this.journal.new_snapshot_id}) while this sync ran; nothing was published. Run "dsg sync" again.`,
        { code: 'REMOTE_MOVED' },
      );
    }
    // The commit point is behind us: from here on a failure is reported, never rolled back.
    await this.repo.finishPublished(this.journal, this.staged);
  }

  /** "Exists" after a retried create may be our own earlier attempt whose answer was lost. */
  private async isOurs(key: string): Promise<boolean> {
    const tail = await this.store.getTail(key, 64 << 10);
    const meta = tail ? parseManifestTail(tail.bytes.toString('utf8'), key) : null;
    return meta !== null && meta.snapshot_hash === this.journal!.new_snapshot_hash;
  }

  async rollback(): Promise<void> {
    // Uploaded content stays: immutable, named by its hash, referenced by no snapshot (a rerun reuses it).
    const keys = await this.store.list(`.dsg/staging/${this.txId}/`);
    await forEachLimited(keys, PUTS_IN_FLIGHT, (k) => this.store.delete(k.key));
  }
}
