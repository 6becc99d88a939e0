/**
 * Checking a client journal (`.dsg/transactions/<tx-id>.json`) before recovery acts on it:
 * recovery writes, deletes and backs up the paths a journal names, so a damaged or planted
 * journal must never make it touch anything outside the working copy's tracked paths.
 * Paths follow the manifest rules (manifest/codec.ts).
 */
import { unsafeLinkReason, unsafePathReason } from '../manifest/codec.js';
import { JournalError } from '../errors/JournalError.js';
import type { ClientJournal, JournalPhase } from './journal.js';

/** Transaction ids become file and folder names: letters, digits and '-' only. */
export const CLIENT_TX_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;

const PHASES: readonly JournalPhase[] = ['begun', 'staged', 'committed', 'applied'];
const KINDS: readonly ClientJournal['kind'][] = ['init', 'sync', 'clone'];
const SNAPSHOT_ID = /^s[1-9]\d{0,15}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const INTEGER = /^-?\d{1,30}$/; // mtime_ns is negative before 1970

type Rec = Record<string, unknown>;

class Invalid extends Error {}

function fail(why: string): never {
  throw new Invalid(why);
}

function obj(v: unknown, what: string): Rec {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${what} is not an object`);
  return v as Rec;
}

function str(o: Rec, field: string, what: string): string {
  const v = o[field];
  if (typeof v !== 'string') fail(`${what}: "${field}" is not a string`);
  return v;
}

function nullable(o: Rec, field: string, what: string, check: (s: string) => boolean): void {
  const v = o[field];
  if (v !== null && (typeof v !== 'string' || !check(v))) fail(`${what}: "${field}" is invalid`);
}

function safePath(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`${what} is not a string`);
  const why = unsafePathReason(v);
  if (why) fail(`${what} ${JSON.stringify(v)} ${why}`);
  // Case-insensitive file systems (macOS, Windows) make ".DSG/…" the same folder as ".dsg/".
  if (/^\.dsg(\/|$)/i.test(v)) fail(`${what} ${JSON.stringify(v)} lies inside .dsg/`);
  return v;
}

function entry(v: unknown, path: string, what: string): void {
  const e = obj(v, what);
  if (e.path !== path) fail(`${what} has path ${JSON.stringify(e.path)}, not ${JSON.stringify(path)}`);
  str(e, 'user', what);
  if (e.type === 'file') {
    const size = e.filesize;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(`${what} has an invalid filesize`);
    const hash = str(e, 'hash', what);
    if (!HEX16.test(hash)) fail(`${what} has an invalid hash`);
    str(e, 'mtime', what);
    return;
  }
  if (e.type === 'link') {
    const reference = str(e, 'reference', what);
    const why = unsafeLinkReason(path, reference);
    if (why) fail(`${what} ${why}`);
    return;
  }
  fail(`${what} has an unknown type`);
}

function preState(v: unknown, what: string): void {
  const p = obj(v, what);
  if (p.kind === 'absent') return;
  if (p.kind === 'file') {
    const size = p.size;
    if (!Number.isSafeInteger(size)) fail(`${what} has an invalid size`); // -1: not known at scan time
    const mtime = str(p, 'mtime_ns', what);
    const ino = str(p, 'ino', what);
    if (!INTEGER.test(mtime) || !INTEGER.test(ino)) fail(`${what} has an invalid mtime_ns or ino`);
    return;
  }
  if (p.kind === 'link') {
    str(p, 'reference', what);
    return;
  }
  fail(`${what} has an unknown kind`);
}

function checkChange(v: unknown, i: number): void {
  const what = `changes[${i}]`;
  const c = obj(v, what);
  const path = safePath(c.path, `${what}.path`);
  preState(c.pre, `${what}.pre`);
  if (c.target !== null) entry(c.target, path, `${what}.target`);
  if (c.backup !== undefined) safePath(c.backup, `${what}.backup`);
}

/** Checks every field recovery relies on; the object is returned as written (fields added later stay). */
function validate(v: unknown, fileName: string): ClientJournal {
  const j = obj(v, 'the journal');
  const txId = str(j, 'tx_id', 'the journal');
  if (!CLIENT_TX_ID.test(txId)) fail(`tx_id ${JSON.stringify(txId)} is not a transaction id (letters, digits and "-" only)`);
  if (fileName !== `${txId}.json`) fail(`tx_id ${JSON.stringify(txId)} does not match the file name`);
  if (!KINDS.includes(j.kind as ClientJournal['kind'])) fail(`"kind" is not one of ${KINDS.join(', ')}`);
  if (!PHASES.includes(j.phase as JournalPhase)) fail(`"phase" is not one of ${PHASES.join(', ')}`);
  if (typeof j.remote_changes !== 'boolean') fail('"remote_changes" is not true or false');
  if (!Number.isSafeInteger(j.pid)) fail('"pid" is not a number');
  if (!Array.isArray(j.changes)) fail('"changes" is not a list');
  if (j.kept !== undefined && !Array.isArray(j.kept)) fail('"kept" is not a list');
  (j.kept as unknown[] | undefined)?.forEach((k, i) => {
    const o = obj(k, `kept[${i}]`);
    const path = safePath(o.path, `kept[${i}].path`);
    if (o.cache !== null) entry(o.cache, path, `kept[${i}].cache`);
  });
  str(j, 'started_at', 'the journal');
  str(j, 'host', 'the journal');
  nullable(j, 'base_snapshot', 'the journal', (s) => SNAPSHOT_ID.test(s));
  nullable(j, 'target_snapshot', 'the journal', (s) => SNAPSHOT_ID.test(s));
  nullable(j, 'target_snapshot_hash', 'the journal', (s) => HEX16.test(s));
  j.changes.forEach(checkChange);
  return j as unknown as ClientJournal;
}

/** Parse and check a client journal; `file` is its full path (named in every error). */
export function parseClientJournal(text: string, file: string, fileName: string): ClientJournal {
  try {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      fail(`it is not valid JSON (${(err as Error).message})`);
    }
    return validate(v, fileName);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    throw new JournalError(
      `The journal of an interrupted sync, ${file}, is damaged or was not written by dsg: ${err.message}. dsg will not act on it. Move it out of that folder (keep it if you report this), then run "dsg recover".`,
    );
  }
}
