import { log } from '../../api/log.js';
import { DsgError } from '../../errors/DsgError.js';
import { printable } from '../printable.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO, o: { maxCount?: string; since?: string; author?: string }): Promise<number | void> {
  const limit = o.maxCount === undefined ? undefined : Number(o.maxCount);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new DsgError('USAGE', `log: -n takes a whole number, not "${o.maxCount}".`, { exitCode: 2 });
  if (o.since !== undefined && Number.isNaN(Date.parse(o.since))) throw new DsgError('USAGE', `log: --since takes a date like 2025-06-01, not "${o.since}".`, { exitCode: 2 });
  const entries = await log({ limit, since: o.since, author: o.author });
  out.result(entries, 'snapshots');
  for (const e of entries) out.say(`${e.id.padEnd(6)} ${e.created_at}  ${printable(e.user ?? '-').padEnd(24)} ${String(e.files).padStart(7)} files  ${printable(e.message || '(no message)')}`);
  // -n 0 asks for nothing (as git log -n 0); filters that match nothing say so.
  if (entries.length === 0 && limit !== 0) out.say(o.since !== undefined || o.author !== undefined ? 'No snapshots match.' : 'No snapshots.');
}
