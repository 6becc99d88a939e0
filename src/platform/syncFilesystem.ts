/**
 * syncfs(2) for the file system holding a path, through coreutils `sync -f` (Node has no
 * binding). One call makes thousands of freshly written files durable, where an fsync per
 * file costs a disk round trip each.
 */
import { execFile } from 'node:child_process';

export function syncFilesystem(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', path], (err, _stdout, stderr) => {
      if (err) reject(new Error(`sync -f ${path} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}
