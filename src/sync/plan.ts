/**
 * planSync: from L, C and R to the exact list of transfers and deletions, the resulting
 * entries, and the safety rails of SPEC §4. Pure: no I/O.
 */
import { SyncBlockedError } from '../errors/SyncBlockedError.js';
import { findNestedPath, sortPaths } from '../manifest/codec.js';
import type { Entry, FileEntry } from '../manifest/types.js';
import { classifyPath, type SyncAction, type SyncState } from './states.js';

export interface PlanRow {
  path: string;
  state: SyncState;
  action: SyncAction;
  local?: Entry;
  cache?: Entry;
  remote?: Entry;
}

export interface SyncPlan {
  /** Every path of L ∪ C ∪ R, sorted, with its state. */
  rows: PlanRow[];
  upload: Entry[];
  download: Entry[];
  deleteRemote: string[];
  deleteLocal: string[];
  cacheOnly: string[];
  conflicts: PlanRow[];
  /** Entries of the synced state (the new R and C), sorted by path. */
  result: Map<string, Entry>;
  /**
   * Repository entries this working copy's tracking rules do not cover (a teammate's other
   * data dir, hidden or ignored paths): never downloaded, never deleted, carried unchanged
   * into `result` (like a sparse checkout). They have no row.
   */
  outside: Map<string, Entry>;
  /** True when the remote content changes, i.e. a new snapshot is needed. */
  changesRemote: boolean;
  /** True when nothing at all would change (no snapshot, no file, no cache update). */
  empty: boolean;
}

/**
 * `isTracked` says whether this working copy's rules cover a path (default: every path).
 * L comes from a scan, so only C and R can hold paths the rules do not cover.
 */
export function planSync(l: Map<string, Entry>, c: Map<string, Entry>, r: Map<string, Entry>, isTracked: (path: string) => boolean = () => true): SyncPlan {
  const paths = new Set<string>([...l.keys(), ...c.keys(), ...r.keys()]);
  const sorted = sortPaths([...paths]);
  const plan: SyncPlan = {
    rows: [],
    upload: [],
    download: [],
    deleteRemote: [],
    deleteLocal: [],
    cacheOnly: [],
    conflicts: [],
    result: new Map(),
    outside: new Map(),
    changesRemote: false,
    empty: true,
  };
  for (const path of sorted) {
    const le = l.get(path);
    const ce = c.get(path);
    const re = r.get(path);
    if (le === undefined && !isTracked(path)) {
      if (re !== undefined) {
        plan.outside.set(path, re);
        plan.result.set(path, re);
      }
      continue;
    }
    const { state, action } = classifyPath(le, ce, re);
    const row: PlanRow = { path, state, action, local: le, cache: ce, remote: re };
    plan.rows.push(row);
    switch (action) {
      case 'none':
        plan.result.set(path, re!);
        break;
      case 'download':
        plan.download.push(re!);
        plan.result.set(path, re!);
        break;
      case 'cache_only':
        plan.cacheOnly.push(path);
        plan.result.set(path, re!);
        break;
      case 'upload':
        plan.upload.push(le!);
        plan.result.set(path, le!);
        break;
      case 'delete_remote':
        plan.deleteRemote.push(path);
        break;
      case 'delete_local':
        plan.deleteLocal.push(path);
        break;
      case 'drop_from_cache':
        plan.cacheOnly.push(path);
        break;
      case 'conflict':
        plan.conflicts.push(row);
        if (re) plan.result.set(path, re);
        break;
    }
  }
  plan.changesRemote = plan.upload.length > 0 || plan.deleteRemote.length > 0;
  plan.empty = plan.rows.every((row) => row.action === 'none');
  return plan;
}

/** Bytes to move in each direction (for progress and --dry-run). */
export function planBytes(entries: Entry[]): number {
  let n = 0;
  for (const e of entries) if (e.type === 'file') n += (e as FileEntry).filesize;
  return n;
}

export interface SafetyInput {
  plan: SyncPlan;
  localCount: number;
  cacheCount: number;
  remoteCount: number;
  force: boolean;
}

/**
 * The rails that stop a sync before anything changes. Conflicts come first (exit 3); the
 * others can be overridden with --force.
 */
export function checkSafetyRails({ plan, localCount, cacheCount, remoteCount, force }: SafetyInput): void {
  if (plan.conflicts.length > 0) {
    throw new SyncBlockedError(
      'CONFLICTS',
      `${plan.conflicts.length} conflict(s) block the sync; nothing was transferred:\n` +
        plan.conflicts.map((row) => `  ${row.path}`).join('\n') +
        '\nEdit conflicts.txt (keep one of _R, _L, _C per file) and run "dsg sync --continue".',
      plan.conflicts.map((row) => ({ path: row.path, state: row.state })),
      3,
    );
  }
  const nested = findNestedPath(plan.result.keys());
  if (nested) {
    throw new SyncBlockedError(
      'PATH_CLASH',
      `"${nested[0]}" is a file on one side and a folder holding "${nested[1]}" on the other. Rename or remove one of them, then sync again.`,
      { file: nested[0], under: nested[1] },
    );
  }
  if (force) return;
  if (localCount === 0 && cacheCount > 0) {
    throw new SyncBlockedError(
      'EMPTY_SCAN',
      `The scan found no tracked files, but the last sync had ${cacheCount}. Is this the right directory, and is its disk mounted? If you really deleted everything, run again with --force.`,
    );
  }
  if (remoteCount > 0 && plan.deleteRemote.length * 2 > remoteCount) {
    throw new SyncBlockedError(
      'MASS_DELETE',
      `This sync would delete ${plan.deleteRemote.length} of the ${remoteCount} files in the repository. Check "dsg status"; if that is what you want, run again with --force.`,
      { deleteRemote: plan.deleteRemote },
    );
  }
  if (localCount > 0 && plan.deleteLocal.length * 2 > localCount) {
    throw new SyncBlockedError(
      'MASS_DELETE',
      `This sync would delete ${plan.deleteLocal.length} of your ${localCount} local files. Check "dsg status"; if that is what you want, run again with --force.`,
      { deleteLocal: plan.deleteLocal },
    );
  }
}
