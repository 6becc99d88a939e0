/**
 * The POSIX repository's record of one staged transaction, `.dsg/staging/<tx-id>/journal.json`:
 * written last while staging (before the commit point), read by recovery to roll forward.
 */
/** What the roll-forward after the commit point must do to the data tree; stored in journal.json. */
export interface TreeChanges {
  delete: string[];
  place: ({ path: string; hash: string } | { path: string; link: string })[];
}

export interface RemoteJournal {
  tx_id: string;
  base_snapshot_hash: string | null;
  new_snapshot_id: string;
  new_snapshot_hash: string;
  changes: TreeChanges;
  /**
   * Archive files staged next to the journal, moved into `.dsg/archive/` by the roll-forward:
   * the new snapshot's and those of earlier snapshots the repository lacked. Absent in journals
   * of older versions: then only the new snapshot's.
   */
  archives?: string[];
}
