import { DsgError } from './DsgError.js';

/** A client journal in `.dsg/transactions/` that is malformed or names unsafe paths. */
export class JournalError extends DsgError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('JOURNAL_INVALID', message, options);
  }
}
