import { DsgError } from './DsgError.js';

/** The repository cannot be reached, read or written (missing, permissions, no space, …). */
export class RemoteError extends DsgError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'REMOTE_ERROR', message, options);
  }
}
