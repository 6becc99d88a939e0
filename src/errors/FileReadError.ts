import { DsgError } from './DsgError.js';

/** Codes a FileReadError can carry. */
export type FileReadErrorCode = 'NOT_REGULAR_FILE' | 'FILE_TOO_LARGE';

/**
 * A file dsg was about to read is not a regular file (a FIFO, device, socket, folder or
 * symbolic link), or holds more bytes than allowed or stated. The message names the file,
 * what it is, and what to do.
 */
export class FileReadError extends DsgError {
  declare readonly code: FileReadErrorCode;
  constructor(
    code: FileReadErrorCode,
    readonly path: string,
    message: string,
    /** For NOT_REGULAR_FILE: what the file is instead ("a FIFO", "a symbolic link", …). */
    readonly what: string | null = null,
  ) {
    super(code, message);
  }
}
