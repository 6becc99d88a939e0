/**
 * Recovery (SPEC §6): finish or undo what an interrupted sync left, on both sides.
 *
 * Remote (under the repository lock): staged transactions whose snapshot is the current one
 * are rolled forward, all others rolled back (RemoteFilesystem.recover).
 * Client (under the working-copy lock): a journal whose commit point was passed — phase
 * committed/applied, or phase staged with its snapshot present in the remote history — is
 * rolled forward (clientCommit.ts); any other is rolled back (staging removed; nothing else was
 * touched before the commit point). Both directions are idempotent.
 */
import type { ClientFilesystem } from '../client/ClientFilesystem.js';
import { RemoteError } from '../errors/RemoteError.js';
import type { Manifest } from '../manifest/types.js';
import type { RemoteFilesystem, RemoteRecovery } from '../remote/RemoteFilesystem.js';
import { applyLocalChanges, keptWithCache, writeClientMetadata } from './clientCommit.js';
import { listJournals, removeJournal, writeJournal, type ClientJournal } from './journal.js';
import { reachStep } from '../protocol/steps.js';
import { rmSync } from 'node:fs';

export interface ClientRecovery {
  rolledBack: string[];
  rolledForward: string[];
  /** Local files edited while the interrupted sync ran: kept, reported as conflicts next. */
  kept: string[];
}

export interface RecoveryReport {
  remote: RemoteRecovery | null;
  client: ClientRecovery;
}

async function passedCommitPoint(remote: RemoteFilesystem, j: ClientJournal): Promise<boolean> {
  if (j.phase === 'committed' || j.phase === 'applied') return true;
  if (j.phase !== 'staged' || !j.remote_changes || !j.target_snapshot) return false;
  const history = await remote.readSyncMessages();
  return history.snapshots.get(j.target_snapshot)?.snapshot_hash === j.target_snapshot_hash;
}

async function publishedManifest(remote: RemoteFilesystem, j: ClientJournal, known?: Manifest): Promise<Manifest> {
  // The sync that just published it still holds it: no need to read and verify 22 MB again.
  if (known !== undefined && known.metadata.snapshot_hash === j.target_snapshot_hash) return known;
  const current = await remote.readManifest();
  if (current && current.metadata.snapshot_hash === j.target_snapshot_hash) return current;
  if (!j.target_snapshot) throw new RemoteError(`Cannot finish the interrupted sync ${j.tx_id}: its journal names no snapshot.`);
  return remote.readArchive(j.target_snapshot);
}

/** Roll the client forward from a journal past its commit point. */
export async function finishClientCommit(client: ClientFilesystem, remote: RemoteFilesystem, j: ClientJournal, published?: Manifest): Promise<string[]> {
  let kept = j.kept;
  if (j.phase !== 'applied') {
    const keptPaths = await applyLocalChanges(client, remote, j.tx_id, j.changes);
    kept = keptPaths.length > 0 ? keptWithCache(keptPaths, client.readCache()) : [];
    j.phase = 'applied';
    j.kept = kept;
    writeJournal(client.dsgDir, j);
  }
  await writeClientMetadata(client, remote, await publishedManifest(remote, j, published), kept ?? []);
  client.removePlacementTemps(j.tx_id, j.changes.map((c) => c.path));
  removeJournal(client.dsgDir, j.tx_id);
  client.removeStaging(j.tx_id);
  return (kept ?? []).map((k) => k.path);
}

export async function recoverClient(client: ClientFilesystem, remote: RemoteFilesystem): Promise<ClientRecovery> {
  const out: ClientRecovery = { rolledBack: [], rolledForward: [], kept: [] };
  client.checkOwnDirs();
  for (const j of listJournals(client.dsgDir)) {
    if (await passedCommitPoint(remote, j)) {
      out.kept.push(...(await finishClientCommit(client, remote, j)));
      out.rolledForward.push(j.tx_id);
    } else {
      client.removePlacementTemps(j.tx_id, j.changes.map((c) => c.path));
      if (j.kind === 'clone') client.keepForResume(j.tx_id);
      else client.removeStaging(j.tx_id);
      removeJournal(client.dsgDir, j.tx_id);
      out.rolledBack.push(j.tx_id);
    }
    reachStep('recover-client-done');
  }
  // Staging or temp files without a journal (killed before the journal was written).
  for (const leftover of client.ownLeftovers()) rmSync(leftover, { recursive: true, force: true });
  return out;
}
