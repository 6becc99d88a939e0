#!/usr/bin/env node
/**
 * The dsg command line: parses arguments and prints; all logic lives in the library (src/api).
 */
import { Command, CommanderError } from 'commander';
import { WRITER_VERSION } from '../manifest/types.js';
import { printableLines } from './printable.js';
import { registerClone } from './commands/clone.js';
import { registerInit } from './commands/init.js';
import { registerListFiles } from './commands/listFiles.js';
import { registerLog } from './commands/log.js';
import { registerRecover } from './commands/recover.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerBlame } from './commands/blame.js';
import { registerClean } from './commands/clean.js';
import { registerListRepos } from './commands/listRepos.js';
import { registerSnapfetch } from './commands/snapfetch.js';
import { registerSnapmount } from './commands/snapmount.js';
import { registerValidateChain } from './commands/validateChain.js';
import { registerValidateConfig } from './commands/validateConfig.js';
import { registerValidateFile } from './commands/validateFile.js';
import { registerValidateSnapshot } from './commands/validateSnapshot.js';

const program = new Command();
program
  .name('dsg')
  .description('Data versioning for research teams: atomic sync of data directories with a shared repository.')
  .version(WRITER_VERSION)
  .option('--json', 'print the result as one JSON document on stdout')
  .option('-q, --quiet', 'print nothing but errors')
  .option('-v, --verbose', 'print every file a command acts on')
  .option('--debug', 'show stack traces on errors')
  .enablePositionalOptions(false)
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  $ dsg init --name survey --mountpoint /srv/repos   # first working copy
  $ dsg clone                                         # another copy, in a folder holding .dsgconfig.yml
  $ dsg status
  $ dsg sync -m "wave 3 cleaned"
  $ dsg log -n 5

Exit codes: 0 success, 1 failure, 2 usage error, 3 conflicts need resolution, 4 locked by another writer, 130 interrupted.`,
  );

registerInit(program);
registerClone(program);
registerStatus(program);
registerSync(program);
registerListFiles(program);
registerLog(program);
registerRecover(program);
registerBlame(program);
registerSnapfetch(program);
registerSnapmount(program);
registerValidateConfig(program);
registerValidateFile(program);
registerValidateSnapshot(program);
registerValidateChain(program);
registerClean(program);
registerListRepos(program);

for (const cmd of program.commands) {
  cmd.exitOverride();
  // Global flags are accepted after the command name too: "dsg status --json".
  cmd.option('--json', 'print the result as one JSON document on stdout').option('-q, --quiet', 'print nothing but errors').option('-v, --verbose', 'print every file a command acts on').option('--debug', 'show stack traces on errors');
}

process.on('SIGINT', () => process.exit(130));

// A reader that exits early (`dsg log | head -1`) closes the pipe. Stop quietly with the status
// git gets there (killed by SIGPIPE: 141 as the shell shows it); Node ignores SIGPIPE itself.
const EXIT_BROKEN_PIPE = 141;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw err;
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here with exit code 0; usage mistakes with 2.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`dsg: internal error: ${printableLines((err as Error).message)}\n`);
    process.exitCode = 1;
  }
}
