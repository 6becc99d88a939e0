import { DsgError } from './DsgError.js';

/** Codes a ConfigError can carry. */
export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_NOT_FOUND';

/**
 * A configuration file (project `.dsgconfig.yml` or user `dsg.yml`) is missing, unreadable or
 * invalid. The message names the file and says what to fix. Exit code 1.
 *
 * Both `new ConfigError(message, { code?, cause? })` (code defaults to CONFIG_INVALID) and
 * `new ConfigError(code, message, { cause? })` are accepted.
 */
export class ConfigError extends DsgError {
  declare readonly code: ConfigErrorCode;

  constructor(message: string, options?: { code?: ConfigErrorCode; cause?: unknown });
  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown });
  constructor(
    first: string,
    second?: string | { code?: ConfigErrorCode; cause?: unknown },
    third?: { cause?: unknown },
  ) {
    let code: ConfigErrorCode;
    let message: string;
    let cause: unknown;
    if (typeof second === 'string') {
      code = first as ConfigErrorCode;
      message = second;
      cause = third?.cause;
    } else {
      code = second?.code ?? 'CONFIG_INVALID';
      message = first;
      cause = second?.cause;
    }
    super(code, message, { exitCode: 1, cause });
  }
}
