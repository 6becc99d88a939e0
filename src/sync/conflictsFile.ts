/**
 * `conflicts.txt` in the project root (SPEC §2.6): one block per conflicted path with its
 * choices, most likely first. The user keeps one choice line per file and runs
 * `dsg sync --continue`.
 */
import { join } from 'node:path';
import { atomicWriteFile } from '../client/atomicWrite.js';
import type { PlanRow } from './plan.js';
import { STATE_DESCRIPTION, type SyncState } from './states.js';

export const CONFLICTS_FILE = 'conflicts.txt';

export type ConflictChoice = 'R' | 'L' | 'C';

const CHOICE_TEXT: Record<ConflictChoice, string> = {
  R: 'use remote',
  L: 'use local',
  C: 'use cached version',
};

/** Choices that make sense for a conflict state, most likely first. */
export function choicesFor(state: SyncState): ConflictChoice[] {
  switch (state) {
    case 'conflict_all_differ':
      return ['R', 'L', 'C'];
    case 'conflict_local_deleted_remote_changed':
      return ['R', 'L', 'C'];
    case 'conflict_added_both_differ':
      return ['R', 'L'];
    case 'conflict_local_changed_remote_deleted':
      return ['L', 'R', 'C'];
    default:
      return [];
  }
}

export function renderConflictsFile(rows: PlanRow[]): string {
  const lines = [
    '# dsg conflicts: for each file keep exactly one of the _R / _L / _C lines, delete the others,',
    '# then run "dsg sync --continue".',
    '#   _R = use remote   _L = use local   _C = use cached version (the last synced one)',
  ];
  for (const row of rows) {
    lines.push(`# File: ${row.path}`, `# Conflict: ${STATE_DESCRIPTION[row.state]}`);
    for (const c of choicesFor(row.state)) lines.push(`_${c} ${row.path}  # ${CHOICE_TEXT[c]}`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeConflictsFile(root: string, rows: PlanRow[]): string {
  const file = join(root, CONFLICTS_FILE);
  atomicWriteFile(file, renderConflictsFile(rows));
  return file;
}
