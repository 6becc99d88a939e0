import { relative, posix, sep } from 'node:path';
import { status, type StatusResult, type StatusRow } from '../../api/status.js';
import { findProjectRoot } from '../../config/projectConfig.js';
import { DsgError } from '../../errors/DsgError.js';
import type { SyncState } from '../../sync/states.js';
import { paint, type Style } from '../color.js';
import { terminalWidth } from '../output.js';
import { porcelainField, printable } from '../printable.js';
import type { CommandIO } from '../run.js';

/** `status -q`: sync has something to do (and nothing conflicts: that is 3), like `git diff --quiet`'s 1. */
export const EXIT_SYNC_PENDING = 5;

/**
 * `status --short`: two columns, what changed here since the last sync, then what changed in the
 * repository (A added, M modified, D deleted); a letter in both columns is a conflict. States
 * status never lists (nothing to do, or a cache refresh only) have no code.
 */
const SHORT_CODE: Record<SyncState, string> = {
  local_added: 'A ',
  local_changed: 'M ',
  local_deleted: 'D ',
  remote_added: ' A',
  remote_changed: ' M',
  remote_deleted: ' D',
  conflict_added_both_differ: 'AA',
  conflict_all_differ: 'MM',
  conflict_local_changed_remote_deleted: 'MD',
  conflict_local_deleted_remote_changed: 'DM',
  unchanged: '',
  both_changed_equal: '',
  added_both_equal: '',
  gone_both: '',
};

interface Group {
  title: string;
  rows: StatusRow[];
  style: Style;
}

export async function run({ out, flags, progress }: CommandIO, paths: string[], o: { short?: boolean }): Promise<number | void> {
  if (o.short && flags.json) throw new DsgError('USAGE', 'status: --short and --json are two machine-readable forms; use one of them.', { exitCode: 2 });
  const s = await status({ onNotice: (m) => out.warn(m), paths, progress });
  out.result(s);
  const show = displayPath();
  const groups: Group[] = [
    { title: 'Local changes (sync uploads or deletes on the remote)', rows: s.localChanges, style: 'local' },
    { title: 'Remote changes (sync downloads or deletes locally)', rows: s.remoteChanges, style: 'remote' },
    { title: 'Conflicts (block the sync)', rows: s.conflicts, style: 'conflict' },
  ];
  if (o.short) printShort(out, groups, show);
  else printLong(out, s, groups, show, paths);
  for (const p of s.invalid) out.warn(`invalid path ${show(p.path)}: ${p.reason} (sync refuses it; --normalize renames it)`);
  for (const k of s.skipped) out.warn(`not tracked: ${show(k.path)} (${k.reason})`);
  for (const g of s.caseCollisions) out.warn(`paths differ only in case (they collide on macOS/Windows): ${g.map(show).join(', ')}`);
  if (s.conflicts.length > 0) return 3;
  return flags.quiet && !s.upToDate ? EXIT_SYNC_PENDING : 0;
}

/** One line per path, sorted by path: the code, a space, the path (quoted like list-files --porcelain). */
function printShort(out: CommandIO['out'], groups: Group[], show: (p: string) => string): void {
  const lines = groups.flatMap((g) => g.rows.map((r) => ({ path: r.path, text: `${paint(g.style, SHORT_CODE[r.state])} ${porcelainField(show(r.path))}` })));
  lines.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const l of lines) out.sayFormatted(l.text);
}

function printLong(out: CommandIO['out'], s: StatusResult, groups: Group[], show: (p: string) => string, paths: string[]): void {
  out.say(`Repository at ${s.snapshot ?? 'no snapshot'}; this working copy last synced ${s.cacheSnapshot ?? 'never'}.`);
  // One description column for all groups, as wide as the longest description shown.
  const column = Math.max(0, ...groups.flatMap((g) => g.rows.map((r) => r.description.length)));
  const width = terminalWidth();
  for (const g of groups) {
    if (g.rows.length === 0) continue;
    out.say(`\n${g.title}:`);
    for (const r of g.rows) for (const line of rowLines(r.description, printable(show(r.path)), column, width)) out.sayFormatted(paint(g.style, line));
  }
  if (s.outside > 0 && paths.length === 0) out.say(`\n${s.outside} file(s) outside your data dirs (tracked by teammates; left alone)`);
  if (s.cacheOnly.length > 0) out.detail(`\n${s.cacheOnly.length} path(s) identical on both sides (cache refresh only)`);
  const counts = [plural(s.summary.localChanges, 'local change'), plural(s.summary.remoteChanges, 'remote change'), plural(s.summary.conflicts, 'conflict')].filter((x) => x !== null);
  if (counts.length > 0) out.say(`\n${counts.join(', ')}`);
  else if (s.upToDate) out.say(paths.length === 0 ? '\nEverything up to date.' : `\nNothing to sync under ${paths.join(', ')}.`);
  else out.say('\nNo file changes; sync will refresh the local cache.');
}

/**
 * A row as "  description  path", within `width` columns when it can be: a path that would
 * overflow goes whole on a line of its own below its description (never cut: it must stay
 * copyable; a path longer than the terminal wraps there).
 */
function rowLines(description: string, path: string, column: number, width: number): string[] {
  if (2 + column + 1 + path.length <= width) return [`  ${description.padEnd(column)} ${path}`];
  return [`  ${description}`, `      ${path}`];
}

function plural(n: number, word: string): string | null {
  return n === 0 ? null : `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Human output names paths relative to the current folder, as git does ("../output/x.csv" from
 * input/); --json keeps them relative to the project root.
 */
function displayPath(): (path: string) => string {
  const cwd = process.cwd();
  const root = findProjectRoot(cwd);
  const here = root === null ? '' : relative(root, cwd).split(sep).join('/');
  if (here === '') return (p) => p;
  return (p) => posix.relative(`/${here}`, `/${p}`);
}
