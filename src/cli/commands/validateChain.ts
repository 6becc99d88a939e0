import type { Command } from 'commander';
import { validateChain } from '../../api/validateChain.js';
import { formatBytes } from '../output.js';
import { action, examples } from '../run.js';
import { printNotes, printProblems, reportFailure } from './historyReport.js';

export function registerValidateChain(program: Command): void {
  const cmd = program
    .command('validate-chain')
    .description('check every snapshot, its archive and its link and hash to the one before')
    .option('--deep', 'also stream every content any snapshot refers to and re-hash it')
    .action(
      action(async ({ out, progress }, o: { deep?: boolean }) => {
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
      }),
    );
  examples(cmd, ['dsg validate-chain', 'dsg validate-chain --deep', 'dsg validate-chain --json | jq .problems']);
}
