/**
 * A repository's record of one staged transaction, `.dsg/staging/<tx-id>/journal.json` (POSIX,
 * ZFS and the object stores): written last while staging (before the commit point), read by
 * recovery to roll forward. Object stores have no data tree, so their `changes` lists are empty.
 */
import { RemoteError } from '../errors/RemoteError.js';
import { unsafeLinkReason, unsafePathReason } from '../manifest/codec.js';

const HEX16 = /^[0-9a-f]{16}$/;
/** Transaction ids name folders and files: letters, digits and dashes only. */
export const TX_ID = /^[0-9A-Za-z][0-9A-Za-z-]{0,99}$/;

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

/**
 * Parse and check a journal read back from the repository. Anyone who can write the
 * repository can write this file, so every path is held to the manifest rules before
 * roll-forward deletes or places anything by it. Null: not JSON (torn while being written,
 * which can only happen before the commit point).
 */
export function parseRemoteJournal(text: string, label: string): RemoteJournal | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const bad = (why: string): never => {
    throw new RemoteError(`${label} is not a journal dsg wrote (${why}). Move it out of the repository's .dsg/staging/ and run "dsg validate-snapshot --deep".`, {
      code: 'REMOTE_JOURNAL_INVALID',
    });
  };
  const j = raw as Partial<RemoteJournal> | null;
  if (j === null || typeof j !== 'object') return bad('not an object');
  if (typeof j.tx_id !== 'string' || !TX_ID.test(j.tx_id)) bad('invalid tx_id');
  if (typeof j.new_snapshot_id !== 'string' || !/^s[1-9]\d*$/.test(j.new_snapshot_id)) bad('invalid new_snapshot_id');
  if (typeof j.new_snapshot_hash !== 'string' || !HEX16.test(j.new_snapshot_hash)) bad('invalid new_snapshot_hash');
  if (j.base_snapshot_hash !== null && (typeof j.base_snapshot_hash !== 'string' || !HEX16.test(j.base_snapshot_hash))) bad('invalid base_snapshot_hash');
  const changes = j.changes;
  if (!changes || !Array.isArray(changes.delete) || !Array.isArray(changes.place)) return bad('no changes lists');
  const checkPath = (p: unknown): void => {
    const why = typeof p === 'string' ? unsafePathReason(p) : 'is not a string';
    if (why) bad(`path ${JSON.stringify(p)} ${why}`);
  };
  for (const p of changes.delete) checkPath(p);
  for (const item of changes.place) {
    if (item === null || typeof item !== 'object') return bad('a placement is not an object');
    checkPath(item.path);
    if ('link' in item) {
      const why = typeof item.link === 'string' ? unsafeLinkReason(item.path, item.link) : 'is not a string';
      if (why) bad(`link ${JSON.stringify(item.path)} ${why}`);
    } else if (typeof item.hash !== 'string' || !HEX16.test(item.hash)) bad(`placement ${JSON.stringify(item.path)} has an invalid hash`);
  }
  return j as RemoteJournal;
}
