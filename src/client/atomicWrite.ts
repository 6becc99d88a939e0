/**
 * Small-file writes that are all-or-nothing: write a sibling temp file, fsync, rename over
 * the target, fsync the directory. Used for every metadata file dsg writes locally.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `durable: false` skips both fsyncs, for caches that are checked when read and rebuilt when
 * lost (the working-copy index): the rename still makes the write all-or-nothing for readers
 * and for a killed process, and one fsync can cost a second when the disk is busy.
 */
export function atomicWriteFile(file: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable !== false;
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  if (durable) fsyncDir(dir);
}
