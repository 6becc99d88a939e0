/**
 * status: what a sync would do, grouped: local changes, remote changes, conflicts (SPEC §4).
 * Refreshes the working-copy index (.dsg/index) so the next status or sync hashes nothing that did
 * not change; when nothing changed, answers from that index alone (see fastStatus).
 *
 * @example
 *   import { status } from 'dsg';
 *   const s = await status({ cwd: '/data/myproject' });
 *   for (const row of s.localChanges) console.log(row.state, row.path);
 *   const inInput = await status({ cwd: '/data/myproject', paths: ['input'] });
 */
import type { PathProblem } from '../scan/pathRules.js';
import type { SkippedPath } from '../scan/scanner.js';
import { planSync, type PlanRow } from '../sync/plan.js';
import { STATE_DESCRIPTION, type SyncState } from '../sync/states.js';
import { isTrackedPath } from '../scan/rules.js';
import { isAtOrUnder, projectPathFromCwd } from '../history/projectPath.js';
import { isSameSnapshot, requireSnapshot, requireSnapshotHead } from '../remote/requireSnapshot.js';
import { recoverProject } from './recover.js';
import { actingAs, withProject, type CommonOptions, type Project } from './project.js';
import { lstatSync, type BigIntStats } from 'node:fs';
import type { Entry, Manifest } from '../manifest/types.js';
import { xxh3Hex } from '../manifest/hash.js';
import type { WalkedTree } from '../scan/scanner.js';
import { silentProgress } from '../transaction/progress.js';
import type { CleanState, WorkingIndex } from '../scan/workingIndex.js';
import type { ManifestHead } from '../remote/RemoteFilesystem.js';

export interface StatusRow {
  path: string;
  state: SyncState;
  description: string;
  action: PlanRow['action'];
}

export interface StatusResult {
  snapshot: string | null;
  cacheSnapshot: string | null;
  localChanges: StatusRow[];
  remoteChanges: StatusRow[];
  conflicts: StatusRow[];
  /** Rows that only refresh the cache (identical on both sides). */
  cacheOnly: StatusRow[];
  unchanged: number;
  /** Repository files this working copy's rules do not track (other data dirs, hidden, ignored): left alone. */
  outside: number;
  invalid: PathProblem[];
  skipped: SkippedPath[];
  caseCollisions: string[][];
  /** Sync has nothing to do (with `paths`: nothing for those paths). */
  upToDate: boolean;
  /** How many rows each group holds (the human summary line). */
  summary: StatusSummary;
}

export interface StatusSummary {
  localChanges: number;
  remoteChanges: number;
  conflicts: number;
}

export interface StatusOptions extends CommonOptions {
  onNotice?: (message: string) => void;
  /**
   * Only entries at or under these paths (files or folders, relative to `cwd` or absolute).
   * Rows, invalid and skipped paths, case collisions, `upToDate` and `summary` then speak of
   * them alone; `unchanged` and `outside` still count the whole project.
   */
  paths?: string[];
}

function toRow(r: PlanRow): StatusRow {
  return { path: r.path, state: r.state, description: STATE_DESCRIPTION[r.state], action: r.action };
}

/** A stamp's mtime must be this much older than its verification to be trusted (the racy rule of the index). */
const RACY_NS = 2_000_000_000n;

/** True when the repository's manifest file is the very one a previous status verified in full (see remoteForStatus). */
function remoteTrusted(project: Project, head: ManifestHead): boolean {
  const stamp = head.stamp;
  if (stamp === null) return false;
  const v = project.client.readVerifiedRemote();
  return (
    v !== null &&
    v.location === project.remote().location &&
    v.snapshotHash === head.metadata.snapshot_hash &&
    v.size === stamp.size &&
    v.mtimeNs === stamp.mtimeNs &&
    v.ino === stamp.ino &&
    stamp.mtimeNs < v.verifiedAtNs - RACY_NS
  );
}

/**
 * R for status. The repository's metadata first (its manifest's tail): when it names the
 * snapshot cached here (C) and the manifest file is the very one a previous status read and
 * verified in full (same size, mtime ns and inode, last written ≥ 2 s before that read), R's
 * entries are C's and are not read. Otherwise R is read and verified in full, and when it
 * names C's snapshot its file's stamp is recorded for the next status. A repository whose
 * manifest was rewritten in any way (its mtime or inode changed) is read in full again.
 */
async function remoteForStatus(project: Project, head: ManifestHead, startedNs: bigint, cache: Manifest | null): Promise<Manifest> {
  const sameAsCache = cache !== null && isSameSnapshot(head.metadata, cache.metadata);
  if (sameAsCache && remoteTrusted(project, head)) return cache;
  const remoteFs = project.remote();
  const remote = await requireSnapshot(remoteFs);
  const stamp = head.stamp;
  if (sameAsCache && stamp !== null && isSameSnapshot(remote.metadata, head.metadata)) {
    project.client.writeVerifiedRemote({ location: remoteFs.location, snapshotHash: head.metadata.snapshot_hash, size: stamp.size, mtimeNs: stamp.mtimeNs, ino: stamp.ino, verifiedAtNs: startedNs });
  }
  return remote;
}

/** XXH3 of the tracking rules: a changed data_dirs or ignore makes the index's clean state void. */
function rulesHash(project: Project): string {
  return xxh3Hex(JSON.stringify([project.config.data_dirs, project.config.ignore]));
}

/** XXH3 over the tracked links (path, NUL, target, NUL) in walk order. */
function linksHash(entries: Iterable<Entry>): string {
  const parts: string[] = [];
  for (const e of entries) if (e.type === 'link') parts.push(e.path, e.reference);
  return xxh3Hex(parts.map((x) => `${x}\0`).join(''));
}

function cacheFileStamp(project: Project): BigIntStats | undefined {
  const st = lstatSync(project.client.p('last-sync.json'), { bigint: true, throwIfNoEntry: false });
  return st?.isFile() ? st : undefined;
}

/**
 * The fast path: the index says the last status found everything up to date, and nothing it
 * depended on changed — the cache file C (same stamp), the repository's snapshot (C's, and its
 * manifest file the one verified before), the rules, the links, and every file's size, mtime
 * and inode (each row not racy), with exactly the index's set of paths. Then the answer is the
 * one that status gave, without reading C or R or building any entry. Otherwise null.
 */
function fastStatus(project: Project, head: ManifestHead, index: WorkingIndex, walked: WalkedTree): StatusResult | null {
  const c = index.clean;
  if (c === null || c.rules !== rulesHash(project)) return null;
  const st = cacheFileStamp(project);
  if (st === undefined || Number(st.size) !== c.cache.size || st.mtimeNs.toString() !== c.cache.mtime_ns || st.ino.toString() !== c.cache.ino) return null;
  if (st.mtimeNs >= index.writtenAtNs - RACY_NS) return null;
  if (!isSameSnapshot(head.metadata, c.cache) || !remoteTrusted(project, head)) return null;
  const { files, out } = walked;
  const n = files.rels.length;
  if (out.skipped.length > 0 || out.invalid.length > 0 || n !== index.rowCount) return null;
  for (let i = 0; i < n; i++) if (files.present[i] === 0 || !index.matchesAt(i, files.rels[i], files.sizes[i], files.mtimeNs[i], files.inos[i])) return null;
  if (linksHash(out.entries.values()) !== c.links) return null;
  return {
    snapshot: head.metadata.snapshot_id,
    cacheSnapshot: c.cache.snapshot_id,
    localChanges: [],
    remoteChanges: [],
    conflicts: [],
    cacheOnly: [],
    unchanged: c.unchanged,
    outside: c.outside,
    invalid: [],
    skipped: [],
    caseCollisions: [],
    upToDate: true,
    summary: { localChanges: 0, remoteChanges: 0, conflicts: 0 },
  };
}

function summarize(r: StatusResult): StatusSummary {
  return { localChanges: r.localChanges.length, remoteChanges: r.remoteChanges.length, conflicts: r.conflicts.length };
}

/** `r` narrowed to the entries at or under `under` (project-relative paths); null: all of it. */
function narrow(r: StatusResult, under: readonly string[] | null): StatusResult {
  if (under === null) return r;
  const keep = (path: string): boolean => under.some((u) => isAtOrUnder(path, u));
  const rows = (list: StatusRow[]): StatusRow[] => list.filter((x) => keep(x.path));
  const n: StatusResult = {
    ...r,
    localChanges: rows(r.localChanges),
    remoteChanges: rows(r.remoteChanges),
    conflicts: rows(r.conflicts),
    cacheOnly: rows(r.cacheOnly),
    invalid: r.invalid.filter((x) => keep(x.path)),
    skipped: r.skipped.filter((x) => keep(x.path)),
    caseCollisions: r.caseCollisions.filter((g) => g.some(keep)),
  };
  n.upToDate = n.localChanges.length + n.remoteChanges.length + n.conflicts.length + n.cacheOnly.length === 0;
  n.summary = summarize(n);
  return n;
}

export async function status(opts: StatusOptions = {}): Promise<StatusResult> {
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    // A path outside the project is a usage error before anything is read or recovered.
    const under = opts.paths?.length ? opts.paths.map((p) => projectPathFromCwd(project.root, opts.cwd ?? process.cwd(), p, 'status')) : null;
    await recoverProject(project, { onNotice: opts.onNotice });
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const head = await requireSnapshotHead(project.remote());
    const index = project.client.loadIndex();
    // Walking is the "scan" phase; hashing what the index cannot vouch for its "hash" phase.
    const progress = opts.progress ?? silentProgress;
    progress.phase('scan', 0, 0);
    const walked = await project.client.walk(project.rules, actingAs(project.user));
    const fast = fastStatus(project, head, index, walked);
    if (fast !== null) {
      progress.end();
      return narrow(fast, under);
    }
    const cacheStamp = cacheFileStamp(project);
    const cache = project.client.readCache();
    const remote = await remoteForStatus(project, head, startedNs, cache);
    const scan = await project.client.scan(project.rules, actingAs(project.user), cache?.entries, progress, index, walked);
    progress.end();
    const plan = planSync(scan.entries, cache?.entries ?? new Map(), remote.entries ?? new Map(), (path) => isTrackedPath(project.rules, path));
    const out: StatusResult = {
      snapshot: remote.metadata.snapshot_id ?? null,
      cacheSnapshot: cache?.metadata.snapshot_id ?? null,
      localChanges: [],
      remoteChanges: [],
      conflicts: [],
      cacheOnly: [],
      unchanged: 0,
      outside: plan.outside.size,
      invalid: scan.invalid,
      skipped: scan.skipped,
      caseCollisions: scan.caseCollisions,
      upToDate: false,
      summary: { localChanges: 0, remoteChanges: 0, conflicts: 0 },
    };
    for (const r of plan.rows) {
      if (r.action === 'none') out.unchanged++;
      else if (r.action === 'upload' || r.action === 'delete_remote') out.localChanges.push(toRow(r));
      else if (r.action === 'download' || r.action === 'delete_local') out.remoteChanges.push(toRow(r));
      else if (r.action === 'conflict') out.conflicts.push(toRow(r));
      else out.cacheOnly.push(toRow(r));
    }
    out.upToDate = plan.empty && cache?.metadata.snapshot_hash === remote.metadata.snapshot_hash;
    out.summary = summarize(out);
    // Rewrite the index when it learned something, or when it can now record a clean state
    // (everything up to date, the cache file unchanged while it was read) for the fast path.
    let clean: CleanState | null = null;
    const stampAfter = cacheFileStamp(project);
    if (out.upToDate && cache !== null && cacheStamp !== undefined && stampAfter !== undefined && out.invalid.length === 0 && out.skipped.length === 0 && out.caseCollisions.length === 0) {
      if (cacheStamp.size === stampAfter.size && cacheStamp.mtimeNs === stampAfter.mtimeNs && cacheStamp.ino === stampAfter.ino) {
        const m = cache.metadata;
        clean = {
          cache: { size: Number(cacheStamp.size), mtime_ns: cacheStamp.mtimeNs.toString(), ino: cacheStamp.ino.toString(), snapshot_id: m.snapshot_id, snapshot_hash: m.snapshot_hash, entries_hash: m.entries_hash, entry_count: m.entry_count },
          rules: rulesHash(project),
          links: linksHash(scan.entries.values()),
          unchanged: out.unchanged,
          outside: out.outside,
        };
      }
    }
    // A clean state recorded within RACY_NS of the cache file's mtime can never serve the fast
    // path (an index written right after a sync): write it again now that it can.
    const racyClean = clean !== null && cacheStamp !== undefined && cacheStamp.mtimeNs >= index.writtenAtNs - RACY_NS;
    if (scan.statCacheStale || index.legacy || racyClean || JSON.stringify(clean) !== JSON.stringify(index.clean)) project.client.saveStatCache(scan.statRows, clean);
    return narrow(out, under);
  });
}
