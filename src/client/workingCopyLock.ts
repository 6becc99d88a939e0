/**
 * One dsg process at a time per working copy: `.dsg/client.lock` (O_EXCL) holds the pid.
 * A lock left by a process that no longer exists is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DsgError } from '../errors/DsgError.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function lockWorkingCopy(dsgDir: string): () => void {
  mkdirSync(dsgDir, { recursive: true });
  const file = join(dsgDir, 'client.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid: number; host: string } | null = null;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string };
    } catch {
      holder = null; // torn by a crash while being written
    }
    if (holder && holder.host === hostname() && alive(holder.pid)) {
      throw new DsgError('WORKING_COPY_BUSY', `Another dsg command (pid ${holder.pid}) is working in this working copy. Wait for it to finish.`, { exitCode: 4 });
    }
    rmSync(file, { force: true });
  }
  throw new DsgError('WORKING_COPY_BUSY', `Cannot lock ${file}; remove it if no dsg command is running.`, { exitCode: 4 });
}
