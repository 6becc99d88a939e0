/**
 * The client commit (SPEC §6 step 7), shared by a running sync and by recovery: put staged
 * downloads and deletions in place, then write C, sync-messages and archives.
 *
 * Idempotent: each path is checked against what the scan saw (pre-state) and against the
 * target. Pre-state → apply; already the target → skip; anything else is a local edit made
 * while the sync ran → keep it, never overwrite, and report it.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import type { ClientFilesystem } from '../client/ClientFilesystem.js';
import { computeEntriesHash, sortEntries } from '../manifest/codec.js';
import { xxh3Hex, hashFile } from '../manifest/hash.js';
import type { Entry, Manifest } from '../manifest/types.js';
import type { RemoteFilesystem } from '../remote/RemoteFilesystem.js';
import type { StatRow } from '../scan/statCache.js';
import type { KeptPath, LocalChange, PreState } from './journal.js';
import { reachStep } from '../protocol/steps.js';

export function preStateOf(scanned: Entry | undefined, row: StatRow | undefined): PreState {
  if (scanned === undefined) return { kind: 'absent' };
  if (scanned.type === 'link') return { kind: 'link', reference: scanned.reference };
  return { kind: 'file', size: row?.size ?? -1, mtime_ns: String(row?.mtimeNs ?? -1n), ino: String(row?.ino ?? -1n) };
}

function matchesPre(client: ClientFilesystem, path: string, pre: PreState): boolean {
  let st;
  try {
    st = lstatSync(client.abs(path), { bigint: true });
  } catch {
    return pre.kind === 'absent';
  }
  if (pre.kind === 'link') return st.isSymbolicLink() && readlinkSync(client.abs(path)) === pre.reference;
  if (pre.kind === 'file') return st.isFile() && Number(st.size) === pre.size && String(st.mtimeNs) === pre.mtime_ns && String(st.ino) === pre.ino;
  return false;
}

async function matchesTarget(client: ClientFilesystem, path: string, target: Entry | null): Promise<boolean> {
  let st;
  try {
    st = lstatSync(client.abs(path));
  } catch {
    return target === null;
  }
  if (target === null) return false;
  if (target.type === 'link') return st.isSymbolicLink() && readlinkSync(client.abs(path)) === target.reference;
  if (!st.isFile() || st.size !== target.filesize) return false;
  const hash = st.size <= 8 << 20 ? xxh3Hex(readFileSync(client.abs(path))) : (await hashFile(client.abs(path))).hash;
  return hash === target.hash;
}

/** Apply the local changes; returns the paths kept because the user changed them meanwhile. */
export async function applyLocalChanges(client: ClientFilesystem, remote: RemoteFilesystem, txId: string, changes: LocalChange[]): Promise<string[]> {
  const kept: string[] = [];
  const ordered = [...changes.filter((c) => c.target === null), ...changes.filter((c) => c.target !== null)];
  // The last path needing a given content takes the staged file; earlier ones get copies.
  const lastUse = new Map<string, string>();
  for (const c of ordered) if (c.target?.type === 'file') lastUse.set(c.target.hash, c.path);
  let deletionsDone = false;
  for (const c of ordered) {
    if (!deletionsDone && c.target !== null) {
      deletionsDone = true;
      reachStep('client-deleted');
    }
    if (matchesPre(client, c.path, c.pre)) {
      if (c.backup && c.pre.kind !== 'absent') client.backupFile(c.path, c.backup);
      if (c.target === null) client.deleteLocal(c.path);
      else {
        if (c.target.type === 'file' && !client.hasStaged(txId, c.target.hash)) {
          // Recovery after the staged file was consumed or lost: fetch it again (verified).
          await client.stageDownload(txId, c.target, await remote.openContent(c.target));
        }
        client.placeEntry(txId, c.target, c.target.type === 'file' && lastUse.get(c.target.hash) !== c.path);
      }
    } else if (!(await matchesTarget(client, c.path, c.target))) {
      kept.push(c.path);
    }
    reachStep('client-file-applied');
  }
  if (!deletionsDone) reachStep('client-deleted');
  reachStep('client-placed');
  return kept;
}

export function keptWithCache(kept: string[], cache: Manifest | null): KeptPath[] {
  return kept.map((path) => ({ path, cache: cache?.entries.get(path) ?? null }));
}

/** Write C (kept paths keep their old cache entry), the history index and missing archives. */
export async function writeClientMetadata(client: ClientFilesystem, remote: RemoteFilesystem, published: Manifest, kept: KeptPath[]): Promise<void> {
  let c = published;
  if (kept.length > 0) {
    const entries = new Map(published.entries);
    for (const k of kept) {
      if (k.cache) entries.set(k.path, k.cache);
      else entries.delete(k.path);
    }
    const sorted = sortEntries(entries.values());
    c = { entries: sorted, metadata: { ...published.metadata, entry_count: sorted.size, entries_hash: computeEntriesHash(sorted.values()) } };
  }
  const history = await remote.readSyncMessages();
  for (const id of history.snapshots.keys()) {
    if (client.hasArchive(id)) continue;
    // dsg 0.4.4 never put archives in the repository: a known gap, not a reason to stay stuck.
    if (id !== published.metadata.snapshot_id && !(await remote.hasArchive(id))) continue;
    client.writeArchive(id, await remote.readArchiveBytes(id));
  }
  client.writeSyncMessages(history);
  client.writeCache(c);
  reachStep('client-metadata-written');
}
