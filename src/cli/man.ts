/**
 * The man page dsg(1), generated from the program definition and the help topics, so it names
 * exactly the commands and options this dsg has. `npm run build` writes it to man/dsg.1
 * (scripts/man.mjs, through the hidden command `dsg manpage`).
 */
import type { Command } from 'commander';
import { WRITER_VERSION } from '../manifest/types.js';
import { allCommands, describeProgram, globalOptions, type CommandSpec, type OptionSpec } from './describe.js';
import { topicBlocks, TOPICS } from './topics.js';

/** Text as roff: backslashes and non-ASCII escaped, no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .replace(/^([.'])/gm, '\\&$1');
}

function optionItem(o: OptionSpec): string {
  const flags = [o.short, o.long].filter(Boolean).map((n) => `\\fB${roff(n!)}\\fR`).join(', ');
  const value = o.value ? ` \\fI${roff(o.value.name)}\\fR` : '';
  const fallback = o.defaultValue === undefined || o.defaultValue === false ? '' : ` (default: ${roff(String(o.defaultValue))})`;
  return `.TP\n${flags}${value}\n${roff(o.description)}${fallback}`;
}

function commandSection(c: CommandSpec): string {
  const options = c.options.filter((o) => !o.hidden);
  const lines = [`.SS "${roff(['dsg', ...c.path].join(' '))} ${roff(c.usage)}"`, roff(c.description)];
  if (options.length) lines.push('.RS', ...options.map(optionItem), '.RE');
  return lines.join('\n');
}

function topicSection(name: string, text: string): string {
  const lines = [`.SS ${name}`];
  for (const b of topicBlocks(text)) {
    if (b.kind === 'verbatim') lines.push('.PP', '.nf', '.RS 4', ...b.lines.map((l) => roff(l.replace(/^ {2}/, ''))), '.RE', '.fi');
    else if (b.kind === 'item') lines.push('.IP \\(bu 2', roff(b.text));
    else lines.push('.PP', roff(b.text));
  }
  return lines.join('\n');
}

function definitions(rows: readonly (readonly [string, string])[]): string {
  return rows.map(([term, meaning]) => `.TP\n\\fB${roff(term)}\\fR\n${roff(meaning)}`).join('\n');
}

const EXIT_CODES = [
  ['0', 'success'],
  ['1', 'failure (the message says what failed and what to do)'],
  ['2', 'usage error: an unknown command or option, or a bad value'],
  ['3', 'conflicts need resolution (see conflicts.txt and "dsg help conflicts")'],
  ['4', 'the repository or the working copy is locked by another writer'],
  ['5', 'dsg status -q: sync has something to do'],
  ['130', 'interrupted (Ctrl-C, SIGTERM): rolled back, or finished first, as the message says'],
  ['141', 'the output pipe was closed by its reader (dsg log | head -1), as git'],
] as const;

const ENVIRONMENT = [
  ['DSG_CONFIG_HOME', 'a folder whose dsg.yml is read last, overriding the other user configs'],
  ['XDG_CONFIG_HOME', 'when set, $XDG_CONFIG_HOME/dsg/dsg.yml is read too'],
  ['DSG_IPFS_PASSPHRASE', 'the passphrase of an encrypted IPFS repository (before ipfs.passphrase_file of dsg.yml)'],
  ['AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION', 'credentials and region of S3 repositories (the standard AWS chain)'],
  ['SSH_AUTH_SOCK', 'the SSH agent, the first source of keys for repositories on other hosts'],
  ['NO_COLOR', 'when set to anything but the empty string, no colour in the output (as does TERM=dumb); --color always overrides it'],
  ['COLUMNS', 'the width help topics are wrapped to when the output is not a terminal (default 80)'],
  ['DSG_SCAN_THREADS', '1 keeps the scan of the working copy on one thread'],
] as const;

const FILES = [
  ['.dsgconfig.yml', "the project config, in the project's root folder (dsg help config)"],
  ['/etc/dsg/dsg.yml, ~/.config/dsg/dsg.yml', 'user configs, read in this order with $XDG_CONFIG_HOME/dsg/dsg.yml and $DSG_CONFIG_HOME/dsg.yml; later keys override earlier ones'],
  ['conflicts.txt', 'written in the project root when a sync finds conflicts; edit it and run dsg sync --continue'],
  ['.dsg/', "the working copy's cache: last-sync.json (the last synced snapshot), index, archive/, the journal of a sync in progress"],
  ['~/.ssh/config, ~/.ssh/known_hosts', 'how hosts are reached, and their keys (dsg help backends)'],
] as const;

export function manPage(program: Command): string {
  const spec = describeProgram(program);
  const commands = allCommands(spec).filter((c) => c.path.length > 0);
  const examples = commands.flatMap((c) => c.examples);
  return `.\\" dsg(1), generated from the program definition by "dsg manpage"; do not edit.
.TH DSG 1 "" "dsg ${WRITER_VERSION}" "User Commands"
.SH NAME
dsg \\- ${roff(spec.description.replace(/\.$/, ''))}
.SH SYNOPSIS
.B dsg
[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]
.br
.B dsg help
[\\fIcommand\\fR | \\fItopic\\fR]
.SH DESCRIPTION
${roff(spec.description)}
.PP
Each project's data directories (by default any folder named input, output or frozen, at any depth) are synced between each person's working copy and one shared repository, with a numbered history of snapshots s1, s2, ... Every sync is atomic: stopped at any instant, it leaves the working copy, its cache and the repository as they were before, or as they are after.
.PP
Every command works from any subfolder of the project, takes the global options, and has \\fB\\-\\-help\\fR with examples.
.SH GLOBAL OPTIONS
${globalOptions(program).filter((o) => !o.hidden).map(optionItem).join('\n')}
.SH COMMANDS
${commands.map(commandSection).join('\n')}
.SH HELP TOPICS
These pages are also shown by \\fBdsg help\\fR \\fItopic\\fR.
${TOPICS.map((t) => topicSection(t.name, t.text)).join('\n')}
.SH EXIT STATUS
${definitions(EXIT_CODES)}
.SH ENVIRONMENT
${definitions(ENVIRONMENT)}
.SH FILES
${definitions(FILES)}
.SH EXAMPLES
.nf
${examples.map(roff).join('\n')}
.fi
.SH SEE ALSO
\\fBgit\\fR(1), \\fBssh_config\\fR(5), \\fBrclone\\fR(1), \\fBzfs\\fR(8); the docs/ folder of dsg's package.
`;
}
