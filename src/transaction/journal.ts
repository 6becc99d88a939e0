/**
 * The client journal `.dsg/transactions/<tx-id>.json`: what a sync in progress planned and how
 * far it got. Written atomically (fsynced) at every phase change so recovery can tell whether
 * the commit point was passed.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../client/atomicWrite.js';
import type { Entry } from '../manifest/types.js';

export type JournalPhase = 'begun' | 'committed' | 'done';

export interface ClientJournal {
  tx_id: string;
  phase: JournalPhase;
  started_at: string;
  pid: number;
  host: string;
  /** Snapshot the sync started from and the one it publishes (null when none). */
  base_snapshot: string | null;
  target_snapshot: string | null;
  target_snapshot_hash: string | null;
  /** What the client commit applies. */
  delete_local: string[];
  place_local: Entry[];
}

export function journalDir(dsgDir: string): string {
  return join(dsgDir, 'transactions');
}

export function writeJournal(dsgDir: string, j: ClientJournal): void {
  atomicWriteFile(join(journalDir(dsgDir), `${j.tx_id}.json`), JSON.stringify(j, null, 2));
}

export function removeJournal(dsgDir: string, txId: string): void {
  rmSync(join(journalDir(dsgDir), `${txId}.json`), { force: true });
}

export function listJournals(dsgDir: string): ClientJournal[] {
  const dir = journalDir(dsgDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ClientJournal);
}
