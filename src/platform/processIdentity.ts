/**
 * Telling whether the process that wrote a lock is still the one running under its pid: a pid
 * is reused after its process exits, so a lock records the pid's start time as well.
 */
import { readFileSync } from 'node:fs';

/**
 * The start time of `pid` (field 22 of /proc/<pid>/stat, clock ticks since boot), or null
 * when it cannot be known (no such process, or no /proc on this system).
 */
export function processStartTime(pid: number): string | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[22 - 3];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/**
 * Whether the process that recorded (`pid`, `startTime`) on this machine still runs. A pid
 * alive with another start time is an unrelated process that reused the number. Without a
 * recorded start time (older lock files) a live pid counts as the holder.
 */
export function processIsRunning(pid: number, startTime?: string | null): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (typeof startTime !== 'string') return true;
  const now = processStartTime(pid);
  // null: the process just exited, unless this system has no /proc at all (then we cannot tell).
  if (now === null) return processStartTime(process.pid) === null;
  return now === startTime;
}
