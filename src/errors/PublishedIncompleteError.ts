import { DsgError } from './DsgError.js';

/**
 * A failure after the commit point: the snapshot IS published, only the work that follows it
 * (placing files in the repository tree, or updating the working copy) is unfinished. Never a
 * rollback: the journal that describes the rest is kept, and the next command or `dsg recover`
 * finishes it once the cause is fixed.
 */
export class PublishedIncompleteError extends DsgError {
  constructor(
    readonly snapshotId: string,
    readonly side: 'repository' | 'working copy',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('PUBLISHED_INCOMPLETE', message, options);
  }
}
