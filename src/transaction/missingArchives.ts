/**
 * Archives the repository lacks, published with the next snapshot (same transaction): dsg
 * 0.4.4 never put archives in the repository, so later clones and `blame` had no history.
 * We add the base snapshot's (its manifest is the repository's current one) and those this
 * working copy keeps in `.dsg/archive/` that verify against the repository's record.
 */
import type { ClientFilesystem } from '../client/ClientFilesystem.js';
import { metadataDifferences } from '../history/chain.js';
import { archiveNameCandidates, compressArchive, decompressArchive } from '../manifest/archive.js';
import { parseManifest, serializeManifest } from '../manifest/codec.js';
import { ARCHIVE_MAX_BYTES } from '../manifest/limits.js';
import { writtenByOldTool } from '../manifest/oldTool.js';
import type { SyncMessages } from '../manifest/syncMessages.js';
import type { Manifest, ManifestMetadata } from '../manifest/types.js';
import { readRegularFile } from '../platform/safeOpen.js';
import type { RemoteFilesystem, StagedArchive } from '../remote/RemoteFilesystem.js';

/**
 * The archives to stage with the next snapshot. Only the base and snapshots of the old tool
 * are looked at (ours are archived by their own transaction), so a sync costs a stat or two.
 */
export async function missingArchives(
  client: ClientFilesystem,
  remote: RemoteFilesystem,
  base: Manifest | null,
  history: SyncMessages,
  onSkip: (message: string) => void,
): Promise<StagedArchive[]> {
  const out: StagedArchive[] = [];
  for (const [id, meta] of history.snapshots) {
    const isBase = base !== null && id === base.metadata.snapshot_id;
    if (!isBase && !(writtenByOldTool(meta) && client.hasArchive(id))) continue;
    if (await remote.hasArchive(id)) continue;
    const json = isBase ? serializeManifest(base) : await verifiedLocalArchive(client, id, meta, onSkip);
    if (json !== null) out.push({ snapshotId: id, bytes: compressArchive(json) });
  }
  return out;
}

/** The manifest text of this working copy's archive of `id`, or null when it does not verify. */
async function verifiedLocalArchive(client: ClientFilesystem, id: string, meta: ManifestMetadata, onSkip: (message: string) => void): Promise<string | null> {
  for (const name of archiveNameCandidates(id)) {
    const file = client.p('archive', name);
    try {
      const bytes = await readRegularFile(file, ARCHIVE_MAX_BYTES, 'it is not uploaded');
      if (bytes === null) continue;
      const json = decompressArchive(bytes, file);
      const differ = metadataDifferences(parseManifest(json, file).metadata, meta);
      if (differ.length === 0) return json;
      onSkip(`${file} differs from the repository's record of ${id} in ${differ.join(', ')}; it is not uploaded.`);
    } catch (err) {
      onSkip(`${file} cannot be verified (${(err as Error).message}); it is not uploaded.`);
    }
    return null;
  }
  return null;
}
