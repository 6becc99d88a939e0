/**
 * The cause of a file system failure in words a user can act on (no space or inodes,
 * permission denied, quota), for messages that also say what happened and what to do.
 */
export function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return `no space left or no free inodes on the device holding ${(err as NodeJS.ErrnoException).path ?? 'the files being written'}`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${(err as Error).message})`;
  if (code === 'EDQUOT') return 'disk quota exceeded';
  return (err as Error).message;
}
