import { blame } from '../../api/blame.js';
import { formatBytes } from '../output.js';
import { printable } from '../printable.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO, file: string): Promise<number | void> {
  const r = await blame({ file });
  out.result(r);
  out.say(`${r.path}: ${r.events.length} change${r.events.length === 1 ? '' : 's'} in ${r.snapshots} snapshot${r.snapshots === 1 ? '' : 's'}${r.present ? '' : ' (not in the current snapshot)'}`);
  if (r.unavailable.length) out.say(`${r.unavailable.join(', ')}: no archived manifest (written by the Python dsg); changes in ${r.unavailable.length === 1 ? 'it are' : 'them are'} unknown.`);
  for (const e of r.events) {
    const what = e.entry === null ? '' : e.entry.type === 'file' ? `${e.entry.hash} ${formatBytes(e.entry.filesize)}` : `-> ${e.entry.reference}`;
    out.say(`${e.snapshot.padEnd(6)} ${e.change.padEnd(8)} ${e.created_at}  ${printable(e.user ?? '-').padEnd(24)} ${printable(what).padEnd(28)} ${printable(e.message || '(no message)')}`);
  }
}
