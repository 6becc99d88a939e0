import { sync } from '../../api/sync.js';
import type { SyncOutcome } from '../../api/sync.js';
import { DsgError } from '../../errors/DsgError.js';
import type { Preference } from '../../sync/resolve.js';
import { STATE_DESCRIPTION } from '../../sync/states.js';
import { formatBytes, type Output } from '../output.js';
import type { CommandIO } from '../run.js';
import type { FileAction } from '../../transaction/Transaction.js';
import { printable } from '../printable.js';

/** -v: each path as the transaction acts on it, not after (shared by sync, init and clone). */
export function fileLister(out: Output): (action: FileAction, path: string) => void {
  const label: Record<FileAction, string> = { upload: 'upload  ', download: 'download', 'delete on remote': 'delete on remote', 'delete locally': 'delete locally  ' };
  return (action, path) => out.detail(`  ${label[action]} ${printable(path)}`);
}

/** Human summary of a transaction result (shared by sync, init and clone; -v listed the paths as they went). */
export function printTransaction(out: Output, r: SyncOutcome, kind: 'sync' | 'clone' = 'sync', into?: string): void {
  const cloned = `Cloned ${r.previousSnapshot ?? 'an empty repository'}${into ? ` into ${into}` : ''}`;
  for (const rn of r.renamed) out.say(`renamed ${rn.from} -> ${rn.to}`);
  for (const s of r.skipped) out.warn(`not tracked: ${s.path} (${s.reason})`);
  const backupOf = new Map(r.backups.map((b) => [b.path, b.backup]));
  for (const c of r.resolved) {
    const backup = backupOf.get(c.path);
    out.say(`${r.dryRun ? 'would resolve' : 'resolved'} ${c.path}: use ${c.action}${backup ? ` (your version kept as ${backup})` : ''}`);
  }
  if (r.dryRun) {
    out.say(r.rows.length === 0 ? 'Dry run: everything up to date, nothing would change.' : 'Dry run: this is what sync would do (nothing was changed):');
    for (const row of r.rows) out.say(`  ${row.action.padEnd(14)} ${row.path}  (${STATE_DESCRIPTION[row.state]})`);
    return;
  }
  if (r.upToDate) {
    out.say(kind === 'clone' ? `${cloned}: every file was here already.` : 'Everything up to date.');
    return;
  }
  const parts = [
    `${r.uploaded.length} uploaded (${formatBytes(r.bytesUp)})`,
    `${r.downloaded.length} downloaded (${formatBytes(r.bytesDown)})`,
    `${r.deletedRemote.length} deleted on remote`,
    `${r.deletedLocal.length} deleted locally`,
  ];
  if (kind === 'clone') out.say(`${cloned}: ${r.downloaded.length} file${r.downloaded.length === 1 ? "" : "s"} downloaded (${formatBytes(r.bytesDown)}).`);
  else out.say(r.snapshot ? `Snapshot ${r.snapshot} created: ${parts.join(', ')}.` : `No new snapshot (nothing to upload): ${parts.join(', ')}.`);
  for (const p of r.keptLocal) out.warn(`${p} changed while the sync ran; your version was kept and will show as a conflict`);
}

export async function run({ out, progress }: CommandIO, opts: { message?: string; dryRun?: boolean; continue?: boolean; prefer?: Preference; normalize?: boolean; force?: boolean; wait: string }): Promise<number | void> {
  const wait = Number(opts.wait);
  if (!Number.isFinite(wait) || wait < 0) throw new DsgError('USAGE', `sync: --wait takes a number of seconds, not "${opts.wait}".`, { exitCode: 2 });
  const r = await sync({ continue: opts.continue, prefer: opts.prefer, message: opts.message, dryRun: opts.dryRun, force: opts.force, normalize: opts.normalize, progress, wait, onNotice: (m) => out.warn(m), onFile: fileLister(out) });
  out.result(r);
  printTransaction(out, r);
}
