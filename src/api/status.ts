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
import { requireSnapshot } from '../remote/requireSnapshot.js';
import { recoverProject } from './recover.js';
import { withProject, type CommonOptions } from './project.js';

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

export async function status(opts: CommonOptions & { onNotice?: (message: string) => void } = {}): Promise<StatusResult> {
  return withProject(opts, async (project) => {
    await recoverProject(project, { onNotice: opts.onNotice });
    const remote = await requireSnapshot(project.remote());
    const cache = project.client.readCache();
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
