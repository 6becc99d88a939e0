/**
 * Turning raw I/O failures that reach the transaction (disk full, permission denied, …) into
 * messages that name the cause and say that nothing was published.
 */
import { DsgError } from '../errors/DsgError.js';
import { TransferError } from '../errors/TransferError.js';

export function explainIoError(err: unknown, location: string): unknown {
  if (err instanceof DsgError) return err;
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` (${e.path})` : '';
  const rolledBack = 'The sync was rolled back; nothing was published or changed.';
  switch (e.code) {
    case 'ENOSPC':
      return new TransferError(`No space left or no free inodes on the device holding ${e.path ?? location} while syncing with ${location}. ${rolledBack} Free some space (or delete files, if "df -i" shows no free inodes) and run "dsg sync" again.`, { cause: err });
    case 'EDQUOT':
      return new TransferError(`Disk quota exceeded${where} while syncing with ${location}. ${rolledBack}`, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new TransferError(`Permission denied${where} while syncing with ${location}. ${rolledBack} Check the permissions of that path.`, { cause: err });
    default:
      return err;
  }
}
