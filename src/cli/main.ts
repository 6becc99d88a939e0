#!/usr/bin/env node
/**
 * The dsg command line: parses arguments and prints; all logic lives in the library (src/api).
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { WRITER_VERSION } from '../manifest/types.js';
import { printableLines } from './printable.js';
import { requestInterrupt } from '../protocol/steps.js';
import { releaseTerminal } from './progress.js';
import { printAbove } from './statusLine.js';
import { accumulateDirectory, action, examples, type CommandIO } from './run.js';
import { INSTALL_HELP, topicsHelpText } from './help.js';
import { TOPICS } from './topics.js';
import { errorDocument } from './output.js';
import { COLOR_MODES, paint } from './color.js';

/** --color, on the program and (like the other global flags) after any command name. */
const colorOption = (): Option => new Option('--color <when>', 'when to colour human output (auto: on a terminal, unless NO_COLOR is set or TERM=dumb)').choices(COLOR_MODES);

// --debug: stack traces name the TypeScript sources (the installed command is a bundle with source maps).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);

const program = new Command();
program
  .name('dsg')
  .description('Data versioning for research teams: atomic sync of data directories with a shared repository.')
  .version(WRITER_VERSION)
  .option('--json', 'print the result as one JSON document on stdout')
  .option('-q, --quiet', 'print nothing but errors')
  .option('-v, --verbose', 'print every file a command acts on')
  .option('--debug', 'show stack traces on errors')
  .addOption(colorOption())
  .option('--progress', 'show progress even with -q, or with --json (as JSON lines on stderr)')
  .option('--no-progress', 'show no progress at all')
  .option('-C, --directory <dir>', 'run as if dsg was started in <dir> (as git -C)', accumulateDirectory)
  .enablePositionalOptions(false)
  // dsg's own "help" command (below) also knows the help topics.
  .helpCommand(false)
  .exitOverride()
  // Usage errors in dsg's voice: the "dsg:" prefix of every error, a pointer to --help, and with
  // --json the same {schema: "dsg.error.v1", error: {code, message}} document on stdout as any other failure.
  // (Set before the commands are defined: they inherit it.)
  .configureOutput({
    outputError: (text, write) => {
      const message = `${text.replace(/^error: /, '').trim().replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)').replace(/\s*\n\s*/g, ' ')}. Run "dsg --help" (or "dsg <command> --help") for usage.`.replace(/\.\. Run/, '. Run');
      if (process.argv.includes('--json')) process.stdout.write(errorDocument('USAGE', message));
      write(`${paint('error', 'dsg:', 'stderr')} ${message}\n`);
    },
  })
  .addHelpText(
    'after',
    `
Examples:
  $ dsg init --name survey --mountpoint /srv/repos   # first working copy
  $ dsg clone                                         # another copy, in a folder holding .dsgconfig.yml
  $ dsg status
  $ dsg sync -m "wave 3 cleaned"
  $ dsg log -n 5
  $ dsg sync --no-progress -m "nightly" >> sync.log   # no progress lines in the log

Exit codes: 0 success, 1 failure, 2 usage error, 3 conflicts need resolution, 4 locked by another writer, 5 "status -q": sync has something to do, 130 interrupted.`,
  )
  .addHelpText('after', topicsHelpText());

/** --wait means the same everywhere a command takes the repository's write lock (docs/cli.md). */
function waitOption(): Option {
  return new Option('--wait <seconds>', "how long to wait for another writer's repository lock").default(300).argParser((value) => {
    const seconds = Number(value);
    if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new InvalidArgumentError('give a number of seconds, e.g. --wait 60 (0: do not wait).');
    return seconds;
  });
}

/** Old spellings kept working, out of --help (docs/cli.md, "Options that mean the same everywhere"). */
function oldSpelling(flags: string, now: string): Option {
  return new Option(flags, `old spelling of ${now}`).hideHelp();
}

// Each command's definition is here (its --help needs it); its module, and through it the
// library, zod, yaml, ssh2 and the native hashers, load only when it runs (P4).
examples(
  program
    .command('init')
    .description('create the repository from the working copy as snapshot s1')
    .option('-m, --message <text>', 'snapshot message', 'Initial snapshot')
    .option('--name <name>', 'project name (writes .dsgconfig.yml when none exists)')
    .option('--repo-type <type>', 'repository type: xfs (a POSIX directory) or zfs (a dataset <pool>/<name>)', 'xfs')
    .option('--pool <pool>', 'with --repo-type zfs: the pool or parent dataset holding the projects\' datasets')
    .option('--host <host>', 'repository host', 'localhost')
    .option('--mountpoint <dir>', 'directory that holds repositories (the repository is <dir>/<name>)')
    .option('--data-dirs <list>', 'comma-separated data directory names', 'input,output,frozen')
    .option('--normalize', 'rename invalid paths to a valid form (reported) instead of refusing')
    .option('--force', 'override the safety rails')
    .option('--dry-run', 'show what would be uploaded; write nothing at all')
    .addOption(waitOption())
    .action(action(() => import('./commands/init.js').then((m) => m.run))),
  [
    'dsg init                      # uses the .dsgconfig.yml in this folder',
    'dsg init --name survey --mountpoint /srv/repos -m "first import"',
    'dsg init --name survey --repo-type zfs --pool tank/repos --mountpoint /tank/repos',
    'dsg init --dry-run --json',
  ],
);
examples(
  program
    .command('clone')
    .description("fetch a repository's current snapshot and history: from a location into a new folder, or into this project folder (never writes to the repository)")
    .argument('[location]', 'the repository folder: a path, host:/path (SSH; host may be an alias of ~/.ssh/config) or ssh://host/path')
    .argument('[directory]', 'the folder to create (default: the repository\'s name); it must not exist or be empty')
    .option('--dest-path <dir>', 'without a location: the project folder holding .dsgconfig.yml (default: this one)')
    .action(action(() => import('./commands/clone.js').then((m) => m.run))),
  [
    'dsg clone fileserver:/srv/repos/survey          # into ./survey, .dsgconfig.yml written from the repository',
    'dsg clone /srv/repos/survey ~/work/survey-copy',
    'dsg clone ssh://fileserver/srv/repos/survey --json | jq .snapshot',
    'git clone server:lab/survey && cd survey && dsg clone   # the project folder holds .dsgconfig.yml already',
    'dsg clone --dest-path ~/work/survey',
  ],
);
examples(
  program
    .command('status')
    .description('show what sync would do: local changes, remote changes, conflicts')
    .argument('[paths...]', 'only entries at or under these files or folders (relative to the current folder)')
    .option('-s, --short', 'one line per path: a two-letter code, a space, the path (codes below)')
    .addHelpText(
      'after',
      `
--short codes: the first column is what changed here since the last sync, the second what changed
in the repository: A added, M modified, D deleted. A letter in both columns is a conflict.
  A   new locally               M   changed locally           D   deleted locally
   A  new on remote              M  changed on remote          D  deleted on remote
  AA  added on both sides, differently      MM  changed on both sides, differently
  MD  changed locally, deleted on remote    DM  deleted locally, changed on remote
Paths are relative to the current folder (--json: to the project root); a path holding a tab,
a quote, a backslash or an invisible character is quoted as a JSON string (as list-files --porcelain).

Exit codes: 0, or 3 when there are conflicts; with -q (prints nothing, like "git diff --quiet"):
0 nothing to sync, 5 sync has something to do, 3 conflicts, 1 error.`,
    )
    .action(action(() => import('./commands/status.js').then((m) => m.run))),
  ['dsg status', 'dsg status -s', 'dsg status input/wave3 output/model.csv', 'cd input && dsg status .', 'dsg status -q; [ $? -eq 5 ] && dsg sync -m "nightly"', 'dsg status --json | jq ".conflicts[].path"'],
);
examples(
  program
    .command('sync')
    .description('reconcile the working copy with the repository, atomically')
    .option('-m, --message <text>', 'snapshot message')
    .option('--dry-run', 'print the exact plan and change nothing')
    .option('--continue', 'apply the choices edited in conflicts.txt')
    .addOption(new Option('--prefer <side>', 'resolve every conflict in this run: local, remote, or newer (the later mtime; a deletion never wins over an edit); the losing local version is kept as a backup').choices(['local', 'remote', 'newer']))
    .option('--normalize', 'rename invalid paths to a valid form (reported) instead of refusing')
    .option('--force', 'override the safety rails (empty scan, mass deletion)')
    .addOption(waitOption())
    .action(action(() => import('./commands/sync.js').then((m) => m.run))),
  ['dsg sync -m "add wave 3 survey"', 'dsg sync --dry-run', 'dsg sync --prefer remote    # in a script: the repository wins every conflict', 'dsg sync --json | jq .snapshot'],
);
examples(
  program
    .command('list-files')
    .description('tracked files with size, hash, user and mtime')
    .option('--path <dir>', 'only files under this folder (relative to the project root)')
    .option('--all', 'also list ignored and skipped files')
    .option('--porcelain', 'one tab-separated line per entry: type, size in bytes, hash, mtime, user, path (, link target)')
    .option('-0, --null', 'like --porcelain, each record ending in a NUL instead of a newline (paths unquoted)')
    .action(action(() => import('./commands/listFiles.js').then((m) => m.run))),
  ['dsg list-files', 'dsg list-files --path task1/input --json', 'dsg list-files --all', 'dsg list-files --porcelain | cut -f2,6', 'dsg list-files -0 | xargs -0 -n1 printf "%s\\n"'],
);
examples(
  program
    .command('log')
    .description("the repository's snapshots, newest first")
    .option('-n, --max-count <n>', 'show at most n snapshots')
    .option('--since <date>', 'only snapshots at or after this date (e.g. 2025-06-01)')
    .option('--author <text>', 'only snapshots by users matching this text')
    .action(action(() => import('./commands/log.js').then((m) => m.run))),
  ['dsg log -n 5', 'dsg log --author ana --since 2025-06-01', 'dsg log --json | jq -r ".snapshots[].id"'],
);
examples(
  program
    .command('recover')
    .description('finish or undo an interrupted sync on both sides (also automatic before other commands)')
    .addOption(waitOption())
    .option('--break-lock', 'first remove the repository lock (.dsg/lock.json), when its holder is really gone')
    .action(action(() => import('./commands/recover.js').then((m) => m.run))),
  ['dsg recover', 'dsg recover --json', 'dsg recover --break-lock'],
);
examples(
  program
    .command('blame <file>')
    .description('snapshots where FILE was added, modified or deleted, and by whom')
    .action(action(() => import('./commands/blame.js').then((m) => m.run))),
  ['dsg blame input/survey.csv', 'cd input && dsg blame survey.csv', 'dsg blame input/survey.csv --json'],
);
examples(
  program
    .command('snapfetch <file>')
    .description('write FILE exactly as it was in snapshot sN (verified)')
    .requiredOption('-n, --snapshot <sN>', 'the snapshot, e.g. s3 or latest (see "dsg log")')
    .option('-o, --output <out>', 'where to write it ("-" for standard output); default <file name>.<sN> in the current folder')
    .option('--overwrite', 'replace the output file when it exists')
    .addOption(oldSpelling('--force', '--overwrite'))
    .action(action(() => import('./commands/snapfetch.js').then((m) => m.run))),
  ['dsg snapfetch input/survey.csv -n s1', 'dsg snapfetch input/survey.csv -n s1 --overwrite', 'dsg snapfetch input/survey.csv -n 2 -o /tmp/survey-v2.csv', 'dsg snapfetch input/survey.csv -n s1 -o - | head'],
);
const car = program
  .command('car')
  .description('CAR files (the standard IPFS archive) of an IPFS repository\'s snapshots')
  // "dsg help car export", as for every command: no second help command.
  .helpCommand(false);
examples(
  car
    .command('export <file>')
    .description('write a snapshot (its data and the manifests up to it) as a CAR file any IPFS node can import or pin')
    .option('-n, --snapshot <sN>', 'the snapshot, e.g. s3 or latest; default the current one')
    .option('--overwrite', 'replace the output file when it exists')
    .addOption(oldSpelling('--force', '--overwrite'))
    .action(action(() => import('./commands/car.js').then((m) => m.runExport))),
  ['dsg car export survey-s3.car -n s3', 'dsg car export latest.car && ipfs dag import latest.car'],
);
examples(
  car
    .command('import <file>')
    .description('put a CAR file exported by "dsg car export" into this project\'s blockstore and name its snapshot')
    .action(action(() => import('./commands/car.js').then((m) => m.runImport))),
  ['dsg car import survey-s3.car', 'dsg car import survey-s3.car --json'],
);
examples(
  program
    .command('snapmount')
    .description('make snapshot sN browsable, read-only (ZFS: mounts @sN; other repositories: a verified copy)')
    .argument('[dir]', 'an empty or new folder outside the working copy; default <project folder>-snapshot-<sN> beside the project')
    .requiredOption('-n, --snapshot <sN>', 'the snapshot, e.g. s3 or latest (see "dsg log")')
    .addOption(oldSpelling('--mountpoint <dir>', 'the [dir] argument'))
    .action(action(() => import('./commands/snapmount.js').then((m) => m.run))),
  ['dsg snapmount -n s2', 'dsg snapmount -n s2 ../proj-s2', 'dsg snapunmount ../proj-s2'],
);
examples(
  program
    .command('snapunmount')
    .description('unmount a snapshot that snapmount mounted (ZFS repositories)')
    .argument('<dir>', 'the folder snapmount mounted the snapshot at')
    .action(action(() => import('./commands/snapmount.js').then((m) => m.runUnmount))),
  ['dsg snapunmount ../proj-snapshot-s2'],
);
examples(
  program
    .command('validate-config')
    .description('check .dsgconfig.yml and dsg.yml and show what they say')
    .action(action(() => import('./commands/validateConfig.js').then((m) => m.run))),
  ['dsg validate-config', 'dsg validate-config --json'],
);
examples(
  program
    .command('validate-file <file>')
    .description("recompute FILE's hash and compare it with the last sync and the repository")
    .action(action(() => import('./commands/validateFile.js').then((m) => m.run))),
  ['dsg validate-file input/survey.csv', 'dsg validate-file survey.csv --json'],
);
examples(
  program
    .command('validate-snapshot')
    .description("check a snapshot's manifest, hashes and record (and every file's content with --deep)")
    .requiredOption('-n, --snapshot <sN>', 'the snapshot, e.g. s3 or latest (see "dsg log")')
    .option('--deep', "also stream every file's content from the repository and re-hash it")
    .action(action(() => import('./commands/validateSnapshot.js').then((m) => m.run))),
  ['dsg validate-snapshot -n s3', 'dsg validate-snapshot -n s3 --deep --json'],
);
examples(
  program
    .command('validate-chain')
    .description('check every snapshot, its archive and its link and hash to the one before')
    .option('--deep', 'also stream every content any snapshot refers to and re-hash it')
    .action(action(() => import('./commands/validateChain.js').then((m) => m.run))),
  ['dsg validate-chain', 'dsg validate-chain --deep', 'dsg validate-chain --json | jq .problems'],
);
examples(
  program
    .command('clean')
    .description("list (or with --apply remove) dsg's leftovers: temp files, orphaned staging, conflict backups with --backups")
    .option('--backups', 'also conflict backups (<name>~YYYYMMDDTHHMMSS±HHMM~)')
    .option('--apply', 'remove them (without it nothing is touched)')
    .action(action(() => import('./commands/clean.js').then((m) => m.run))),
  ['dsg clean', 'dsg clean --backups', 'dsg clean --backups --apply'],
);
examples(
  program
    .command('list-repos')
    .description('repositories under the configured default host and path')
    .action(action(() => import('./commands/listRepos.js').then((m) => m.run))),
  ['dsg list-repos', 'dsg list-repos --json'],
);
examples(
  program
    .command('help')
    .description(`show help for a command, or a help topic (${TOPICS.map((t) => t.name).join(', ')})`)
    .argument('[name...]', 'a command ("sync", "car export") or a topic')
    .action(action(() => import('./help.js').then((m) => (io: CommandIO, name: string[]) => m.run(io, program, name)))),
  ['dsg help', 'dsg help sync', 'dsg help conflicts', 'COLUMNS=60 dsg help states'],
);
examples(
  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', () => INSTALL_HELP)
    .action(action(() => import('./completion.js').then((m) => (io: CommandIO, shell: 'bash' | 'zsh' | 'fish') => m.run(io, program, shell)))),
  ['dsg completion bash > ~/.local/share/bash-completion/completions/dsg', 'source <(dsg completion bash)'],
);
// The man page (npm run build writes it to man/dsg.1): hidden, as users read it with "man dsg".
program
  .command('manpage', { hidden: true })
  .description('print the man page dsg(1) (roff)')
  .action(
    action(() =>
      import('./man.js').then((m) => async () => {
        process.stdout.write(m.manPage(program));
      }),
    ),
  );

// (car's subcommands too: "dsg car export x.car --json" shows --json in its --help.)
for (const cmd of [...program.commands, ...car.commands]) {
  cmd.exitOverride();
  // Global flags are accepted after the command name too: "dsg status --json".
  cmd.option('--json', 'print the result as one JSON document on stdout').option('-q, --quiet', 'print nothing but errors').option('-v, --verbose', 'print every file a command acts on').option('--debug', 'show stack traces on errors');
  cmd.addOption(colorOption());
  cmd.option('--progress', 'show progress even with -q, or with --json (as JSON lines on stderr)').option('--no-progress', 'show no progress at all');
}

// Ctrl-C / SIGTERM: a running sync stops at its next step (rolled back before the commit point,
// finished after it) and releases the lock; with nothing running, or on a second signal, exit
// at once (a sync stopped that way is recovered by the next command, as after a kill).
let signals = 0;
function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1 && requestInterrupt(signal)) {
    // Above the progress bar, which goes on until that point: the message is not overwritten.
    printAbove(process.stderr, `\ndsg: ${signal}: stopping at the next safe point (what is not committed is rolled back, the lock released); press Ctrl-C again to stop at once.\n`);
    return;
  }
  releaseTerminal();
  process.stderr.write(`\ndsg: interrupted (${signal})${signals > 1 ? '; a sync stopped here is recovered by the next dsg command ("dsg recover")' : ''}.\n`);
  process.exit(130);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// The progress bar hides the cursor: whatever way dsg ends, clear the bar and show it again.
process.on('exit', releaseTerminal);

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
    process.stderr.write(`${paint('error', 'dsg:', 'stderr')} internal error: ${printableLines((err as Error).message)}\n`);
    process.exitCode = 1;
  }
}
