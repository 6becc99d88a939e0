/**
 * The three-way state table of SPEC §4: classify one path by its presence and equality in
 * L (local scan), C (cache: last synced) and R (remote), and say what sync does with it.
 */
import { sameContent, type Entry } from '../manifest/types.js';

export type SyncAction = 'none' | 'download' | 'upload' | 'delete_remote' | 'delete_local' | 'cache_only' | 'drop_from_cache' | 'conflict';

export type SyncState =
  | 'unchanged' // LCR  L=C=R
  | 'remote_changed' // LCR  L=C≠R
  | 'both_changed_equal' // LCR  L=R≠C
  | 'local_changed' // LCR  C=R≠L
  | 'conflict_all_differ' // LCR  all differ
  | 'local_deleted' // -CR  C=R
  | 'conflict_local_deleted_remote_changed' // -CR  C≠R
  | 'added_both_equal' // L-R  L=R
  | 'conflict_added_both_differ' // L-R  L≠R
  | 'remote_deleted' // LC-  L=C
  | 'conflict_local_changed_remote_deleted' // LC-  L≠C
  | 'remote_added' // --R
  | 'gone_both' // -C-
  | 'local_added'; // L--

export interface Classification {
  state: SyncState;
  action: SyncAction;
}

const ACTION: Record<SyncState, SyncAction> = {
  unchanged: 'none',
  remote_changed: 'download',
  both_changed_equal: 'cache_only',
  local_changed: 'upload',
  conflict_all_differ: 'conflict',
  local_deleted: 'delete_remote',
  conflict_local_deleted_remote_changed: 'conflict',
  added_both_equal: 'cache_only',
  conflict_added_both_differ: 'conflict',
  remote_deleted: 'delete_local',
  conflict_local_changed_remote_deleted: 'conflict',
  remote_added: 'download',
  gone_both: 'drop_from_cache',
  local_added: 'upload',
};

/** Human words for each state, shared by `status`, conflicts.txt and --json. */
export const STATE_DESCRIPTION: Record<SyncState, string> = {
  unchanged: 'unchanged',
  remote_changed: 'changed on remote',
  both_changed_equal: 'changed identically on both sides',
  local_changed: 'changed locally',
  conflict_all_differ: 'changed locally and on remote, differently',
  local_deleted: 'deleted locally',
  conflict_local_deleted_remote_changed: 'deleted locally, changed on remote',
  added_both_equal: 'added identically on both sides',
  conflict_added_both_differ: 'added locally and on remote, differently',
  remote_deleted: 'deleted on remote',
  conflict_local_changed_remote_deleted: 'changed locally, deleted on remote',
  remote_added: 'new on remote',
  gone_both: 'deleted on both sides',
  local_added: 'new locally',
};

export function classifyPath(l: Entry | undefined, c: Entry | undefined, r: Entry | undefined): Classification {
  const state = stateOf(l, c, r);
  return { state, action: ACTION[state] };
}

function stateOf(l: Entry | undefined, c: Entry | undefined, r: Entry | undefined): SyncState {
  const eq = sameContent;
  if (l && c && r) {
    const lc = eq(l, c);
    const cr = eq(c, r);
    const lr = eq(l, r);
    if (lc && cr) return 'unchanged';
    if (lc) return 'remote_changed';
    if (lr) return 'both_changed_equal';
    if (cr) return 'local_changed';
    return 'conflict_all_differ';
  }
  if (!l && c && r) return eq(c, r) ? 'local_deleted' : 'conflict_local_deleted_remote_changed';
  if (l && !c && r) return eq(l, r) ? 'added_both_equal' : 'conflict_added_both_differ';
  if (l && c && !r) return eq(l, c) ? 'remote_deleted' : 'conflict_local_changed_remote_deleted';
  if (!l && !c && r) return 'remote_added';
  if (!l && c && !r) return 'gone_both';
  if (l && !c && !r) return 'local_added';
  throw new Error('classifyPath: a path must be present in at least one of L, C, R');
}
