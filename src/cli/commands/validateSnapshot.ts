import { validateSnapshot } from '../../api/validateSnapshot.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';
import { printProblems, reportFailure } from './historyReport.js';

export async function run({ out, progress }: CommandIO, o: { snapshot: string; deep?: boolean }): Promise<number | void> {
  const r = await validateSnapshot({ snapshot: o.snapshot, deep: o.deep, progress });
  out.result(r);
  if (r.recoveryError) out.warn(`the automatic recovery of an interrupted sync failed (${r.recoveryError}); checked the repository as it is.`);
  const content = r.deep ? `; ${r.contentsChecked} contents (${formatBytes(r.bytesChecked)}) re-hashed` : '';
  if (r.ok) {
    out.say(`Snapshot ${r.snapshot} is intact: ${r.entries} entries, manifest and record verified${content}.`);
    return 0;
  }
  out.say(`Snapshot ${r.snapshot} has ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${content}:`);
  printProblems(out, r.problems);
  reportFailure(`snapshot ${r.snapshot}`, r.problems);
  return 1;
}
