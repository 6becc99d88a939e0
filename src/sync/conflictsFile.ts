/**
 * `conflicts.txt` in the project root (SPEC §2.6): one block per conflicted path with its
 * choices, most likely first. The user keeps one choice line per file and runs
 * `dsg sync --continue`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../client/atomicWrite.js';
import { SyncBlockedError } from '../errors/SyncBlockedError.js';
import type { Entry } from '../manifest/types.js';
import type { PlanRow } from './plan.js';
import { STATE_DESCRIPTION, type SyncState } from './states.js';

export const CONFLICTS_FILE = 'conflicts.txt';

export type ConflictChoice = 'R' | 'L' | 'C';

/**
 * What a conflict's choices were offered against: for each side a file hash, `link:<target>`
 * (percent-encoded so the line stays one line) or `-` (absent). Written as `# State:` so
 * `--continue` can refuse choices made against versions that have changed since.
 */
export interface RecordedState {
  L: string;
  C: string;
  R: string;
}

/**
 * The user's choices; `recorded` holds the `# State:` of each path that has one (a
 * conflicts.txt written by the Python tool or an older dsg has none).
 */
export type ConflictChoices = Map<string, ConflictChoice> & { recorded?: Map<string, RecordedState> };

export function stateKey(e: Entry | undefined): string {
  if (!e) return '-';
  return e.type === 'file' ? e.hash : `link:${encodeURIComponent(e.reference)}`;
}

export function rowState(row: PlanRow): RecordedState {
  return { L: stateKey(row.local), C: stateKey(row.cache), R: stateKey(row.remote) };
}

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
    '# "# State:" lines record the versions the choices were made against: leave them as they are.',
  ];
  for (const row of rows) {
    lines.push(`# File: ${row.path}`, `# Conflict: ${STATE_DESCRIPTION[row.state]}`);
    for (const c of choicesFor(row.state)) lines.push(`_${c}  ${CHOICE_TEXT[c]}`);
    const st = rowState(row);
    lines.push(`# State: L=${st.L} C=${st.C} R=${st.R}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Remove a conflicts.txt whose conflicts are gone; true when there was one. */
export function removeConflictsFile(root: string): boolean {
  const file = join(root, CONFLICTS_FILE);
  if (!existsSync(file)) return false;
  rmSync(file, { force: true });
  return true;
}

export function readConflictsFile(root: string): string | null {
  const file = join(root, CONFLICTS_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

export function writeConflictsFile(root: string, rows: PlanRow[]): string {
  const file = join(root, CONFLICTS_FILE);
  atomicWriteFile(file, renderConflictsFile(rows));
  return file;
}

/**
 * Read the user's edited conflicts.txt: for each `# File:` block exactly one choice line
 * (`_R`, `R`, `_L`, … followed by anything). Every mistake is an error naming the line.
 */
export function parseConflictsFile(text: string, label = CONFLICTS_FILE): ConflictChoices {
  const choices: ConflictChoices = new Map<string, ConflictChoice>();
  const recorded = new Map<string, RecordedState>();
  choices.recorded = recorded;
  let current: { path: string; line: number } | null = null;
  const bad = (line: number, why: string): never => {
    throw new SyncBlockedError('CONFLICTS_FILE_INVALID', `${label} line ${line}: ${why}. Keep exactly one of the _R / _L / _C lines under each "# File:" line, then run "dsg sync --continue" again.`);
  };
  const finish = (): void => {
    if (current && !choices.has(current.path)) bad(current.line, `no choice left for ${current.path}`);
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '') return;
    const file = /^#\s*File:\s*(.*)$/.exec(line);
    if (file) {
      finish();
      const path = file[1].trim();
      if (path === '') bad(n, 'a "# File:" line without a path');
      if (choices.has(path)) bad(n, `${path} is listed twice`);
      current = { path, line: n };
      return;
    }
    const state = /^#\s*State:(.*)$/.exec(line);
    if (state) {
      if (!current) bad(n, 'a "# State:" line before any "# File:" line');
      const cur = current as unknown as { path: string; line: number };
      if (recorded.has(cur.path)) bad(n, `more than one "# State:" line for ${cur.path}`);
      recorded.set(cur.path, parseState(state[1]) ?? bad(n, `"${raw}" is not a state line (expected "# State: L=… C=… R=…"); run "dsg sync" to write a fresh ${CONFLICTS_FILE}`));
      return;
    }
    if (line.startsWith('#')) return;
    const m = /^_?([RLC])(?:\s|$)/i.exec(line);
    if (!m) bad(n, `"${raw}" is not a choice (expected _R, _L or _C)`);
    if (!current) bad(n, 'a choice before any "# File:" line');
    const cur = current as unknown as { path: string; line: number };
    if (choices.has(cur.path)) bad(n, `more than one choice left for ${cur.path}`);
    choices.set(cur.path, m![1].toUpperCase() as ConflictChoice);
  });
  finish();
  return choices;
}

/** `L=<key> C=<key> R=<key>` in this order; null when malformed. */
function parseState(text: string): RecordedState | null {
  const m = /^\s*L=(\S+)\s+C=(\S+)\s+R=(\S+)\s*$/.exec(text);
  return m ? { L: m[1], C: m[2], R: m[3] } : null;
}
