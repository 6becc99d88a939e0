/**
 * The glue every command uses: read global flags, run the action, print, pick the exit code.
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DsgError } from '../errors/DsgError.js';
import { interruptRequested } from '../protocol/steps.js';
import { Output, type GlobalFlags } from './output.js';
import { commandProgress } from './progress.js';
import { setColorMode } from './color.js';
import type { Progress } from '../transaction/progress.js';

export interface CommandIO {
  out: Output;
  progress: Progress;
  flags: GlobalFlags;
}

export type CommandAction<A extends unknown[]> = (io: CommandIO, ...args: A) => Promise<number | void>;

/**
 * Wrap a command action: errors are printed once and become process.exitCode. `load` imports
 * the command's module (and through it the library) only when that command runs, so that
 * `--help`, `--version` and every other command do not pay for it (design/performance.md P4).
 */
export function action<A extends unknown[]>(load: () => Promise<CommandAction<A>>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.optsWithGlobals() as GlobalFlags;
    setColorMode(flags.color);
    const out = new Output(flags, commandPath(cmd));
    const progress = commandProgress(flags);
    try {
      changeDirectory((flags as { directory?: string }).directory);
      if (flags.verbose && !flags.quiet) await describeUserConfig();
      const fn = await load();
      const code = await fn({ out, progress, flags }, ...(args.slice(0, -1) as A));
      process.exitCode = code ?? 0;
      const signal = interruptRequested();
      if (signal !== null) {
        // The signal came after the commit point: the command finished rather than leave it half done.
        out.warn(`interrupted (${signal}) after the commit point: finished first, so nothing is half done.`);
        process.exitCode = 130;
      }
    } catch (err) {
      progress.end(); // a phase the error cut short: its bar goes before the message is printed
      process.exitCode = out.fail(err);
    }
  };
}

/** The command's name under "dsg", subcommands joined by "-" ("status", "car-export"): its --json schema's name. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join('-');
}

/** Each command's examples, for the man page (src/cli/man.ts). */
export const commandExamples = new WeakMap<Command, string[]>();

/** "Examples:" block appended to a command's --help. */
export function examples(cmd: Command, lines: string[]): Command {
  commandExamples.set(cmd, lines);
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** -v: which user config files dsg reads (in order, later keys overriding earlier ones), on stderr. */
async function describeUserConfig(): Promise<void> {
  const [{ userConfigPaths }, { existsSync }] = await Promise.all([import('../config/userConfig.js'), import('node:fs')]);
  const list = userConfigPaths().map((p) => `${p} (${existsSync(p) ? 'read' : 'not found'})`);
  process.stderr.write(`dsg: user config, in order (later keys override earlier ones): ${list.join(', ')}\n`);
}

/**
 * -C DIR (as git -C): run as if dsg had been started in DIR. Done before the command's module
 * loads, so nothing has read the current folder yet.
 */
function changeDirectory(dir: string | undefined): void {
  if (dir === undefined) return;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below, in the same words as a file that is not a folder
  }
  if (!isDir) throw new DsgError('USAGE', `-C ${dir}: no such folder. Give an existing folder (a relative one is taken from where you run dsg).`, { exitCode: 2 });
  process.chdir(dir);
}

/** -C given more than once: each relative folder is taken from the one before, as git does. */
export function accumulateDirectory(value: string, previous: string | undefined): string {
  return previous === undefined ? value : resolve(previous, value);
}
