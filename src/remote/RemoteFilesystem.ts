/**
 * RemoteFilesystem: the storage of one repository (POSIX directory, ZFS, S3, …), with
 * begin/commit/rollback done in that storage's own atomic way. It knows nothing about how
 * bytes travel (that is the Transport it is given).
 *
 * Every implementation MUST:
 * - return `null` from `readManifest` only when the repository exists but has no snapshot
 *   yet; a manifest that exists but cannot be read, parsed or verified throws ManifestError;
 * - never let a reader see a half-published state: `readManifest`, `readSyncMessages` and
 *   `openContent` show the last committed snapshot in full, before, during and after a sync;
 * - keep every file of every snapshot retrievable through `openContent` (history);
 * - verify content in `RemoteTransaction.putContent` as it arrives (XXH3) and throw
 *   TransferError, naming the path, on a mismatch;
 * - publish the staged snapshot in `commit` by one atomic operation (the commit point), and
 *   make everything before it undoable by `rollback` and everything after it re-doable.
 */
import type { Readable } from 'node:stream';
import type { FileEntry, Manifest, ManifestMetadata } from '../manifest/types.js';
import type { SyncMessages } from '../manifest/syncMessages.js';
import type { LockStore } from './lockRecord.js';

export interface RemoteFilesystem extends LockStore {
  /** For messages: where the repository is. */
  readonly location: string;
  /** True when a repository exists at the location (even one with no snapshot yet). */
  exists(): Promise<boolean>;
  /**
   * Create an empty repository (init). Fails when one with snapshots exists already. `force`
   * (init --force) may reuse an existing empty place the backend would otherwise refuse (a ZFS
   * dataset that exists and holds nothing); no backend ever deletes anything to create one.
   * `onNotice` hears what the user should know (an S3 bucket was created; the store does not
   * enforce conditional writes).
   */
  create(opts?: { force?: boolean; onNotice?: (message: string) => void }): Promise<void>;
  readManifest(): Promise<Manifest | null>;
  /**
   * The current manifest's metadata only (snapshot_id, snapshot_hash, entries_hash,
   * entry_count, …), cheaply: without reading or verifying its entries (a POSIX directory
   * reads the last 64 KiB of `last-sync.json`), plus a `stamp` of the manifest file (size,
   * mtime ns, inode of the file read; null when the backend cannot tell). MUST be consistent
   * with `readManifest`: null exactly when it returns null (no snapshot yet), otherwise the
   * metadata it would return, or an error it would throw. What is read is hostile input: it is
   * validated as `readManifest` validates metadata, and whatever does not parse (a tail that is
   * not the metadata object, a field of the wrong type) falls back to the full `readManifest`
   * (stamp null). Callers that use the entries must call `readManifest`: `status` uses this only
   * to see that the repository holds the very manifest file it verified in full before (same
   * stamp, see api/status.ts) for the snapshot cached locally. `sync` always reads in full.
   */
  readManifestHead(): Promise<ManifestHead | null>;
  /** Every snapshot's metadata, consistent with `readManifest`. */
  readSyncMessages(): Promise<SyncMessages>;
  /** The archived manifest of one snapshot (verified). */
  readArchive(snapshotId: string): Promise<Manifest>;
  /** True when the archive file of a snapshot is stored (readArchiveBytes may stand in for the current one). */
  hasArchive(snapshotId: string): Promise<boolean>;
  /** True when content with this hash is stored as history (not only as a file in the data tree). */
  hasStoredContent(hash: string): Promise<boolean>;
  /** Raw bytes of an archived manifest, for copying to clients. */
  readArchiveBytes(snapshotId: string): Promise<Buffer>;
  /**
   * Backends that keep a browsable data tree (POSIX, ZFS): how the tree differs from the
   * current snapshot `current` (an entry missing, of another type, size, content or link target,
   * or under a folder that is a link), one line per path. Backends without a tree return [].
   */
  checkTree(current: Manifest, onBytes?: (n: number) => void): Promise<TreeDifference[]>;
  /**
   * Backends that keep a native snapshot of each sN's tree (ZFS @sN): how that snapshot's tree
   * differs from its manifest `snapshot`, as in `checkTree`. Backends without one return null.
   */
  checkSnapshotTree(snapshot: Manifest, onBytes?: (n: number) => void): Promise<TreeDifference[] | null>;
  /**
   * Backends with native snapshots (ZFS @sN) whose storage is on this machine: mount snapshot
   * `snapshotId`'s tree read-only at `dir` (an empty folder) and return true. Others return
   * false, and the caller materialises the snapshot into `dir` instead.
   */
  mountSnapshot(snapshotId: string, dir: string): Promise<boolean>;
  /** Undo a `mountSnapshot` at `dir`: true when one was mounted there. */
  unmountSnapshot(dir: string): Promise<boolean>;
  /**
   * The content of a file entry of any snapshot, as a stream. `snapshotId`: a snapshot that
   * holds the entry, for backends that can read content from a native snapshot when their
   * content store lacks it (ZFS @sN); others ignore it.
   */
  openContent(entry: FileEntry, snapshotId?: string): Promise<Readable>;
  /**
   * Start a write transaction on top of snapshot `base` (null: no snapshot yet). `fence` is
   * called immediately before the commit point and throws when this writer lost the lock.
   */
  begin(txId: string, base: Manifest | null, fence: () => Promise<void>): Promise<RemoteTransaction>;
  /**
   * True when an interrupted writer may have left something (staging, temp files, a lock):
   * a cheap check, so readers take the lock and recover only when there is work.
   */
  hasLeftovers(): Promise<boolean>;
  /** Finish or undo whatever interrupted transactions left (idempotent; call under the lock). */
  recover(): Promise<RemoteRecovery>;
  close(): Promise<void>;
}

/** What `readManifestHead` returns: the current manifest's metadata and a stamp of its file. */
export interface ManifestHead {
  metadata: ManifestMetadata;
  /** Size, mtime (ns) and inode of the manifest file read; changes whenever the file is rewritten. */
  stamp: ManifestStamp | null;
}

export interface ManifestStamp {
  size: number;
  mtimeNs: bigint;
  /** 0n when the transport cannot tell. */
  ino: bigint;
}

export interface TreeDifference {
  path: string;
  problem: string;
}

export interface RemoteRecovery {
  rolledBack: string[];
  rolledForward: string[];
}

/** The compressed archive (`.dsg/archive/<sN>-sync.json.lz4` bytes) of one snapshot. */
export interface StagedArchive {
  snapshotId: string;
  bytes: Buffer;
}

export interface RemoteTransaction {
  readonly txId: string;
  /** Stream one file's new content into staging, verifying size and hash. */
  putContent(entry: FileEntry, source: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<void>;
  /**
   * Store several small files' content at once, each already read whole by the caller: verify
   * each as `putContent` does (TransferError naming the path on a mismatch) and store it, with
   * as few requests as the backend can (one tar stream over SSH, not three requests per file).
   * Content that is stored already may come again (callers skip `hasContent` for these: asking
   * costs as much as sending a small file); storing it again changes nothing.
   */
  putContents(items: readonly { entry: FileEntry; data: Uint8Array }[], onBytes?: (n: number) => void): Promise<void>;
  /** True when content with this hash is already stored (no upload needed). */
  hasContent(entry: FileEntry): Promise<boolean>;
  /**
   * Stage the new manifest, its archive and the updated sync-messages. `extraArchives`: archives
   * of earlier snapshots the repository lacks (dsg 0.4.4 never stored them), already verified
   * by the caller; they MUST be published with the snapshot (after the commit point, re-doable
   * by `recover`) and MUST leave nothing behind when the transaction is rolled back.
   */
  stageSnapshot(manifest: Manifest, syncMessages: SyncMessages, extraArchives?: StagedArchive[]): Promise<void>;
  /** The commit point, then publishing the data (re-doable by `recover`). */
  commit(): Promise<void>;
  /** Undo everything staged; safe to call at any point before `commit`. */
  rollback(): Promise<void>;
}
