import type { Command } from 'commander';
import { validateSnapshot } from '../../api/validateSnapshot.js';
import { formatBytes } from '../output.js';
import { action, examples } from '../run.js';
import { printProblems, reportFailure } from './historyReport.js';

export function registerValidateSnapshot(program: Command): void {
  const cmd = program
    .command('validate-snapshot')
    .description("check a snapshot's manifest, hashes and record (and every file's content with --deep)")
    .requiredOption('-n, --snapshot <sN>', 'the snapshot, e.g. s3 (see "dsg log")')
    .option('--deep', "also stream every file's content from the repository and re-hash it")
    .action(
      action(async ({ out, progress }, o: { snapshot: string; deep?: boolean }) => {
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
      }),
    );
  examples(cmd, ['dsg validate-snapshot -n s3', 'dsg validate-snapshot -n s3 --deep --json']);
}
