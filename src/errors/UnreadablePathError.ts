import { DsgError } from './DsgError.js';

/** A file or folder in the working copy that dsg cannot read (permissions, I/O error). */
export class UnreadablePathError extends DsgError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('LOCAL_UNREADABLE', message, options);
  }
}
