/**
 * A consistent view of a repository's history from its two metadata files.
 *
 * The manifest is renamed into place first (the commit point) and sync-messages just after,
 * so a reader in between sees one snapshot more in the manifest: add it. Entries beyond the
 * current snapshot (never expected) are dropped so readers only see committed history.
 */
import type { SyncMessages } from '../manifest/syncMessages.js';
import type { ManifestMetadata } from '../manifest/types.js';

function num(id: string): number {
  return Number(id.slice(1));
}

export function consistentHistory(stored: SyncMessages, current: ManifestMetadata | null): SyncMessages {
  if (current === null) return { ...stored, snapshots: new Map() };
  const top = num(current.snapshot_id);
  const snapshots = new Map([...stored.snapshots].filter(([id]) => num(id) <= top));
  if (!snapshots.has(current.snapshot_id)) snapshots.set(current.snapshot_id, current);
  return { ...stored, snapshots };
}
