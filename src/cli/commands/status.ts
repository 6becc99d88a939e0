import { status, type StatusRow } from '../../api/status.js';
import type { CommandIO } from '../run.js';

export async function run({ out, progress }: CommandIO): Promise<number | void> {
  const s = await status({ onNotice: (m) => out.warn(m), progress });
  out.result(s);
  out.say(`Repository at ${s.snapshot ?? 'no snapshot'}; this working copy last synced ${s.cacheSnapshot ?? 'never'}.`);
  const group = (title: string, rows: StatusRow[]): void => {
    if (rows.length === 0) return;
    out.say(`\n${title}:`);
    for (const r of rows) out.say(`  ${r.description.padEnd(36)} ${r.path}`);
  };
  group('Local changes (sync uploads or deletes on the remote)', s.localChanges);
  group('Remote changes (sync downloads or deletes locally)', s.remoteChanges);
  group('Conflicts (block the sync)', s.conflicts);
  if (s.outside > 0) out.say(`\n${s.outside} file(s) outside your data dirs (tracked by teammates; left alone)`);
  if (s.cacheOnly.length > 0) out.detail(`\n${s.cacheOnly.length} path(s) identical on both sides (cache refresh only)`);
  for (const p of s.invalid) out.warn(`invalid path ${p.path}: ${p.reason} (sync refuses it; --normalize renames it)`);
  for (const k of s.skipped) out.warn(`not tracked: ${k.path} (${k.reason})`);
  for (const g of s.caseCollisions) out.warn(`paths differ only in case (they collide on macOS/Windows): ${g.join(', ')}`);
  if (s.upToDate) out.say('\nEverything up to date.');
  else if (s.localChanges.length + s.remoteChanges.length + s.conflicts.length === 0) out.say('\nNo file changes; sync will refresh the local cache.');
  return s.conflicts.length > 0 ? 3 : 0;
}
