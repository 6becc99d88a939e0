/**
 * The client journal `.dsg/transactions/<tx-id>.json`: what a sync in progress planned and how
 * far it got. Written atomically (fsynced) at every phase change, so recovery can tell whether
 * the commit point was passed and can finish the client commit alone.
 *
 * Phases: begun → staged (remote snapshot staged; its hash known) → committed (the commit
 * point is behind us) → applied (local files in place; C not yet written) → file removed.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../client/atomicWrite.js';
import type { Entry } from '../manifest/types.js';
import { JournalError } from '../errors/JournalError.js';
import { parseClientJournal } from './journalValidation.js';

export type JournalPhase = 'begun' | 'staged' | 'committed' | 'applied';

/** What the scan saw at a path the client commit will overwrite or delete. */
export type PreState =
  | { kind: 'absent' }
  | { kind: 'file'; size: number; mtime_ns: string; ino: string }
  | { kind: 'link'; reference: string };

export interface LocalChange {
  path: string;
  pre: PreState;
  /** The entry to put in place, or null to delete the path. */
  target: Entry | null;
  /** Conflict resolution: copy what is there to this backup path first (SPEC §2.6). */
  backup?: string;
}

export interface KeptPath {
  path: string;
  /** The cache entry to keep for it (so the next sync reports a conflict), or null. */
  cache: Entry | null;
}

export interface ClientJournal {
  tx_id: string;
  /** init, sync or clone: an interrupted clone keeps its verified downloads for the next one. */
  kind: 'init' | 'sync' | 'clone';
  phase: JournalPhase;
  started_at: string;
  pid: number;
  host: string;
  base_snapshot: string | null;
  /** Snapshot the client commits to (the new one, or the unchanged remote one). */
  target_snapshot: string | null;
  target_snapshot_hash: string | null;
  /** True when the remote gets a new snapshot (then "committed" is decided by the remote). */
  remote_changes: boolean;
  changes: LocalChange[];
  kept?: KeptPath[];
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

/**
 * Journals left behind; a torn one (never fully written: atomic writes) cannot exist, but a
 * damaged or planted one can: each is validated before recovery acts on it.
 */
export function listJournals(dsgDir: string): ClientJournal[] {
  const dir = journalDir(dsgDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = join(dir, f);
      // Never follow a link or read a FIFO here: only a regular file can be a journal dsg wrote.
      if (!lstatSync(file).isFile()) throw new JournalError(`${file} is not a regular file, so it is not a journal dsg wrote. Move it out of that folder, then run "dsg recover".`);
      return parseClientJournal(readFileSync(file, 'utf8'), file, f);
    });
}
