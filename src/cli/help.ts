/**
 * `dsg help [command | topic]`: a command's --help, or a topic page (src/cli/topics.ts).
 */
import type { Command } from 'commander';
import { DsgError } from '../errors/DsgError.js';
import type { CommandIO } from './run.js';
import { findTopic, renderTopic, topicWidth, TOPICS } from './topics.js';

/** The visible subcommand named by `words` ("car export"), or undefined. */
function findCommand(program: Command, words: readonly string[]): Command | undefined {
  let cmd: Command | undefined = program;
  for (const w of words) {
    cmd = cmd.commands.find((c) => !isHidden(c) && (c.name() === w || c.aliases().includes(w)));
    if (!cmd) return undefined;
  }
  return cmd;
}

export function isHidden(cmd: Command): boolean {
  return (cmd as unknown as { _hidden: boolean })._hidden;
}

/** How to install the completion scripts (dsg completion --help, and each script's header). */
export const INSTALL_HELP = `
Install (then open a new shell):
  bash: dsg completion bash > ~/.local/share/bash-completion/completions/dsg
        (or add  source <(dsg completion bash)  to ~/.bashrc)
  zsh:  dsg completion zsh > "\${fpath[1]}/_dsg"
        (or add  source <(dsg completion zsh)  to ~/.zshrc, after compinit)
  fish: dsg completion fish > ~/.config/fish/completions/dsg.fish
Run it again after upgrading dsg: the script lists the commands and options of this version.
`;

/** "Help topics:" block of `dsg --help`. */
export function topicsHelpText(): string {
  const width = Math.max(...TOPICS.map((t) => t.name.length));
  return `\nHelp topics (dsg help <topic>):\n${TOPICS.map((t) => `  ${t.name.padEnd(width)}  ${t.summary}`).join('\n')}\n`;
}

export async function run({ out, flags }: CommandIO, program: Command, words: string[]): Promise<void> {
  const topic = words.length === 1 ? findTopic(words[0]) : undefined;
  const cmd = topic ? undefined : findCommand(program, words);
  if (cmd) {
    // --json: the help as --help prints it, in a document (dsg.help.v1) like every other result.
    if (flags.json) out.result({ kind: cmd === program ? 'overview' : 'command', name: words.join(' '), summary: cmd.description(), text: cmd.helpInformation() });
    else cmd.outputHelp();
    return;
  }
  if (!topic) {
    const commands = program.commands.filter((c) => !isHidden(c)).map((c) => c.name());
    throw new DsgError(
      'USAGE',
      `help: no command or topic "${words.join(' ')}". Topics: ${TOPICS.map((t) => t.name).join(', ')}. Commands: ${commands.join(', ')}.`,
      { exitCode: 2 },
    );
  }
  if (flags.json) out.result({ kind: 'topic', name: topic.name, summary: topic.summary, text: topic.text });
  else process.stdout.write(renderTopic(topic, topicWidth()));
}
