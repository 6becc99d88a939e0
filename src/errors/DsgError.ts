/**
 * The one base class for every error dsg reports to a user.
 *
 * Each kind of failure is its own subclass with a stable `code`; the CLI maps codes to exit
 * codes and prints `message` (which must say what happened, to which file or setting, and what
 * to do next). Stack traces are shown only with --debug.
 */
export class DsgError extends Error {
  /** Stable machine-readable identifier, e.g. "CONFIG_INVALID". Never reworded. */
  readonly code: string;
  /** Process exit code the CLI uses for this error (SPEC §5: 1 failure, 2 usage, 3 conflicts). */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}
