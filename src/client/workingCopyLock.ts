/**
 * One dsg process at a time per working copy: `.dsg/client.lock` holds the holder's pid, host
 * and process start time. The file is written whole under a private name and hard-linked into
 * place (fails if it exists, like O_EXCL), so a reader never sees a half-written lock from a
 * live writer. A lock whose process is gone (or whose pid now belongs to another process) is
 * taken over.
 */
import { closeSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DsgError } from '../errors/DsgError.js';
import { processIsRunning, processStartTime } from '../platform/processIdentity.js';

interface Holder {
  pid: number;
  host: string;
  /** Start time of `pid` (see platform/processIdentity.ts); absent in locks of older versions. */
  start?: string | null;
}

/** How long an unreadable lock may still be one being written by an older version. */
const PARTIAL_GRACE_MS = 2000;

const busy = (message: string) => new DsgError('WORKING_COPY_BUSY', message, { exitCode: 4 });

function breakHint(file: string): string {
  return `If no dsg command is running on that working copy, remove ${file} and run the command again.`;
}

/** Create the lock atomically: whole content under a private name, then link() into place. */
function tryCreate(file: string): boolean {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const me: Holder = { pid: process.pid, host: hostname(), start: processStartTime(process.pid) };
  writeFileSync(tmp, JSON.stringify(me));
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The holder as written, with the file's inode and age; null holder when unparsable. */
function readHolder(file: string): { holder: Holder | null; ino: number; ageMs: number } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    let holder: Holder | null = null;
    try {
      const v = JSON.parse(readFileSync(fd, 'utf8')) as Holder;
      if (v && Number.isSafeInteger(v.pid) && typeof v.host === 'string') holder = v;
    } catch {
      holder = null;
    }
    return { holder, ino: st.ino, ageMs: Date.now() - st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/** Remove the lock only if it is still the file judged stale (same inode); else leave it. */
function removeIfSame(file: string, ino: number): void {
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (lstatSync(aside).ino !== ino) {
    // Someone replaced it meanwhile: put theirs back (unless yet another lock exists).
    try {
      linkSync(aside, file);
    } catch {
      /* a newer lock exists */
    }
  }
  rmSync(aside, { force: true });
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function lockWorkingCopy(dsgDir: string): () => void {
  mkdirSync(dsgDir, { recursive: true });
  const file = join(dsgDir, 'client.lock');
  const release = () => rmSync(file, { force: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file)) return release;
    let seen = readHolder(file);
    // Unreadable and recent: an older dsg may be writing it right now (create, then write). Give it time.
    const deadline = Date.now() + PARTIAL_GRACE_MS;
    while (seen && seen.holder === null && seen.ageMs < 10_000 && Date.now() < deadline) {
      sleepMs(100);
      seen = readHolder(file);
    }
    if (seen === null) continue; // released meanwhile
    const { holder } = seen;
    if (holder === null) {
      if (seen.ageMs < 10_000) throw busy(`The working-copy lock ${file} is being written by another dsg command (it is not complete yet). Wait and try again. ${breakHint(file)}`);
    } else if (holder.host !== hostname()) {
      // We cannot see processes on another machine (a working copy on a shared disk).
      throw busy(`Another dsg command (pid ${holder.pid} on host ${holder.host}) holds the working-copy lock ${file}. Wait for it to finish. ${breakHint(file)}`);
    } else if (processIsRunning(holder.pid, holder.start)) {
      throw busy(`Another dsg command (pid ${holder.pid}) is working in this working copy (it holds ${file}). Wait for it to finish. ${breakHint(file)}`);
    }
    removeIfSame(file, seen.ino); // its holder is gone, or it was left incomplete long ago
  }
  throw busy(`Cannot take the working-copy lock ${file}: other dsg commands keep taking it. ${breakHint(file)}`);
}
