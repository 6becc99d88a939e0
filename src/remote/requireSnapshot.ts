import { RemoteError } from '../errors/RemoteError.js';
import type { Manifest } from '../manifest/types.js';
import type { RemoteFilesystem } from './RemoteFilesystem.js';

/**
 * The remote's current manifest, for commands that compare against it. A repository without
 * one is an error, never "empty": treating it as empty would plan to delete everything.
 */
export async function requireSnapshot(remote: RemoteFilesystem): Promise<Manifest> {
  const m = await remote.readManifest();
  if (m === null) {
    throw new RemoteError(
      `The repository at ${remote.location} has no current snapshot (.dsg/last-sync.json is missing). If it was just created, run "dsg init" in the working copy that holds the data; otherwise restore .dsg/last-sync.json from the newest file in .dsg/archive/.`,
      { code: 'REMOTE_EMPTY' },
    );
  }
  return m;
}
