/**
 * The commander program as plain data: what the shell completions and the man page are
 * generated from, so that neither can drift from the commands dsg really has.
 */
import type { Argument, Command, Option } from 'commander';
import { isHidden } from './help.js';
import { commandExamples } from './run.js';

/** What an option's or argument's value is, for completing it: a folder, a file, or other text. */
export type ValueKind = 'dir' | 'file' | 'text';

export interface OptionSpec {
  short?: string;
  long?: string;
  /** The commander flags text, e.g. "-m, --message <text>". */
  flags: string;
  description: string;
  /** Undefined for a flag that takes no value; `choices` when only some values are valid. */
  value?: { name: string; kind: ValueKind; choices?: readonly string[] };
  defaultValue?: unknown;
  hidden: boolean;
}

export interface ArgumentSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  kind: ValueKind;
  /** Fixed values (a shell's name after "completion", topics after "help"). */
  choices?: readonly string[];
}

export interface CommandSpec {
  /** ["car", "export"]; [] for the program itself. */
  path: string[];
  name: string;
  usage: string;
  description: string;
  /** This command's own options (the global ones each command repeats are in the program's). */
  options: OptionSpec[];
  args: ArgumentSpec[];
  examples: string[];
  subcommands: CommandSpec[];
}

/** Options every command accepts: the program's own, and --help. */
export function globalOptions(program: Command): OptionSpec[] {
  return [...program.options.map(optionSpec), helpOption()];
}

function helpOption(): OptionSpec {
  return { short: '-h', long: '--help', flags: '-h, --help', description: 'display help for command', hidden: false };
}

function kindOf(valueName: string): ValueKind {
  if (/dir/.test(valueName)) return 'dir';
  if (/file|out|path/.test(valueName)) return 'file';
  return 'text';
}

function optionSpec(o: Option): OptionSpec {
  const valueName = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  return {
    short: o.short,
    long: o.long,
    flags: o.flags,
    description: o.description,
    value: valueName === undefined ? undefined : { name: valueName, kind: kindOf(valueName), choices: o.argChoices },
    defaultValue: o.defaultValue,
    hidden: o.hidden,
  };
}

function argumentSpec(a: Argument): ArgumentSpec {
  const choices = (a as unknown as { argChoices?: string[] }).argChoices;
  return { name: a.name(), required: a.required, variadic: a.variadic, kind: kindOf(a.name()), choices };
}

/**
 * The program and its visible commands. `extraChoices` adds fixed values to a command's
 * arguments (the topic names after "help", which commander cannot validate as choices because
 * command names are valid there too).
 */
export function describeProgram(program: Command, extraChoices: Record<string, readonly string[]> = {}): CommandSpec {
  const globalLongs = new Set(program.options.map((o) => o.long));
  const walk = (cmd: Command, path: string[]): CommandSpec => {
    const args = cmd.registeredArguments.map(argumentSpec);
    const extra = extraChoices[path.join(' ')];
    if (extra && args[0]) args[0] = { ...args[0], choices: [...(args[0].choices ?? []), ...extra] };
    return {
      path,
      name: cmd.name(),
      usage: cmd.usage(),
      description: cmd.description(),
      options: path.length === 0 ? [] : cmd.options.filter((o) => !globalLongs.has(o.long)).map(optionSpec),
      args,
      examples: commandExamples.get(cmd) ?? [],
      subcommands: cmd.commands.filter((c) => !isHidden(c)).map((c) => walk(c, [...path, c.name()])),
    };
  };
  return walk(program, []);
}

/** Every command spec, parents before their subcommands. */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(allCommands)];
}
