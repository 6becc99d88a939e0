import { RemoteError } from '../errors/RemoteError.js';
import type { Manifest, ManifestMetadata } from '../manifest/types.js';
import type { ManifestHead, RemoteFilesystem } from './RemoteFilesystem.js';

/**
 * The remote's current manifest, for commands that compare against it. A repository without
 * one is an error, never "empty": treating it as empty would plan to delete everything.
 */
export async function requireSnapshot(remote: RemoteFilesystem): Promise<Manifest> {
  const m = await remote.readManifest();
  if (m === null) throw noSnapshot(remote);
  return m;
}

/** The remote's current manifest's metadata only (see RemoteFilesystem.readManifestHead); none is an error as above. */
export async function requireSnapshotHead(remote: RemoteFilesystem): Promise<ManifestHead> {
  const m = await remote.readManifestHead();
  if (m === null) throw noSnapshot(remote);
  return m;
}

/** The fields that identify a snapshot's content. */
export type SnapshotIdentity = Pick<ManifestMetadata, 'snapshot_id' | 'snapshot_hash' | 'entries_hash' | 'entry_count'>;

/** True when two metadata blocks name the same snapshot (same id, snapshot_hash, entries_hash and entry_count). */
export function isSameSnapshot(head: SnapshotIdentity, cached: SnapshotIdentity): boolean {
  return (
    head.snapshot_id === cached.snapshot_id &&
    head.snapshot_hash === cached.snapshot_hash &&
    head.entries_hash === cached.entries_hash &&
    head.entry_count === cached.entry_count
  );
}

function noSnapshot(remote: RemoteFilesystem): RemoteError {
  return new RemoteError(
    `The repository at ${remote.location} has no current snapshot (.dsg/last-sync.json is missing). If it was just created, run "dsg init" in the working copy that holds the data; otherwise restore .dsg/last-sync.json from the newest file in .dsg/archive/.`,
    { code: 'REMOTE_EMPTY' },
  );
}
