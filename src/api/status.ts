/**
 * status: what a sync would do, grouped: local changes, remote changes, conflicts (SPEC §4).
 * Refreshes the stat cache so the next status or sync hashes nothing that did not change.
 *
 * @example
 *   import { status } from 'dsg';
 *   const s = await status({ cwd: '/data/myproject' });
 *   for (const row of s.localChanges) console.log(row.state, row.path);
 */
import type { PathProblem } from '../scan/pathRules.js';
import type { SkippedPath } from '../scan/scanner.js';
import { planSync, type PlanRow } from '../sync/plan.js';
import { STATE_DESCRIPTION, type SyncState } from '../sync/states.js';
import { isTrackedPath } from '../scan/rules.js';
import { isSameSnapshot, requireSnapshot, requireSnapshotHead } from '../remote/requireSnapshot.js';
import { recoverProject } from './recover.js';
import { withProject, type CommonOptions, type Project } from './project.js';
import type { Manifest } from '../manifest/types.js';
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
  upToDate: boolean;
}

function toRow(r: PlanRow): StatusRow {
  return { path: r.path, state: r.state, description: STATE_DESCRIPTION[r.state], action: r.action };
}

/** A stamp's mtime must be this much older than its verification to be trusted (the racy rule of the stat cache). */
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

export async function status(opts: CommonOptions & { onNotice?: (message: string) => void } = {}): Promise<StatusResult> {
  return withProject(opts, async (project) => {
    await recoverProject(project, { onNotice: opts.onNotice });
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const head = await requireSnapshotHead(project.remote());
    const cache = project.client.readCache();
    const remote = await remoteForStatus(project, head, startedNs, cache);
    const scan = await project.client.scan(project.rules, project.user.user_id, cache?.entries);
    project.client.refreshStatCache(scan);
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
    };
    for (const r of plan.rows) {
      if (r.action === 'none') out.unchanged++;
      else if (r.action === 'upload' || r.action === 'delete_remote') out.localChanges.push(toRow(r));
      else if (r.action === 'download' || r.action === 'delete_local') out.remoteChanges.push(toRow(r));
      else if (r.action === 'conflict') out.conflicts.push(toRow(r));
      else out.cacheOnly.push(toRow(r));
    }
    out.upToDate = plan.empty && cache?.metadata.snapshot_hash === remote.metadata.snapshot_hash;
    return out;
  });
}
