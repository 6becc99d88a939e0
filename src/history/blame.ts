/**
 * The history of one path across snapshots: where it was added, modified (content hash or
 * link target changed, or file ↔ link) and deleted. Pure: the caller supplies the manifests.
 */
import { sameContent, type Entry, type ManifestMetadata } from '../manifest/types.js';

/** `present`: in the first snapshot seen after snapshots whose manifest is unavailable (history before it unknown). */
export type BlameChange = 'added' | 'modified' | 'deleted' | 'present';

export interface BlameEvent {
  snapshot: string;
  change: BlameChange;
  /** The snapshot's time, author and message (who synced it). */
  created_at: string;
  user: string | null;
  message: string;
  /** The entry after the change; null when deleted. */
  entry: Entry | null;
  /** The entry before the change; null when added. */
  previous: Entry | null;
}

/** What blame needs of a snapshot: its metadata and (at least) the entry for the path. */
export interface SnapshotView {
  metadata: ManifestMetadata;
  /** null: the snapshot's manifest is unavailable (dsg 0.4.4 never archived it in the repository). */
  entries: ReadonlyMap<string, Entry> | null;
}

/**
 * Events for `path`, oldest first, from snapshots given in order (s1, s2, …). A snapshot
 * missing from the sequence is simply skipped over: the next one is compared with the last
 * one seen. After an unavailable one, the path's first appearance is `present`, not `added`.
 */
export function blameEvents(path: string, snapshots: Iterable<SnapshotView>): BlameEvent[] {
  const events: BlameEvent[] = [];
  let before: Entry | undefined;
  let gap = false;
  for (const s of snapshots) {
    if (s.entries === null) {
      gap = true;
      continue;
    }
    const now = s.entries.get(path);
    let change: BlameChange | null = null;
    if (gap && now !== undefined && (before === undefined || !sameContent(before, now))) change = 'present';
    else if (before === undefined && now !== undefined) change = 'added';
    else if (before !== undefined && now === undefined) change = 'deleted';
    else if (before !== undefined && now !== undefined && !sameContent(before, now)) change = 'modified';
    if (change) {
      const m = s.metadata;
      events.push({
        snapshot: m.snapshot_id,
        change,
        created_at: m.created_at,
        user: m.created_by,
        message: m.snapshot_message,
        entry: now ?? null,
        previous: before ?? null,
      });
    }
    before = now;
    gap = false;
  }
  return events;
}

/** A view of a manifest reduced to one path, so a long history is not held in memory. */
export function viewOf(path: string, m: SnapshotView): SnapshotView {
  if (m.entries === null) return m;
  const e = m.entries.get(path);
  return { metadata: m.metadata, entries: new Map(e ? [[path, e]] : []) };
}
