import { validateChain } from '../../api/validateChain.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';
import { printNotes, printProblems, reportFailure } from './historyReport.js';

export async function run({ out, progress }: CommandIO, o: { deep?: boolean }): Promise<number | void> {
  const r = await validateChain({ deep: o.deep, progress });
  out.result(r);
  if (r.recoveryError) out.warn(`the automatic recovery of an interrupted sync failed (${r.recoveryError}); checked the repository as it is.`);
  const range = r.snapshots.length ? `${r.snapshots[0]}…${r.snapshots[r.snapshots.length - 1]}` : 'no snapshots';
  const content = r.deep ? `; ${r.contentsChecked} contents (${formatBytes(r.bytesChecked)}) re-hashed` : '';
  if (r.ok && r.notes.length === 0) {
    out.say(`History intact: ${range}, every archive, link and hash verified${content}.`);
    return 0;
  }
  if (r.ok) {
    out.say(`History intact: ${range}, every link and hash verified${content}; ${r.notes.length} snapshot${r.notes.length === 1 ? ' has' : 's have'} no archived manifest:`);
    printNotes(out, r.notes);
    return 0;
  }
  out.say(`History ${range} has ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${content}:`);
  printProblems(out, r.problems);
  if (r.notes.length) out.say('Not problems:');
  printNotes(out, r.notes);
  reportFailure('validate-chain', r.problems);
  return 1;
}
