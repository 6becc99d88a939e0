import { listFiles } from '../../api/listFiles.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO, o: { path?: string; all?: boolean }): Promise<number | void> {
  const r = await listFiles({ path: o.path, all: o.all });
  out.result(r);
  for (const e of r.files) {
    if (e.type === 'file') out.say(`${formatBytes(e.filesize).padStart(10)}  ${e.hash}  ${e.mtime}  ${e.user.padEnd(22)} ${e.path}`);
    else out.say(`${'link'.padStart(10)}  ${''.padEnd(16)}  ${''.padEnd(25)}  ${e.user.padEnd(22)} ${e.path} -> ${e.reference}`);
  }
  for (const p of r.ignored ?? []) out.say(`   ignored  ${p}`);
  for (const s of r.skipped ?? []) out.say(`   skipped  ${s.path} (${s.reason})`);
}
