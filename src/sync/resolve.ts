/**
 * Turning the user's conflict choices into a plan (SPEC §4, `sync --continue`). Pure.
 *
 * R: the remote version wins (download it, or delete the local file when the remote deleted it).
 * L: the local version wins (upload it, or delete the remote file when it was deleted locally).
 * C: the cached version (the last synced one) is restored on both sides; its content comes
 *    from the repository's history, so nothing is uploaded.
 * Local files about to be overwritten or deleted are listed in `backups`.
 */
import { SyncBlockedError } from '../errors/SyncBlockedError.js';
import { comparePaths } from '../manifest/codec.js';
import type { Entry } from '../manifest/types.js';
import { parseManifestTime } from '../manifest/time.js';
import { choicesFor, rowState, type ConflictChoice, type ConflictChoices, type RecordedState } from './conflictsFile.js';
import type { PlanRow, SyncPlan } from './plan.js';

export interface ResolvedPlan extends SyncPlan {
  /** Local paths whose current content must be backed up before it is overwritten or deleted. */
  backups: string[];
  /** Uploads whose content must already be stored in the repository (choice C). */
  fromHistory: Set<string>;
}

/** `choices.recorded` (from `# State:` lines) is checked against the current L, C and R. */
export function resolveConflicts(plan: SyncPlan, choices: ConflictChoices): ResolvedPlan {
  const conflicted = new Set(plan.conflicts.map((r) => r.path));
  const unknown = [...choices.keys()].filter((p) => !conflicted.has(p));
  const missing = [...conflicted].filter((p) => !choices.has(p));
  if (unknown.length > 0 || missing.length > 0) {
    throw new SyncBlockedError(
      'CONFLICTS_CHANGED',
      'conflicts.txt does not match the current conflicts' +
        (unknown.length ? `; it names paths that are not in conflict: ${unknown.join(', ')}` : '') +
        (missing.length ? `; it lacks: ${missing.join(', ')}` : '') +
        '. Run "dsg sync" to write a fresh conflicts.txt.',
      { unknown, missing },
    );
  }
  refuseStaleChoices(plan.conflicts, choices.recorded);
  const out: ResolvedPlan = { ...plan, upload: [...plan.upload], download: [...plan.download], deleteRemote: [...plan.deleteRemote], deleteLocal: [...plan.deleteLocal], result: new Map(plan.result), conflicts: [], backups: [], fromHistory: new Set() };
  for (const row of plan.conflicts) {
    const choice = choices.get(row.path)!;
    if (!choicesFor(row.state).includes(choice)) {
      throw new SyncBlockedError('CONFLICTS_FILE_INVALID', `conflicts.txt: _${choice} is not a choice for ${row.path} (${choicesFor(row.state).map((c) => `_${c}`).join(', ')} are).`);
    }
    const winner: Entry | undefined = choice === 'R' ? row.remote : choice === 'L' ? row.local : row.cache;
    const setResult = (e: Entry | undefined): void => {
      if (e) out.result.set(row.path, e);
      else out.result.delete(row.path);
    };
    setResult(winner);
    // Remote side: make it hold `winner`.
    if (choice !== 'R') {
      if (winner) {
        out.upload.push(winner);
        if (choice === 'C') out.fromHistory.add(row.path);
      } else if (row.remote) out.deleteRemote.push(row.path);
    }
    // Local side: make it hold `winner`, backing up what is there.
    if (choice !== 'L') {
      if (winner) out.download.push(winner);
      else if (row.local) out.deleteLocal.push(row.path);
      if (row.local) out.backups.push(row.path);
    }
  }
  out.result = new Map([...out.result].sort(([a], [b]) => comparePaths(a, b)));
  out.changesRemote = out.upload.length > 0 || out.deleteRemote.length > 0;
  out.empty = false;
  return out;
}

const SIDE_CHANGED: Record<keyof RecordedState, string> = {
  R: "the repository's version changed",
  L: 'the local file changed',
  C: 'the last synced version changed',
};

/**
 * A choice is only valid for the versions it was made against: applying `_L` after a teammate
 * synced a newer version would silently replace their edit. Paths without a record (a
 * conflicts.txt from the Python tool or an older dsg) are not checked.
 */
function refuseStaleChoices(rows: PlanRow[], recorded: Map<string, RecordedState> | undefined): void {
  if (!recorded || recorded.size === 0) return;
  const stale: { path: string; changed: string[] }[] = [];
  for (const row of rows) {
    const was = recorded.get(row.path);
    if (!was) continue;
    const now = rowState(row);
    const changed = (['R', 'L', 'C'] as const).filter((side) => was[side] !== now[side]);
    if (changed.length > 0) stale.push({ path: row.path, changed: changed.map((side) => SIDE_CHANGED[side]) });
  }
  if (stale.length === 0) return;
  throw new SyncBlockedError(
    'CONFLICTS_STALE',
    'conflicts.txt was written for versions that have changed since, so its choices could overwrite a newer edit:\n' +
      stale.map((s) => `  ${s.path}: ${s.changed.join(' and ')} since conflicts.txt was written`).join('\n') +
      '\nNothing was changed. Run "dsg sync" to write a fresh conflicts.txt, choose again, then run "dsg sync --continue".',
    stale,
    3,
  );
}

/** `sync --prefer`: which side wins every conflict, chosen up front by a script. */
export type Preference = 'local' | 'remote' | 'newer';
export const PREFERENCES: readonly Preference[] = ['local', 'remote', 'newer'];

/** mtime in seconds of a file entry; null for a link or an absent side (nothing to compare). */
function mtimeOf(e: Entry | undefined): number | null {
  return e?.type === 'file' ? parseManifestTime(e.mtime) : null;
}

/**
 * The choice `--prefer newer` makes for one conflict. A deletion never wins over a changed file
 * (deleting someone's edit because the deletion happened later is what a careful user would
 * least expect); between two versions the later mtime wins; a tie, or a link (no mtime), goes to
 * the repository's version, and the local one is kept as a backup.
 */
function newerChoice(row: PlanRow): ConflictChoice {
  if (!row.local) return 'R';
  if (!row.remote) return 'L';
  const l = mtimeOf(row.local);
  const r = mtimeOf(row.remote);
  return l !== null && r !== null && l > r ? 'L' : 'R';
}

/** The choices `--prefer` makes for every conflict of a plan (then applied as `--continue` applies edited ones). */
export function preferredChoices(conflicts: PlanRow[], prefer: Preference): ConflictChoices {
  const choices: ConflictChoices = new Map();
  for (const row of conflicts) choices.set(row.path, prefer === 'local' ? 'L' : prefer === 'remote' ? 'R' : newerChoice(row));
  return choices;
}
