/**
 * The content-addressed repository (`type: s3`, `type: rclone`), written once over the
 * ObjectStore contract. Layout under the store's root (`<prefix>/<name>/`; README "Object
 * stores" documents it):
 *   objects/<h2>/<xxh3>              every content ever synced, once per hash, immutable
 *   .dsg/repository.json             marks the repository; records whether the store enforces put-if-absent
 *   .dsg/snapshots/<sN>.json         each snapshot's manifest (last-sync.json bytes), created with
 *                                    put-if-absent: creating it is the commit point, and the
 *                                    current snapshot is the highest one present
 *   .dsg/last-sync.json              copy of the current manifest, refreshed after the commit point
 *   .dsg/sync-messages.json          every snapshot's metadata, refreshed after the commit point
 *   .dsg/archive/<sN>-sync.json.lz4  every snapshot's manifest, compressed (SPEC §2.5)
 *   .dsg/lock.json                   the advisory write lock (leased; created with put-if-absent)
 *   .dsg/staging/<tx-id>/            a transaction's journal.json and the archives it adds
 *   .dsg/uploads/<xxh3>.json         a large upload in progress (S3: its multipart upload id)
 *   .dsg/tmp/                        uploads in flight, on stores that cannot hide them (rclone)
 *
 * Nothing depends on clocks: exactly one writer can create `.dsg/snapshots/s(N+1).json`, so two
 * writers on the same base cannot both publish, even when one lost its lease. Readers take the
 * manifest from the snapshot key, never from last-sync.json (which a late writer may leave one
 * snapshot behind) and rebuild history from the snapshot keys where sync-messages.json lags.
 */
import { Readable } from 'node:stream';
import { ManifestError } from '../../errors/ManifestError.js';
import { PublishedIncompleteError } from '../../errors/PublishedIncompleteError.js';
import { RemoteError } from '../../errors/RemoteError.js';
import { describeIoError } from '../../errors/describeIoError.js';
import { archiveFileName, archiveNameCandidates, compressArchive, parseArchive, snapshotIdOfArchive } from '../../manifest/archive.js';
import { parseManifest, parseManifestTail, serializeManifest } from '../../manifest/codec.js';
import { ARCHIVE_MAX_BYTES, LOCK_FILE_MAX_BYTES, MANIFEST_MAX_BYTES, REMOTE_JOURNAL_MAX_BYTES, SYNC_MESSAGES_MAX_BYTES } from '../../manifest/limits.js';
import { emptySyncMessages, parseSyncMessages, serializeSyncMessages, type SyncMessages } from '../../manifest/syncMessages.js';
import type { FileEntry, Manifest, ManifestMetadata } from '../../manifest/types.js';
import { forEachLimited } from '../../platform/pool.js';
import { reachStep } from '../../protocol/steps.js';
import { consistentHistory } from '../history.js';
import { parseRemoteJournal, TX_ID, type RemoteJournal } from '../journal.js';
import { lockToken, parseLockRecord, type LockRecord, type StoredLock } from '../lockRecord.js';
import type { ManifestHead, RemoteFilesystem, RemoteRecovery, RemoteTransaction, TreeDifference } from '../RemoteFilesystem.js';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from './ObjectStore.js';
import { ObjectTransaction } from './ObjectTransaction.js';

const MARKER_KEY = '.dsg/repository.json';
const LAST_SYNC_KEY = '.dsg/last-sync.json';
const SYNC_MESSAGES_KEY = '.dsg/sync-messages.json';
const LOCK_KEY = '.dsg/lock.json';
const SNAPSHOTS = '.dsg/snapshots/';
const STAGING = '.dsg/staging/';
const UPLOADS = '.dsg/uploads/';
const TMP = '.dsg/tmp/';
const SNAPSHOT_KEY = /^\.dsg\/snapshots\/s([1-9]\d{0,8})\.json$/;
const HASH = /^[0-9a-f]{16}$/;
/** Bytes read from the end of a manifest for its metadata (a larger metadata block is read in full). */
const MANIFEST_TAIL_BYTES = 64 << 10;
/** Content up to this size is read in one request. */
const SMALL_CONTENT = 1 << 20;
/** Pause before reading back a lock written without a conditional create (many request times). */
const LOCK_SETTLE_MS = 300;
/** Store requests in flight for many small ones (deleting staging, archives). */
const REQUESTS_IN_FLIGHT = 16;

/** What `.dsg/repository.json` says. */
interface Marker {
  format: 'dsg-objects';
  version: 1;
  /** False when the store accepted a second put-if-absent of one key at init: concurrent writers are unsafe. */
  conditional_writes: boolean;
}

/** How rclone reports an upload whose key another writer changed under it (see createOnce). */
const RACED_UPLOAD = /object not found|corrupted on transfer/i;

export function objectKey(hash: string): string {
  return `objects/${hash.slice(0, 2)}/${hash}`;
}

export function snapshotKey(id: string): string {
  return `${SNAPSHOTS}${id}.json`;
}

export function uploadRecordKey(hash: string): string {
  return `${UPLOADS}${hash}.json`;
}

export function stagingKey(txId: string, name: string): string {
  return `${STAGING}${txId}/${name}`;
}

/** The metadata a manifest's bytes end with (the tail), or null when it does not parse from there. */
function metadataFromTail(bytes: Buffer, label: string): ManifestMetadata | null {
  return parseManifestTail(bytes.toString('utf8'), label);
}

export class ObjectRemote implements RemoteFilesystem {
  private marker: Marker | null = null;
  /** Set once the repository was seen: it does not stop existing while a command runs. */
  private seen = false;

  constructor(
    readonly store: ObjectStore,
    /** For messages: "s3://bucket/prefix/name". */
    readonly location: string,
  ) {}

  // ---- reading ----

  /** The snapshots present (sN numbers), ascending. Keys that are not snapshot keys are ignored. */
  private async snapshotNumbers(): Promise<{ n: number; info: ObjectInfo }[]> {
    const listed = await this.store.list(SNAPSHOTS);
    const out: { n: number; info: ObjectInfo }[] = [];
    for (const info of listed) {
      const m = SNAPSHOT_KEY.exec(info.key);
      if (m) out.push({ n: Number(m[1]), info });
    }
    return out.sort((a, b) => a.n - b.n);
  }

  private async top(): Promise<{ id: string; info: ObjectInfo } | null> {
    const all = await this.snapshotNumbers();
    const last = all.at(-1);
    return last ? { id: `s${last.n}`, info: last.info } : null;
  }

  async exists(): Promise<boolean> {
    if (this.seen) return true;
    try {
      this.seen = (await this.store.stat(MARKER_KEY)) !== null || (await this.store.list(SNAPSHOTS)).length > 0;
      return this.seen;
    } catch (err) {
      if ((err as { code?: string }).code === 'REMOTE_NOT_FOUND') return false; // no bucket yet
      throw err;
    }
  }

  async create(opts: { force?: boolean; onNotice?: (message: string) => void } = {}): Promise<void> {
    if ((await this.store.ensureContainer()) === 'created') opts.onNotice?.(`created the container of ${this.store.description}`);
    if ((await this.top()) !== null) {
      throw new RemoteError(`A repository with snapshots already exists at ${this.location}. Use "dsg clone" to get it, or choose another name.`, { code: 'REMOTE_EXISTS' });
    }
    const conditional = await this.probeConditionalWrites();
    const marker: Marker = { format: 'dsg-objects', version: 1, conditional_writes: conditional };
    await this.store.put(MARKER_KEY, Buffer.from(`${JSON.stringify(marker)}\n`));
    this.marker = marker;
    if (!this.store.createIsAtomic) opts.onNotice?.(this.noConditionalCreateMessage());
    else if (!conditional) opts.onNotice?.(this.unsafeMessage());
  }

  /**
   * Whether a store that claims put-if-absent really enforces it: create a probe key twice; the
   * second must be refused. One that accepts both (s3rver, some gateways) would let two writers
   * both publish snapshot s(N+1), one silently overwriting the other.
   */
  private async probeConditionalWrites(): Promise<boolean> {
    if (!this.store.createIsAtomic) return false;
    const probe = `.dsg/tmp/probe-${process.pid}-${Date.now().toString(36)}`;
    try {
      const first = await this.store.putIfAbsent(probe, Buffer.from('1'));
      const second = await this.store.putIfAbsent(probe, Buffer.from('2'));
      return first && !second;
    } finally {
      await this.store.delete(probe).catch(() => undefined);
    }
  }

  /** A store that claims conditional writes but ignored one at init: refused for concurrent use. */
  private unsafeMessage(): string {
    return (
      `${this.store.description} does not enforce conditional writes (put-if-absent), so dsg cannot keep two people syncing at once from overwriting each other's snapshot. ` +
      `dsg refuses to sync while another writer holds the repository lock; make sure only one person syncs at a time, or move the repository to a store that enforces If-None-Match (AWS S3, MinIO, Ceph RGW).`
    );
  }

  /** Stores with no conditional create at all (rclone): what the lease lock does and does not cover. */
  private noConditionalCreateMessage(): string {
    return (
      `${this.store.description} has no conditional create, so dsg queues writers with a lease lock that it writes and then reads back, and checks before publishing that no other writer published first. ` +
      `That keeps writers who take turns safe; a writer paused longer than its lease between that check and its commit could still overwrite a snapshot published meanwhile. For a shared S3 bucket, prefer "type: s3".`
    );
  }

  /** The repository's marker (read once); an absent or unreadable one counts as a store of unknown safety. */
  private async readMarker(): Promise<Marker | null> {
    if (this.marker) return this.marker;
    const bytes = await this.store.get(MARKER_KEY, 4096).catch((err) => {
      if (err instanceof ObjectStoreError) throw err;
      return null;
    });
    if (bytes === null) return null;
    try {
      const m = JSON.parse(bytes.toString('utf8')) as Partial<Marker>;
      if (m.format === 'dsg-objects' && typeof m.conditional_writes === 'boolean') this.marker = m as Marker;
    } catch {
      /* judged as unknown below */
    }
    return this.marker;
  }

  /** A store that claims put-if-absent but was seen ignoring it (SPEC: refused for concurrent use). */
  async concurrencyProblem(): Promise<string | null> {
    if (!this.store.createIsAtomic) return null; // no claim: the lease lock with read-back (createOnce)
    const m = await this.readMarker();
    return m !== null && !m.conditional_writes ? this.unsafeMessage() : null;
  }

  /**
   * Create `key` only if absent: the store's own conditional create where it enforces one.
   * Elsewhere a check, then a write, then (`settleMs`) a read-back after a pause: two writers
   * racing for the key both write, and only the one whose bytes stayed goes on.
   */
  async createOnce(key: string, data: Uint8Array, settleMs = 0): Promise<boolean> {
    if (this.store.createIsAtomic && (await this.concurrencyProblem()) === null) return this.store.putIfAbsent(key, data);
    if ((await this.store.stat(key)) !== null) return false;
    try {
      await this.store.put(key, data);
    } catch (err) {
      // A racing writer's object landed meanwhile (rclone on S3 then reports its own copy as
      // "corrupted on transfer"): that writer won the key.
      if ((await this.store.stat(key)) !== null) return false;
      // Or it landed and was removed again before rclone's check of the upload (a lock released
      // meanwhile: "object not found"): nothing of ours is there, so nothing was created, and
      // the caller tries again (a lock) or fails before its commit point (a snapshot).
      if (RACED_UPLOAD.test((err as Error).message)) return false;
      throw err;
    }
    if (settleMs === 0) return true;
    await new Promise((r) => setTimeout(r, settleMs));
    const back = await this.store.get(key, data.length + 1);
    return back !== null && Buffer.compare(back, Buffer.from(data.buffer, data.byteOffset, data.length)) === 0;
  }

  private async requireRepository(): Promise<void> {
    if (!(await this.exists())) {
      throw new RemoteError(`No dsg repository at ${this.location} (no ${MARKER_KEY}). Check "repository" in .dsgconfig.yml, or run "dsg init" to create it.`, {
        code: 'REMOTE_NOT_FOUND',
      });
    }
  }

  private label(key: string): string {
    return `${this.location}/${key}`;
  }

  /** Snapshot `id`'s manifest from its snapshot key (verified; its id must be `id`). */
  private async readSnapshot(id: string, label = `remote manifest ${this.label(snapshotKey(id))}`): Promise<Manifest> {
    const bytes = await this.store.get(snapshotKey(id), MANIFEST_MAX_BYTES);
    if (bytes === null) throw new ManifestError(`${label} disappeared while it was being read. Run the command again.`);
    const m = parseManifest(bytes.toString('utf8'), label);
    if (m.metadata.snapshot_id !== id) throw new ManifestError(`${label} holds snapshot ${m.metadata.snapshot_id}, not ${id}; the repository may have been tampered with. Run "dsg validate-chain".`);
    return m;
  }

  async readManifest(): Promise<Manifest | null> {
    const top = await this.top();
    if (top === null) {
      await this.requireRepository();
      return null;
    }
    return this.readSnapshot(top.id);
  }

  /** A snapshot's metadata from the end of its snapshot key (the whole key when the tail does not parse). */
  private async snapshotMetadata(id: string): Promise<{ metadata: ManifestMetadata; tail: { size: number; modifiedMs: number } | null }> {
    const label = `remote manifest ${this.label(snapshotKey(id))}`;
    const tail = await this.store.getTail(snapshotKey(id), MANIFEST_TAIL_BYTES);
    if (tail !== null && tail.size <= MANIFEST_MAX_BYTES) {
      const metadata = metadataFromTail(tail.bytes, label);
      if (metadata !== null && metadata.snapshot_id === id) return { metadata, tail };
    }
    return { metadata: (await this.readSnapshot(id, label)).metadata, tail: null };
  }

  async readManifestHead(): Promise<ManifestHead | null> {
    const top = await this.top();
    if (top === null) {
      await this.requireRepository();
      return null;
    }
    const { metadata, tail } = await this.snapshotMetadata(top.id);
    // Snapshot keys are never rewritten: size and time of the key identify its bytes (no inode: 0n).
    return { metadata, stamp: tail ? { size: tail.size, mtimeNs: BigInt(tail.modifiedMs) * 1_000_000n, ino: 0n } : null };
  }

  async readSyncMessages(): Promise<SyncMessages> {
    const [all, text] = await Promise.all([this.snapshotNumbers(), this.readText(SYNC_MESSAGES_KEY, SYNC_MESSAGES_MAX_BYTES)]);
    if (all.length === 0) return emptySyncMessages();
    const stored = text === null ? emptySyncMessages() : parseSyncMessages(text, this.label(SYNC_MESSAGES_KEY));
    // sync-messages.json is refreshed after the commit point: a snapshot it lacks is read from its own key.
    const missing = all.filter(({ n }) => !stored.snapshots.has(`s${n}`));
    const found = new Map<string, ManifestMetadata>();
    await forEachLimited(missing, REQUESTS_IN_FLIGHT, async ({ n }) => {
      found.set(`s${n}`, (await this.snapshotMetadata(`s${n}`)).metadata);
    });
    const snapshots = new Map(stored.snapshots);
    for (const { n } of missing) snapshots.set(`s${n}`, found.get(`s${n}`)!);
    const sorted = new Map([...snapshots].sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1))));
    const top = `s${all.at(-1)!.n}`;
    return consistentHistory({ ...stored, snapshots: sorted }, sorted.get(top)!);
  }

  private async readText(key: string, maxBytes: number): Promise<string | null> {
    const b = await this.store.get(key, maxBytes);
    return b === null ? null : b.toString('utf8');
  }

  private async findArchive(snapshotId: string): Promise<Buffer | null> {
    for (const name of archiveNameCandidates(snapshotId)) {
      const data = await this.store.get(`.dsg/archive/${name}`, ARCHIVE_MAX_BYTES);
      if (data) return data;
    }
    return null;
  }

  async hasArchive(snapshotId: string): Promise<boolean> {
    if ((await this.store.stat(`.dsg/archive/${archiveFileName(snapshotId)}`)) !== null) return true;
    return (await this.store.stat(snapshotKey(snapshotId))) !== null;
  }

  async hasStoredContent(hash: string): Promise<boolean> {
    return HASH.test(hash) && (await this.store.stat(objectKey(hash))) !== null;
  }

  async readArchiveBytes(snapshotId: string): Promise<Buffer> {
    const found = await this.findArchive(snapshotId);
    if (found) return found;
    // Every snapshot has its snapshot key; the archive is written from it after the commit point.
    if (/^s[1-9]\d*$/.test(snapshotId) && (await this.store.stat(snapshotKey(snapshotId))) !== null) {
      return compressArchive(serializeManifest(await this.readSnapshot(snapshotId)));
    }
    throw new ManifestError(`No archive of snapshot ${snapshotId} in ${this.location}/.dsg/archive/. The history is incomplete; run "dsg validate-chain".`);
  }

  async readArchive(snapshotId: string): Promise<Manifest> {
    const bytes = await this.readArchiveBytes(snapshotId);
    const label = `archive of ${snapshotId} in ${this.location}`;
    return parseArchive(bytes, label);
  }

  async openContent(entry: FileEntry, _snapshotId?: string): Promise<Readable> {
    const missing = () =>
      new RemoteError(`The content of ${entry.path} (hash ${entry.hash}) is missing from ${this.location}. Run "dsg validate-snapshot --deep" to see what else is missing.`, {
        code: 'REMOTE_CONTENT_MISSING',
      });
    if (!HASH.test(entry.hash)) throw missing();
    // The caller verifies size and hash of what arrives: the store is not trusted.
    if (entry.filesize <= SMALL_CONTENT) {
      const data = await this.store.get(objectKey(entry.hash), entry.filesize);
      if (data === null) throw missing();
      return Readable.from([data]);
    }
    const stream = await this.store.getStream(objectKey(entry.hash), entry.filesize);
    if (stream === null) throw missing();
    return stream;
  }

  async checkTree(_current: Manifest, _onBytes?: (n: number) => void): Promise<TreeDifference[]> {
    return []; // no browsable data tree: content is stored by hash
  }

  async checkSnapshotTree(_snapshot: Manifest, _onBytes?: (n: number) => void): Promise<TreeDifference[] | null> {
    return null;
  }

  async mountSnapshot(_snapshotId: string, _dir: string): Promise<boolean> {
    return false;
  }

  async unmountSnapshot(_dir: string): Promise<boolean> {
    return false;
  }

  // ---- writing ----

  async begin(txId: string, base: Manifest | null, fence: () => Promise<void>): Promise<RemoteTransaction> {
    await this.requireRepository();
    return new ObjectTransaction(this, txId, base, fence);
  }

  /**
   * After the commit point (creating the snapshot key of `journal.new_snapshot_id`): copy the
   * archives the transaction staged, then the new snapshot's archive, sync-messages.json, and
   * last of all last-sync.json (hasLeftovers looks at it), then remove the staging. Each
   * step is idempotent; a failure leaves the staging for the next command to finish.
   * `fresh`: the manifest text and history the committing writer has in hand (not read back).
   */
  async finishPublished(journal: RemoteJournal, fresh?: { text: string; syncMessages: SyncMessages }): Promise<void> {
    try {
      await this.rollForward(journal.new_snapshot_id, journal, fresh);
      await this.removeStaging(journal.tx_id);
      if (fresh) await this.abandonUploads();
    } catch (err) {
      throw new PublishedIncompleteError(
        journal.new_snapshot_id,
        'repository',
        `Snapshot ${journal.new_snapshot_id} was published in ${this.location}, but finishing the repository's side failed: ${describeIoError(err)}. ` +
          `What is left (the archive, sync-messages.json and last-sync.json) is finished by the next dsg command or by "dsg recover" once the cause is fixed; dsg reads the snapshot from .dsg/snapshots/ meanwhile, so nothing is lost.`,
        { cause: err },
      );
    }
  }

  private async rollForward(id: string, journal: RemoteJournal | null, fresh?: { text: string; syncMessages: SyncMessages }): Promise<void> {
    const staged = journal ? (journal.archives ?? []).filter((n) => snapshotIdOfArchive(n) !== null && n !== archiveFileName(id)) : [];
    await forEachLimited(staged, REQUESTS_IN_FLIGHT, async (name) => {
      const data = await this.store.get(stagingKey(journal!.tx_id, name), ARCHIVE_MAX_BYTES);
      if (data !== null) await this.store.put(`.dsg/archive/${name}`, data);
    });
    const text = fresh?.text ?? serializeManifest(await this.readSnapshot(id));
    if (fresh || (await this.store.stat(`.dsg/archive/${archiveFileName(id)}`)) === null) await this.store.put(`.dsg/archive/${archiveFileName(id)}`, compressArchive(text));
    reachStep('remote-rollforward-metadata');
    const history = fresh?.syncMessages ?? (await this.readSyncMessages());
    await this.store.put(SYNC_MESSAGES_KEY, Buffer.from(serializeSyncMessages(history)));
    reachStep('remote-rollforward-file');
    await this.store.put(LAST_SYNC_KEY, Buffer.from(text));
    reachStep('remote-rollforward-file');
  }

  private async removeStaging(txId: string): Promise<void> {
    const keys = await this.store.list(`${STAGING}${txId}/`);
    // The journal goes last: while it exists, recovery knows what the others are.
    const journalKey = stagingKey(txId, 'journal.json');
    await forEachLimited(
      keys.filter((k) => k.key !== journalKey),
      REQUESTS_IN_FLIGHT,
      (k) => this.store.delete(k.key),
    );
    await this.store.delete(journalKey);
  }

  /**
   * Large uploads that no transaction finished (their writer was killed and its sync rolled
   * back): kept until now so a rerun could resume them; once a sync has published, whatever it
   * did not resume is abandoned (S3: the multipart upload is aborted, its parts freed).
   */
  private async abandonUploads(): Promise<void> {
    const records = (await this.store.list(UPLOADS)).filter((o) => /^\.dsg\/uploads\/[0-9a-f]{16}\.json$/.test(o.key));
    await forEachLimited(records, REQUESTS_IN_FLIGHT, (o) => this.store.abandonUpload(o.key));
  }

  /** Whether last-sync.json holds the current snapshot (the last step of every roll-forward). */
  private async rolledForward(top: { id: string } | null): Promise<boolean> {
    if (top === null) return true;
    const [tail, current] = await Promise.all([this.store.getTail(LAST_SYNC_KEY, MANIFEST_TAIL_BYTES), this.snapshotMetadata(top.id)]);
    if (tail === null) return false;
    const have = metadataFromTail(tail.bytes, this.label(LAST_SYNC_KEY));
    return have !== null && have.snapshot_id === top.id && have.snapshot_hash === current.metadata.snapshot_hash;
  }

  /** Transaction ids with something under .dsg/staging/ (only names dsg gives). */
  private async stagedTransactions(): Promise<string[]> {
    const ids = new Set<string>();
    for (const o of await this.store.list(STAGING)) {
      const id = o.key.slice(STAGING.length).split('/')[0];
      if (TX_ID.test(id)) ids.add(id);
    }
    return [...ids];
  }

  async hasLeftovers(): Promise<boolean> {
    if (!(await this.exists())) return false;
    // Every command starts here: the checks go at once (one round trip of latency, not five).
    const [staged, lock, tmp, rolled] = await Promise.all([
      this.stagedTransactions(),
      this.store.stat(LOCK_KEY),
      this.store.list(TMP),
      this.top().then((top) => this.rolledForward(top)),
    ]);
    return staged.length > 0 || lock !== null || tmp.length > 0 || !rolled;
  }

  async recover(): Promise<RemoteRecovery> {
    const result: RemoteRecovery = { rolledBack: [], rolledForward: [] };
    if (!(await this.exists())) return result;
    for (const txId of await this.stagedTransactions()) {
      const bytes = await this.store.get(stagingKey(txId, 'journal.json'), REMOTE_JOURNAL_MAX_BYTES);
      // Not JSON: torn while being written, so the commit point (after it) was never reached.
      const journal = bytes ? parseRemoteJournal(bytes.toString('utf8'), this.label(stagingKey(txId, 'journal.json'))) : null;
      if (journal !== null && journal.tx_id === txId && (await this.isPublished(journal))) {
        await this.finishPublished(journal);
        result.rolledForward.push(txId);
      } else {
        await this.removeStaging(txId);
        result.rolledBack.push(txId);
      }
      reachStep('recover-remote-tx-done');
    }
    // A roll-forward whose staging is gone already but whose last step did not happen.
    const top = await this.top();
    if (!(await this.rolledForward(top))) {
      try {
        await this.rollForward(top!.id, null);
      } catch (err) {
        throw new PublishedIncompleteError(top!.id, 'repository', `Finishing snapshot ${top!.id} in ${this.location} failed: ${describeIoError(err)}. Run "dsg recover" once the cause is fixed; nothing is lost.`, { cause: err });
      }
      result.rolledForward.push(top!.id);
    }
    const tmp = await this.store.list(TMP);
    await forEachLimited(tmp, REQUESTS_IN_FLIGHT, (o) => this.store.delete(o.key));
    return result;
  }

  /** True when the journal's snapshot is the one created at its snapshot key. */
  private async isPublished(journal: RemoteJournal): Promise<boolean> {
    if ((await this.store.stat(snapshotKey(journal.new_snapshot_id))) === null) return false;
    return (await this.snapshotMetadata(journal.new_snapshot_id)).metadata.snapshot_hash === journal.new_snapshot_hash;
  }

  // ---- lock (.dsg/lock.json) ----

  get lockLocation(): string {
    return `${this.location}/${LOCK_KEY}`;
  }

  async readLock(): Promise<LockRecord | null> {
    return (await this.inspectLock())?.record ?? null;
  }

  async inspectLock(): Promise<StoredLock | null> {
    const info = await this.store.stat(LOCK_KEY);
    if (info === null) return null;
    const text = await this.readText(LOCK_KEY, LOCK_FILE_MAX_BYTES);
    if (text === null) return null;
    return { record: parseLockRecord(text), token: lockToken(text), mtimeMs: info.modifiedMs };
  }

  async createLock(record: LockRecord): Promise<boolean> {
    await this.requireRepository();
    // Without a conditional create, a racing writer's lock would overwrite ours within a request's time.
    return this.createOnce(LOCK_KEY, Buffer.from(JSON.stringify(record)), LOCK_SETTLE_MS);
  }

  async renewLock(record: LockRecord): Promise<boolean> {
    // Advisory: a check then a write. Correctness does not rest on it; the commit point is conditional.
    if ((await this.readLock())?.token !== record.token) return false;
    await this.store.put(LOCK_KEY, Buffer.from(JSON.stringify(record)));
    return true;
  }

  async breakLock(staleToken: string): Promise<boolean> {
    const current = await this.inspectLock();
    if (current === null) return true;
    if (current.token !== staleToken) return false;
    await this.store.delete(LOCK_KEY);
    return true;
  }

  async releaseLock(token: string): Promise<void> {
    if ((await this.readLock())?.token === token) await this.store.delete(LOCK_KEY);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
