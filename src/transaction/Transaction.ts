/**
 * Transaction: one sync (or init, or clone) from plan to client commit (SPEC §6). It
 * coordinates the client filesystem, the remote filesystem and, through it, the transport;
 * it knows no storage details.
 *
 *   plan → journal → remote staging → uploads → downloads → stage metadata
 *        → COMMIT POINT (remote) → journal committed → client apply → C, history → done
 *
 * Each step is named in steps.ts. Before the commit point nothing visible has changed on
 * either side; after it the client journal holds everything needed to finish.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClientFilesystem } from '../client/ClientFilesystem.js';
import { SyncBlockedError } from '../errors/SyncBlockedError.js';
import { buildManifest } from '../manifest/codec.js';
import { withSnapshot } from '../manifest/syncMessages.js';
import { nowLosAngeles } from '../manifest/time.js';
import { WRITER_VERSION, type Entry, type FileEntry, type Manifest, type ManifestMetadata } from '../manifest/types.js';
import type { RemoteFilesystem, RemoteTransaction } from '../remote/RemoteFilesystem.js';
import { requireSnapshot } from '../remote/requireSnapshot.js';
import type { ScanResult } from '../scan/scanner.js';
import { isTrackedPath, type TrackingRules } from '../scan/rules.js';
import { checkSafetyRails, planBytes, planSync, type PlanRow, type SyncPlan } from '../sync/plan.js';
import { CONFLICTS_FILE, removeConflictsFile, writeConflictsFile, type ConflictChoice } from '../sync/conflictsFile.js';
import { preferredChoices, resolveConflicts, type Preference, type ResolvedPlan } from '../sync/resolve.js';
import { DsgError } from '../errors/DsgError.js';
import { TransferError } from '../errors/TransferError.js';
import { ManifestError } from '../errors/ManifestError.js';
import { validatePath, type PathProblem } from '../scan/pathRules.js';
import { PublishedIncompleteError } from '../errors/PublishedIncompleteError.js';
import { describeIoError } from '../errors/describeIoError.js';
import { removeJournal, writeJournal, type ClientJournal, type LocalChange } from './journal.js';
import { preStateOf } from './clientCommit.js';
import { missingArchives } from './missingArchives.js';
import { finishClientCommit, recoverClient } from './recovery.js';
import { acquireLock, type HeldLock } from './lock.js';
import { lockWorkingCopy } from '../client/workingCopyLock.js';
import { connectionLost, explainIoError, lostBeforeCommit, lostDuringCommit } from './ioErrors.js';
import { forEachLimited, TRANSFER_CONCURRENCY } from '../platform/pool.js';
import { silentProgress, type Progress } from './progress.js';
import { reachStep, transactionBegins } from '../protocol/steps.js';

export type TransactionKind = 'init' | 'sync' | 'clone';

/** What was done to a path (as `sync -v` prints it). */
export type FileAction = 'upload' | 'download' | 'delete on remote' | 'delete locally';

export interface TransactionContext {
  client: ClientFilesystem;
  remote: RemoteFilesystem;
  rules: TrackingRules;
  /** Email of the syncing user (recorded on changed entries and as created_by). */
  user: string;
  progress?: Progress;
  /** Each path as its transfer (or deletion) is done, for `-v`. */
  onFile?: (action: FileAction, path: string) => void;
  /** Messages while waiting (who holds the lock); the CLI prints them to stderr. */
  onNotice?: (message: string) => void;
  /** Back up local files a conflict resolution overwrites (user config backup_on_conflict). */
  backupOnConflict?: boolean;
  /**
   * The project's config, recorded as every new snapshot's `project_config` (so that
   * `dsg clone <location>` can write `.dsgconfig.yml`); null or absent records none.
   */
  projectConfig?: ManifestMetadata['project_config'];
}

/** `YYYYMMDDTHHMMSS±HHMM` of now, for conflict backup names (SPEC §2.6). */
function backupStamp(): string {
  const t = nowLosAngeles(); // 2025-06-13T10:19:19-07:00
  return `${t.slice(0, 10).replace(/-/g, '')}T${t.slice(11, 19).replace(/:/g, '')}${t.slice(19).replace(':', '')}`;
}

export interface TransactionOptions {
  kind: TransactionKind;
  message?: string;
  dryRun?: boolean;
  force?: boolean;
  /** How long to wait for another writer's lock (default 300 s). */
  waitSeconds?: number;
  /** `sync --continue`: the user's choice for each conflicted path. */
  choices?: Map<string, ConflictChoice>;
  /** `sync --prefer`: resolve every conflict this way in this run (with backups, as --continue). */
  prefer?: Preference;
}

export const DEFAULT_WAIT_SECONDS = 300;

export interface SyncResult {
  kind: TransactionKind;
  dryRun: boolean;
  upToDate: boolean;
  /** New snapshot id, or null when none was made. */
  snapshot: string | null;
  previousSnapshot: string | null;
  uploaded: string[];
  downloaded: string[];
  deletedRemote: string[];
  deletedLocal: string[];
  cacheOnly: string[];
  bytesUp: number;
  bytesDown: number;
  /** Local files changed during the sync: kept as they are and reported as conflicts next time. */
  keptLocal: string[];
  /** Downloads not fetched again: verified by an interrupted clone before. */
  resumed: number;
  /** Untracked things the scan found (reported, never silently dropped). */
  skipped: ScanResult['skipped'];
  rows: PlanRow[];
  /** `sync --continue`: each conflict and the version chosen for it (conflicts.txt's _R, _L, _C). */
  resolved: { path: string; action: ResolvedAction }[];
  /** Conflict backups made of local files the resolution overwrote or deleted (none in a dry run). */
  backups: { path: string; backup: string }[];
}

/** The version a resolved conflict ends with on both sides. */
export type ResolvedAction = 'remote' | 'local' | 'cache';
const RESOLVED_ACTION: Record<ConflictChoice, ResolvedAction> = { R: 'remote', L: 'local', C: 'cache' };

function newTxId(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '').replace('Z', 'Z')}-${randomBytes(4).toString('hex')}`;
}

/** Files up to this size are uploaded in batches (see upload). */
const BATCH_FILE_MAX = 256 << 10;
/** A batch holds at most this many files and bytes: few requests, bounded memory. */
const BATCH_MAX_FILES = 2000;
const BATCH_MAX_BYTES = 8 << 20;
const BATCHES_IN_FLIGHT = 2;

/** Consecutive groups of `files` within the batch limits. */
function uploadBatches(files: FileEntry[]): FileEntry[][] {
  const batches: FileEntry[][] = [];
  let cur: FileEntry[] = [];
  let bytes = 0;
  for (const e of files) {
    if (cur.length > 0 && (cur.length >= BATCH_MAX_FILES || bytes + e.filesize > BATCH_MAX_BYTES)) {
      batches.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += e.filesize;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

/** Unique file entries by hash: one transfer serves every path with the same content. */
function uniqueByHash(entries: Entry[]): FileEntry[] {
  const seen = new Map<string, FileEntry>();
  for (const e of entries) if (e.type === 'file' && !seen.has(e.hash)) seen.set(e.hash, e);
  return [...seen.values()];
}

/** How many of `entries` are files (links move no content). */
function pathCount(entries: Entry[]): number {
  return entries.filter((e) => e.type === 'file').length;
}

/** The paths of the file entries sharing each content: progress counts files, transfers contents. */
function pathsByHash(entries: Entry[]): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'file') continue;
    const same = paths.get(e.hash);
    if (same) same.push(e.path);
    else paths.set(e.hash, [e.path]);
  }
  return paths;
}

/**
 * Repository paths are held to the same path rules as local ones before anything is written:
 * a manifest whose entries pass the codec's checks may still name, say, an NFD or newline path.
 */
function refuseInvalidDownloads(plan: SyncPlan, location: string): void {
  const bad = plan.download.map((e) => validatePath(e.path)).filter((p): p is PathProblem => p !== null);
  if (bad.length === 0) return;
  throw new ManifestError(
    `The repository manifest ${location}/.dsg/last-sync.json names ${bad.length} path(s) that break the path rules, so they are not written into this working copy:\n` +
      bad.map((p) => `  ${JSON.stringify(p.path)}: ${p.reason}`).join('\n') +
      '\ndsg never writes such paths; the manifest was not written by dsg. Ask whoever maintains the repository to check it ("dsg validate-snapshot").',
  );
}

export class Transaction {
  private readonly progress: Progress;

  constructor(private readonly ctx: TransactionContext) {
    this.progress = ctx.progress ?? silentProgress;
  }

  /** Identifies this transaction in journals, staging folders and the lock. */
  readonly txId = newTxId();

  async run(opts: TransactionOptions): Promise<SyncResult> {
    const { client, remote } = this.ctx;
    if (opts.dryRun) return this.plan(opts, async () => undefined);
    const releaseWorkingCopy = lockWorkingCopy(client.dsgDir);
    const ended = transactionBegins(); // a signal now stops it at its next step (protocol/steps.ts)
    let lock: HeldLock | null = null;
    try {
      if (opts.kind !== 'clone') {
        lock = await acquireLock(remote, { user: this.ctx.user, txId: this.txId, location: remote.location }, opts.waitSeconds ?? DEFAULT_WAIT_SECONDS, this.ctx.onNotice ?? (() => undefined));
        reachStep('lock-acquired');
        await remote.recover();
      }
      await recoverClient(client, remote);
      const held = lock;
      return await this.plan(opts, held ? () => held.fence() : async () => undefined);
    } catch (err) {
      // Errors after the commit point are DsgErrors already; a raw one here changed nothing.
      throw explainIoError(err, remote.location);
    } finally {
      await lock?.release();
      releaseWorkingCopy();
      ended();
    }
  }

  private async plan(opts: TransactionOptions, fence: () => Promise<void>): Promise<SyncResult> {
    const { client, remote } = this.ctx;
    // init --dry-run runs before the repository exists: it has no snapshot then.
    const remoteManifest = opts.kind !== 'init' ? await requireSnapshot(remote) : (await remote.exists()) ? await remote.readManifest() : null;
    const cache = opts.kind === 'sync' ? client.readCache() : null;
    this.progress.phase('scan', 0, 0);
    const scan = await client.scan(this.ctx.rules, this.ctx.user, cache?.entries, this.progress);
    this.progress.end();
    if (scan.invalid.length > 0) {
      throw new SyncBlockedError(
        'INVALID_PATHS',
        `${scan.invalid.length} path(s) cannot be synced:\n` +
          scan.invalid.map((p) => `  ${p.path}: ${p.reason}`).join('\n') +
          '\nRename them, or run again with --normalize to rename them automatically.',
        scan.invalid,
      );
    }

    const R = remoteManifest?.entries ?? new Map<string, Entry>();
    const C = cache?.entries ?? new Map<string, Entry>();
    let plan: SyncPlan = planSync(scan.entries, C, R, (path) => isTrackedPath(this.ctx.rules, path));
    const hadConflicts = plan.conflicts.length > 0;
    const choices = opts.choices ?? (opts.prefer && hadConflicts ? preferredChoices(plan.conflicts, opts.prefer) : undefined);
    const resolved = choices && hadConflicts ? plan.conflicts.map((r) => ({ path: r.path, action: RESOLVED_ACTION[choices.get(r.path)!] })) : [];
    if (choices && hadConflicts) plan = resolveConflicts(plan, choices);
    if (opts.kind === 'clone') {
      // A clone never writes to the remote: local-only files simply stay local.
      plan.upload = [];
      plan.deleteRemote = [];
      plan.changesRemote = false;
    }
    refuseInvalidDownloads(plan, remote.location);
    const cacheIsCurrent = cache !== null && remoteManifest !== null && cache.metadata.snapshot_hash === remoteManifest.metadata.snapshot_hash;
    if (plan.conflicts.length > 0 && !opts.dryRun) writeConflictsFile(client.root, plan.conflicts);
    if (!hadConflicts && !opts.dryRun && removeConflictsFile(client.root)) this.ctx.onNotice?.(`${CONFLICTS_FILE} removed: no conflicts remain`);
    checkSafetyRails({ plan, localCount: scan.entries.size, cacheCount: C.size, remoteCount: R.size - plan.outside.size, force: opts.force ?? false });
    reachStep('plan-made');

    const result: SyncResult = {
      kind: opts.kind,
      dryRun: opts.dryRun ?? false,
      upToDate: false,
      snapshot: null,
      previousSnapshot: remoteManifest?.metadata.snapshot_id ?? null,
      uploaded: plan.upload.map((e) => e.path),
      downloaded: plan.download.map((e) => e.path),
      deletedRemote: plan.deleteRemote,
      deletedLocal: plan.deleteLocal,
      cacheOnly: plan.cacheOnly,
      bytesUp: planBytes(plan.upload),
      bytesDown: planBytes(plan.download),
      keptLocal: [],
      resumed: 0,
      skipped: scan.skipped,
      rows: plan.rows.filter((r) => r.action !== 'none'),
      resolved,
      backups: [],
    };
    const nothingToDo = plan.empty && cacheIsCurrent && opts.kind === 'sync';
    if (opts.dryRun || nothingToDo) {
      result.upToDate = nothingToDo;
      if (!opts.dryRun) client.refreshStatCache(scan);
      return result;
    }
    client.ensureDsgDir();
    await this.execute(plan, scan, remoteManifest, opts, result, fence);
    return result;
  }

  private async execute(plan: SyncPlan, scan: ScanResult, base: Manifest | null, opts: TransactionOptions, result: SyncResult, fence: () => Promise<void>): Promise<void> {
    const { client, remote } = this.ctx;
    const txId = this.txId;
    const backups = new Set(this.ctx.backupOnConflict === false ? [] : ((plan as Partial<ResolvedPlan>).backups ?? []));
    const stamp = backupStamp();
    const change = (path: string, target: Entry | null): LocalChange => ({
      path,
      pre: preStateOf(scan.entries.get(path), scan.statRows.get(path)),
      target,
      ...(backups.has(path) ? { backup: `${path}~${stamp}~` } : {}),
    });
    const changes: LocalChange[] = [...plan.deleteLocal.map((path) => change(path, null)), ...plan.download.map((e) => change(e.path, e))];
    // What could fail while applying them is checked now, before the commit point.
    client.checkLocalChanges(changes);
    const journal: ClientJournal = {
      tx_id: txId,
      kind: opts.kind,
      phase: 'begun',
      started_at: nowLosAngeles(),
      pid: process.pid,
      host: hostname(),
      base_snapshot: base?.metadata.snapshot_id ?? null,
      target_snapshot: base?.metadata.snapshot_id ?? null,
      target_snapshot_hash: base?.metadata.snapshot_hash ?? null,
      remote_changes: plan.changesRemote,
      changes,
    };
    writeJournal(client.dsgDir, journal);

    let remoteTx: RemoteTransaction | null = null;
    let staged: Manifest | null = null;
    /** Set when the repository's roll-forward failed after its commit point. */
    let unfinished: PublishedIncompleteError | null = null;
    /** True once the repository's commit point is passed (commit() returned or threw PublishedIncompleteError). */
    let remoteCommitted = false;
    /** True while commit() runs: a lost connection then leaves the outcome to the server. */
    let committing = false;
    try {
      reachStep('journal-begun');
      if (plan.changesRemote) {
        remoteTx = await remote.begin(txId, base, fence);
        reachStep('remote-staging-begun');
        await this.upload(remoteTx, plan.upload, (plan as Partial<ResolvedPlan>).fromHistory);
      }
      result.resumed = await this.download(txId, plan.download);
      if (remoteTx) {
        const history = await remote.readSyncMessages();
        const nextNumber = Math.max(0, ...[...history.snapshots.keys()].map((id) => Number(id.slice(1)))) + 1;
        const manifest = buildManifest(
          plan.result.values(),
          {
            manifest_version: WRITER_VERSION,
            snapshot_id: `s${nextNumber}`,
            created_at: nowLosAngeles(),
            created_by: this.ctx.user,
            snapshot_message: opts.message ?? (opts.kind === 'init' ? 'Initial snapshot' : ''),
            snapshot_previous: base?.metadata.snapshot_id ?? null,
            snapshot_notes: opts.kind,
            project_config: this.ctx.projectConfig ?? null,
          },
          base?.metadata.snapshot_hash ?? null,
        );
        const archives = await missingArchives(client, remote, base, history, (m) => this.ctx.onNotice?.(m));
        staged = manifest;
        await remoteTx.stageSnapshot(manifest, withSnapshot(history, manifest.metadata), archives);
        journal.phase = 'staged';
        journal.target_snapshot = manifest.metadata.snapshot_id;
        journal.target_snapshot_hash = manifest.metadata.snapshot_hash;
        writeJournal(client.dsgDir, journal);
        reachStep('metadata-staged');
        reachStep('before-commit-point');
        committing = true;
        await remoteTx.commit();
        remoteCommitted = true;
        reachStep('after-commit-point');
        result.snapshot = manifest.metadata.snapshot_id;
        for (const p of plan.deleteRemote) this.ctx.onFile?.('delete on remote', p);
      } else {
        if (!base) throw new Error('no snapshot to commit to');
        // Download-only: the journal write below is this sync's commit point.
      }
    } catch (err) {
      if (staged !== null && (remoteCommitted || err instanceof PublishedIncompleteError)) {
        // Past the commit point there is only roll-forward: the working copy still gets the snapshot.
        unfinished = err instanceof PublishedIncompleteError ? err : null;
        result.snapshot = staged.metadata.snapshot_id;
      } else if (committing && staged !== null && connectionLost(err)) {
        // Like a kill at the commit point: the journal (phase staged) and the client staging
        // stay, and recovery compares the repository's snapshot with the journal's target.
        throw lostDuringCommit(err, staged.metadata.snapshot_id, remote.location);
      } else {
        await remoteTx?.rollback().catch(() => undefined);
        if (opts.kind === 'clone') client.keepForResume(txId);
        else client.removeStaging(txId);
        removeJournal(client.dsgDir, txId);
        throw connectionLost(err) ? lostBeforeCommit(err, remote.location) : explainIoError(err, remote.location);
      }
    }

    journal.phase = 'committed';
    try {
      writeJournal(client.dsgDir, journal);
    } catch (err) {
      if (!remoteTx) {
        // Download-only: this write is the commit point, and it did not happen.
        client.removeStaging(txId);
        removeJournal(client.dsgDir, txId);
        throw explainIoError(err, remote.location);
      }
      throw this.clientUnfinished(journal, unfinished, err);
    }
    try {
      reachStep('journal-committed');
      result.keptLocal = await finishClientCommit(client, remote, journal, staged ?? base ?? undefined);
      // finishClientCommit backs up what was there, unless it changed meanwhile (then kept as it is).
      const kept = new Set(result.keptLocal);
      result.backups = changes.flatMap((c) => (c.backup && c.pre.kind !== 'absent' && !kept.has(c.path) ? [{ path: c.path, backup: c.backup }] : []));
      for (const p of plan.deleteLocal) this.ctx.onFile?.('delete locally', p);
      reachStep('staging-cleaned');
      client.saveStatCache(this.statRowsAfter(scan, plan));
      if (opts.kind === 'clone') client.clearResume();
    } catch (err) {
      throw this.clientUnfinished(journal, unfinished, err);
    }
    if (unfinished) throw unfinished;
  }

  /** A failure on the client side after the commit point: reported, never rolled back. */
  private clientUnfinished(journal: ClientJournal, remoteUnfinished: PublishedIncompleteError | null, err: unknown): PublishedIncompleteError {
    const id = journal.target_snapshot ?? 'the snapshot';
    return new PublishedIncompleteError(
      id,
      'working copy',
      `${remoteUnfinished ? `${remoteUnfinished.message}\n` : ''}${id} is the repository's current snapshot, but updating this working copy failed: ${describeIoError(err)}. ` +
        `Nothing is lost: fix the cause, then run "dsg recover" (or any dsg command) to finish; the rest is recorded in .dsg/transactions/${journal.tx_id}.json.`,
      { cause: err },
    );
  }

  /**
   * Send what the repository lacks. Small files go in batches (read here, sent with
   * `putContents`: one request stream per batch, no `hasContent` round trip per file), two
   * batches in flight so reading one overlaps sending the other; large files stream one by one,
   * TRANSFER_CONCURRENCY at a time, after a `hasContent` check (a renamed big file is not sent
   * again).
   */
  private async upload(tx: RemoteTransaction, entries: Entry[], fromHistory: Set<string> = new Set()): Promise<void> {
    const files = uniqueByHash(entries);
    const done = this.transferDone('upload', entries);
    if (files.length > 0) this.progress.phase('upload', pathCount(entries), planBytes(files));
    reachStep('upload-started');
    const history = files.filter((e) => fromHistory.has(e.path));
    const rest = files.filter((e) => !fromHistory.has(e.path));
    await forEachLimited(history, TRANSFER_CONCURRENCY, async (e) => {
      // The cached version is restored from the repository's history: nothing to send.
      if (!(await tx.hasContent(e))) {
        throw new DsgError('HISTORY_CONTENT_MISSING', `The cached version of ${e.path} (hash ${e.hash}) is not stored in the repository, so _C cannot restore it. Choose _R or _L for it in ${CONFLICTS_FILE}.`);
      }
      done(e);
      reachStep('upload-file-done');
    });
    await forEachLimited(uploadBatches(rest.filter((e) => e.filesize <= BATCH_FILE_MAX)), BATCHES_IN_FLIGHT, async (batch) => {
      const items = batch.map((entry) => ({ entry, data: this.readForUpload(entry) }));
      await tx.putContents(items, (n) => this.progress.bytes(n));
      for (const item of items) {
        done(item.entry);
        reachStep('upload-file-done');
      }
    });
    await forEachLimited(rest.filter((e) => e.filesize > BATCH_FILE_MAX), TRANSFER_CONCURRENCY, async (e) => {
      if (!(await tx.hasContent(e))) {
        await tx.putContent(e, this.ctx.client.openForUpload(e.path, e.filesize), (n) => this.progress.bytes(n));
      }
      done(e);
      reachStep('upload-file-done');
    });
    this.progress.end();
    for (const e of entries) if (e.type !== 'file') this.ctx.onFile?.('upload', e.path);
    reachStep('uploads-done');
  }

  /** Called as each content is transferred: counts (and for -v names) every path holding it. */
  private transferDone(action: 'upload' | 'download', entries: Entry[]): (e: FileEntry) => void {
    const paths = pathsByHash(entries);
    return (e) => {
      const same = paths.get(e.hash) ?? [];
      this.progress.fileDone(same.length);
      for (const p of same) this.ctx.onFile?.(action, p);
    };
  }

  /** One small file's bytes for a batch; a failure is reported as putContent reports its own. */
  private readForUpload(e: FileEntry): Buffer {
    try {
      return this.ctx.client.readForUpload(e.path, e.filesize);
    } catch (err) {
      throw new TransferError(`Uploading ${e.path} to ${this.ctx.remote.location} failed: ${describeIoError(err)}`, { cause: err });
    }
  }

  /** Returns how many files came from an interrupted clone's verified downloads. */
  private async download(txId: string, entries: Entry[]): Promise<number> {
    const files = uniqueByHash(entries);
    const done = this.transferDone('download', entries);
    if (files.length > 0) this.progress.phase('download', pathCount(entries), planBytes(files));
    let resumed = 0;
    await forEachLimited(files, TRANSFER_CONCURRENCY, async (e) => {
      if (this.ctx.client.takeResumed(txId, e)) {
        resumed++;
        this.progress.bytes(e.filesize, true);
      } else await this.ctx.client.stageDownload(txId, e, await this.ctx.remote.openContent(e), (n) => this.progress.bytes(n));
      done(e);
      reachStep('download-file-done');
    });
    // Staged downloads must be on disk before the journal can say "committed".
    if (files.length > 0) await this.ctx.client.flush();
    this.progress.end();
    for (const e of entries) if (e.type !== 'file') this.ctx.onFile?.('download', e.path);
    reachStep('downloads-done');
    return resumed;
  }

  /** Rows of paths the sync touched are dropped: the next scan hashes them again. */
  private statRowsAfter(scan: ScanResult, plan: SyncPlan): ScanResult['statRows'] {
    const rows = new Map(scan.statRows);
    for (const p of plan.deleteLocal) rows.delete(p);
    for (const e of plan.download) rows.delete(e.path);
    return rows;
  }
}

