import { DsgError } from './DsgError.js';

/** A manifest (or sync-messages / archive) that cannot be read, parsed or verified. */
export class ManifestError extends DsgError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('MANIFEST_INVALID', message, options);
  }
}
