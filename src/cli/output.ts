/**
 * How commands talk to the user: human text on a terminal or pipe, or exactly one JSON
 * document on stdout with --json. Errors become exit codes (SPEC §5).
 *
 * Every --json document is one object whose first key, "schema", names its JSON Schema and
 * version ("dsg.<command>.v1", failures "dsg.error.v1"; docs/json/). Its keys are camelCase
 * whatever the library calls them, so scripts meet one style.
 */
import { DsgError } from '../errors/DsgError.js';
import { SyncBlockedError } from '../errors/SyncBlockedError.js';
import { printableLines } from './printable.js';
import { paint, type ColorMode } from './color.js';
import { printAbove } from './statusLine.js';

export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  color?: ColorMode;
  /** --progress (true) / --no-progress (false); undefined: the default for the output (cli/progress.ts). */
  progress?: boolean;
}

/** The schema of every failure's document. */
export const ERROR_SCHEMA = 'dsg.error.v1';

/** The schema name of a command's result: "dsg.status.v1", "dsg.car-export.v1". */
export function schemaName(command: string): string {
  return `dsg.${command}.v1`;
}

/** snake_case keys (the manifest's created_at, dsg.yml's user_id) become camelCase; values stay as they are. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]));
}

/** The --json document: "schema" first, then the fields (camelCase), pretty-printed. */
export function jsonDocument(schema: string, fields: object): string {
  return `${JSON.stringify({ schema, ...(camelKeys(fields) as object) }, null, 2)}\n`;
}

/** A failure as a --json document (also used for commander's usage errors). */
export function errorDocument(code: string, message: string, details?: unknown): string {
  return jsonDocument(ERROR_SCHEMA, { error: { code, message, details } });
}

export class Output {
  /** `command` names the result's schema ("status", "car-export"). */
  constructor(
    readonly flags: GlobalFlags,
    readonly command: string,
  ) {}

  /** Human text (suppressed by --json and -q). */
  say(text: string): void {
    if (this.flags.json || this.flags.quiet) return;
    printAbove(process.stdout, `${printableLines(text)}\n`);
  }

  /** Human lines the caller already made printable (it escaped what it shows and may have painted it). */
  sayFormatted(text: string): void {
    if (this.flags.json || this.flags.quiet) return;
    printAbove(process.stdout, `${text}\n`);
  }

  /** Extra detail for -v. */
  detail(text: string): void {
    if (this.flags.verbose && !this.flags.json) printAbove(process.stdout, `${printableLines(text)}\n`);
  }

  /** Warnings go to stderr, even with --json (they are not the result). */
  warn(text: string): void {
    if (!this.flags.quiet) printAbove(process.stderr, `${paint('warning', 'warning:', 'stderr')} ${printableLines(text)}\n`);
  }

  /** The command's result with --json: an object, or a list under `listKey` ("snapshots"). */
  result(value: object, listKey?: string): void {
    if (!this.flags.json) return;
    process.stdout.write(jsonDocument(schemaName(this.command), listKey === undefined ? value : { [listKey]: value }));
  }

  /** Report an error and return the exit code to use. */
  fail(err: unknown): number {
    const isDsg = err instanceof DsgError;
    const errno = err as NodeJS.ErrnoException;
    const isIo = !isDsg && typeof errno?.code === 'string' && typeof errno.syscall === 'string';
    const code = isDsg ? err.code : isIo ? `IO_${errno.code}` : 'INTERNAL_ERROR';
    const message = isDsg
      ? err.message
      : isIo
        ? `${errno.message}. ${IO_HINT[errno.code!] ?? 'Check that path and try again.'}`
        : `internal error: ${(err as Error)?.message ?? String(err)} (run again with --debug for details, and report it)`;
    if (this.flags.json) {
      const details = err instanceof SyncBlockedError ? err.details : undefined;
      process.stdout.write(errorDocument(code, message, details));
    }
    process.stderr.write(`${paint('error', 'dsg:', 'stderr')} ${printableLines(message)}\n`);
    if (this.flags.debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return isDsg ? err.exitCode : 1;
  }
}

/** What to do about the file system errors a user can meet. */
const IO_HINT: Record<string, string> = {
  EACCES: 'Check the permissions of that path.',
  EPERM: 'Check the permissions (and immutable attributes) of that path.',
  ENOSPC: 'No space left or no free inodes on that device ("df -h" and "df -i" show which); free some and try again.',
  EROFS: 'That file system is read-only.',
  ENOENT: 'Check that the path exists (is the disk mounted?).',
};

/**
 * Columns output to `stream` may fill: the terminal's width; off a terminal COLUMNS when set (as
 * ls and git read it), else 80. Status rows, help topics and the progress line all use it.
 */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns > 0) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : 80;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${v.toFixed(1)} ${units[i]}`;
}
