import { clean } from '../../api/clean.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO, o: { backups?: boolean; apply?: boolean }): Promise<number | void> {
  const r = await clean({ backups: o.backups, apply: o.apply });
  out.result(r);
  for (const i of r.items) out.say(`${formatBytes(i.bytes).padStart(10)}  ${i.kind.padEnd(15)} ${i.path}${i.directory ? '/' : ''}`);
  for (const k of r.kept) out.detail(`      kept  ${k.path} (transaction ${k.txId} has a journal; "dsg recover" deals with it)`);
  if (r.items.length === 0) out.say('Nothing to clean.');
  else if (r.applied) out.say(`Removed ${r.items.length} item${r.items.length === 1 ? '' : 's'} (${formatBytes(r.bytes)}).`);
  else out.say(`${r.items.length} item${r.items.length === 1 ? '' : 's'} (${formatBytes(r.bytes)}) would be removed; run "dsg clean${o.backups ? ' --backups' : ''} --apply" to remove them.`);
}
