/**
 * The one function that turns an argv array into the single command string SSH `exec` sends
 * (the server's login shell parses it). Every argument goes in single quotes, where a POSIX
 * shell expands nothing; a `'` inside becomes `'\''` (close, escaped quote, reopen). No
 * argument is ever left bare, even a "safe" one: one rule, nothing to get wrong. Newlines and
 * non-ASCII bytes are literal inside single quotes. NUL cannot be passed at all (C strings),
 * so it is refused rather than silently cut.
 */

/** One argument, single-quoted for a POSIX shell. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error(`cannot pass an argument containing a NUL byte to a remote command: ${JSON.stringify(arg)}`);
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line for `argv`: each argument single-quoted, joined by spaces. */
export function shellQuote(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('cannot run an empty command');
  return argv.map(quoteArg).join(' ');
}
