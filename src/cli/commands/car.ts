import { carExport, carImport } from '../../api/car.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';

export async function runExport({ out }: CommandIO, file: string, o: { snapshot?: string; overwrite?: boolean; force?: boolean }): Promise<void> {
  const r = await carExport({ out: file, snapshot: o.snapshot, force: o.overwrite || o.force });
  out.result(r);
  out.say(`Exported ${r.snapshot} to ${r.out}: ${r.objects} objects, ${r.blocks} blocks (${formatBytes(r.bytes)}), root ${r.root}.`);
}

export async function runImport({ out }: CommandIO, file: string): Promise<void> {
  const r = await carImport({ file });
  out.result(r);
  const snaps = r.snapshots.length === 0 ? 'no snapshot' : r.snapshots.length === 1 ? r.snapshots[0] : `${r.snapshots[0]}…${r.snapshots[r.snapshots.length - 1]}`;
  out.say(`Imported ${r.file}: ${r.blocks} blocks, ${r.named} keys named, ${snaps} (root ${r.root}).`);
}
