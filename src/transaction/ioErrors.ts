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

/**
 * True when the connection to the repository's host dropped (SSH and any later networked
 * transport): then the server did not answer, so an operation in flight may or may not have
 * happened there.
 */
export function connectionLost(err: unknown): boolean {
  return lostCode(err) !== null;
}

/** The code of the connection failure in `err` or its causes (backends wrap transport errors), or null. */
function lostCode(err: unknown): string | null {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SSH_CONNECTION_LOST' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return code;
  }
  return null;
}

/** A lost connection before the commit point: nothing was published, and the server's leftovers are recovered next time. */
export function lostBeforeCommit(err: unknown, location: string): DsgError {
  return new DsgError(
    lostCode(err) ?? 'CONNECTION_LOST',
    `${(err as Error).message} The sync was interrupted before its commit point: nothing was published and the working copy is unchanged. ` +
      `What it left on ${location} is removed by the next dsg command (or "dsg recover"); nothing was lost. Run "dsg sync" again once the connection works.`,
    { cause: err },
  );
}

/** A lost connection during the commit itself: the outcome is known only to the server, so the journal is kept for recovery. */
export function lostDuringCommit(err: unknown, snapshotId: string, location: string): DsgError {
  return new DsgError(
    lostCode(err) ?? 'CONNECTION_LOST',
    `${(err as Error).message} The connection was lost while ${location} was publishing ${snapshotId}, so whether ${snapshotId} was published is known only to the server. ` +
      `The next dsg command (or "dsg recover") settles it on both sides: it finishes the sync if ${snapshotId} was published and undoes it if not. Nothing was lost.`,
    { cause: err },
  );
}
