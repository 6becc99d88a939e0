import { DsgError } from './DsgError.js';

/**
 * The sync was refused before anything changed: conflicts (exit 3), a safety rail, or invalid
 * paths. `details` carries the paths for --json output.
 */
export class SyncBlockedError extends DsgError {
  readonly details: unknown;
  constructor(code: string, message: string, details: unknown = null, exitCode = 1) {
    super(code, message, { exitCode });
    this.details = details;
  }
}
