/**
 * clean: find (and with `apply`, remove) what dsg leaves behind in a working copy: partial
 * downloads in `.dsg/tmp/`, staging folders of transactions that have no journal any more,
 * `<file>.dsg-<tx-id>.tmp` files next to tracked files, and with `backups` the conflict
 * backups `<name>~YYYYMMDDTHHMMSS±HHMM~`. Anything belonging to a transaction whose journal
 * still exists in `.dsg/transactions/` is kept: recovery needs it. Dry run by default.
 *
 * @example
 *   import { clean } from 'dsg';
 *   const preview = await clean({ cwd: '/data/myproject', backups: true });
 *   console.log(preview.items.map((i) => i.path));
 *   await clean({ cwd: '/data/myproject', apply: true });
 */
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lockWorkingCopy } from '../client/workingCopyLock.js';
import { findProjectRoot, PROJECT_CONFIG_FILE } from '../config/projectConfig.js';
import { ConfigError } from '../errors/ConfigError.js';
import { CONFLICT_BACKUP } from '../scan/rules.js';
import { placementTempPath } from '../platform/tempName.js';
import { listJournals } from '../transaction/journal.js';
import type { CommonOptions } from './project.js';

export type LeftoverKind = 'tmp' | 'staging' | 'partial-file' | 'atomic-write-tmp' | 'conflict-backup';

export interface Leftover {
  /** Relative to the project root, `/`-separated. */
  path: string;
  kind: LeftoverKind;
  /** Total size (a folder: everything in it). */
  bytes: number;
  directory: boolean;
}

export interface CleanOptions extends CommonOptions {
  /** Also conflict backups. */
  backups?: boolean;
  /** Remove; without it nothing is touched. */
  apply?: boolean;
}

export interface CleanResult {
  root: string;
  applied: boolean;
  items: Leftover[];
  bytes: number;
  /** Leftovers of transactions that still have a journal (kept for recovery). */
  kept: { path: string; txId: string }[];
}

/** `<name>.dsg-<tx-id>.tmp`: where versions before 0.5.1 put a file before renaming it into place. */
export const PARTIAL_FILE = /\.dsg-([0-9A-Za-z-]+)\.tmp$/;

/** `.dsg-<16 hex>.tmp`: the same, since names of any valid length must fit (platform/tempName.ts). */
export const PLACEMENT_TEMP = /^\.dsg-[0-9a-f]{16}\.tmp$/;

/** `.<name>.<pid>.<ms>.tmp`: an atomic write of dsg metadata that a crash interrupted. */
export const ATOMIC_WRITE_TMP = /^\..+\.\d+\.\d+\.tmp$/;

/** `client.lock.<pid>-<random>.tmp`: a working-copy lock written whole before it is linked into place. */
export const CLIENT_LOCK_TMP = /^client\.lock\.\d+-[0-9a-f]+\.tmp$/;

/** What kind of leftover a working-copy file name is (outside .dsg/), or null. */
export function classifyTreeName(name: string, backups: boolean): { kind: LeftoverKind; txId?: string } | null {
  if (PLACEMENT_TEMP.test(name)) return { kind: 'partial-file' };
  const m = PARTIAL_FILE.exec(name);
  if (m) return { kind: 'partial-file', txId: m[1] };
  if (backups && CONFLICT_BACKUP.test(name)) return { kind: 'conflict-backup' };
  return null;
}

/** The transaction a `.dsg/tmp/` name belongs to (`<tx-id>-<random>`), when it has that form. */
export function txIdOfTmpName(name: string, activeTxIds: ReadonlySet<string>): string | null {
  for (const tx of activeTxIds) if (name.startsWith(`${tx}-`)) return tx;
  return null;
}

/** Temp names of placements that journals of unfinished transactions may still use, with their tx. */
function placementTempsOf(dsg: string): (rel: string) => string | undefined {
  const temps = new Map<string, string>();
  try {
    for (const j of listJournals(dsg)) for (const c of j.changes) temps.set(placementTempPath(c.path, j.tx_id), j.tx_id);
  } catch {
    // An unreadable journal: keep every temp name (recovery reports the journal).
    return () => 'an unreadable journal';
  }
  return (rel) => temps.get(rel);
}

function sizeOf(abs: string): { bytes: number; directory: boolean } {
  const st = lstatSync(abs);
  if (!st.isDirectory()) return { bytes: st.size, directory: false };
  let bytes = 0;
  for (const name of readdirSync(abs)) bytes += sizeOf(join(abs, name)).bytes;
  return { bytes, directory: true };
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export async function clean(opts: CleanOptions = {}): Promise<CleanResult> {
  // Only the working copy is involved: no user config or repository needed.
  const start = opts.cwd ?? process.cwd();
  const root = findProjectRoot(start);
  if (root === null) {
    throw new ConfigError('CONFIG_NOT_FOUND', `clean: no ${PROJECT_CONFIG_FILE} found in ${start} or any parent folder. Run it inside a dsg working copy.`);
  }
  const dsg = join(root, '.dsg');
  // Removing: no sync may start (or be running) in this working copy meanwhile.
  const release = opts.apply ? lockWorkingCopy(dsg) : () => undefined;
  try {
    return scanAndRemove(root, dsg, opts);
  } finally {
    release();
  }
}

function scanAndRemove(root: string, dsg: string, opts: CleanOptions): CleanResult {
  const active = new Set(list(join(dsg, 'transactions')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)));
  const activeTemps = placementTempsOf(dsg);
  const items: Leftover[] = [];
  const kept: CleanResult['kept'] = [];
  const add = (rel: string, kind: LeftoverKind): void => {
    items.push({ path: rel, kind, ...sizeOf(join(root, ...rel.split('/'))) });
  };

  for (const name of list(join(dsg, 'tmp'))) {
    const tx = txIdOfTmpName(name, active);
    if (tx) kept.push({ path: `.dsg/tmp/${name}`, txId: tx });
    else add(`.dsg/tmp/${name}`, 'tmp');
  }
  for (const name of list(join(dsg, 'staging'))) {
    if (active.has(name)) kept.push({ path: `.dsg/staging/${name}`, txId: name });
    else add(`.dsg/staging/${name}`, 'staging');
  }
  for (const sub of ['', 'archive', 'transactions']) {
    for (const name of list(join(dsg, sub))) {
      if (ATOMIC_WRITE_TMP.test(name) || (sub === '' && CLIENT_LOCK_TMP.test(name))) add(sub ? `.dsg/${sub}/${name}` : `.dsg/${name}`, 'atomic-write-tmp');
    }
  }
  // The tree: dsg only writes where it tracks files, never in hidden folders, and follows no links.
  const walk = (abs: string, rel: string): void => {
    for (const name of list(abs)) {
      const childAbs = join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const st = lstatSync(childAbs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        if (!name.startsWith('.')) walk(childAbs, childRel);
        continue;
      }
      const c = classifyTreeName(name, !!opts.backups);
      if (!c) continue;
      const liveTx = c.txId ? (active.has(c.txId) ? c.txId : undefined) : PLACEMENT_TEMP.test(name) ? activeTemps(childRel) : undefined;
      if (liveTx) kept.push({ path: childRel, txId: liveTx });
      else add(childRel, c.kind);
    }
  };
  walk(root, '');

  if (opts.apply) for (const it of items) rmSync(join(root, ...it.path.split('/')), { recursive: true, force: true });
  return { root, applied: !!opts.apply, items, bytes: items.reduce((n, i) => n + i.bytes, 0), kept };
}
