import { DsgError } from './DsgError.js';

/** A file could not be moved, or arrived with other content than expected. The sync rolls back. */
export class TransferError extends DsgError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TRANSFER_FAILED', message, options);
  }
}
