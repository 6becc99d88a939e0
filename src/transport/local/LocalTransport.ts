/**
 * Transport for a repository on this machine: direct file system calls.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, promises as fsp, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { chunkSizeFor } from '../../manifest/hash.js';
import { createRegularFileStream, readRegularFile, readRegularFileTail } from '../../platform/safeOpen.js';
import { syncFilesystem } from '../../platform/syncFilesystem.js';
import { BoundedOutput, checkPlainName, type DirEntry, type ExecResult, type NamedData, type RemoteStat, type TailRead, type Transport } from '../Transport.js';

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Appended to every refused read: dsg itself stores only regular files of the stated size there. */
const HOSTILE_ADVICE =
  'the repository may have been tampered with or damaged. Restore this file from a backup or ask whoever manages the repository ("dsg validate-snapshot --deep" lists what is affected)';

function kind(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): RemoteStat['type'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
}

export class LocalTransport implements Transport {
  readonly description = 'localhost';

  async stat(path: string): Promise<RemoteStat | null> {
    try {
      const st = await fsp.lstat(path);
      return { type: kind(st), size: st.size, mtimeMs: st.mtimeMs, nlink: st.nlink };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async readFile(path: string, maxBytes: number): Promise<Buffer | null> {
    return readRegularFile(path, maxBytes, HOSTILE_ADVICE);
  }

  async readTail(path: string, maxBytes: number): Promise<TailRead | null> {
    return readRegularFileTail(path, maxBytes, HOSTILE_ADVICE);
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const fh = await fsp.open(path, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
    let fh;
    try {
      fh = await fsp.open(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  }

  createReadStream(path: string, expectedSize?: number): Readable {
    return createRegularFileStream(path, { expectedSize, chunkSize: chunkSizeFor(expectedSize), advice: HOSTILE_ADVICE });
  }

  /** Synchronous writes: a batch of small files costs a few system calls each, no thread hops. */
  async writeFiles(dir: string, files: readonly NamedData[]): Promise<void> {
    for (const f of files) checkPlainName(f.name);
    for (const f of files) {
      const fd = openSync(join(dir, f.name), 'w');
      try {
        let off = 0;
        while (off < f.data.length) off += writeSync(fd, f.data, off, f.data.length - off);
      } finally {
        closeSync(fd);
      }
    }
  }

  async flush(path: string): Promise<void> {
    await syncFilesystem(path);
  }

  async writeStream(path: string, source: AsyncIterable<Uint8Array>, opts: { durable?: boolean } = {}): Promise<void> {
    const fh = await fsp.open(path, 'w');
    try {
      for await (const chunk of source) {
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      if (opts.durable !== false) await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await fsp.rename(from, to);
  }

  async link(existing: string, newPath: string): Promise<void> {
    await fsp.link(existing, newPath);
  }

  async symlink(target: string, path: string): Promise<void> {
    await fsp.symlink(target, path);
  }

  async readlink(path: string): Promise<string> {
    return fsp.readlink(path);
  }

  async unlink(path: string): Promise<void> {
    try {
      await fsp.unlink(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async mkdirp(path: string): Promise<void> {
    try {
      await fsp.mkdir(path, { recursive: true });
    } catch (err) {
      // fs.promises.mkdir reports ENOSPC (no free inodes) as ENOENT when recursive (Node 20): the sync call tells the truth.
      if (!isNotFound(err)) throw err;
      mkdirSync(path, { recursive: true });
    }
  }

  async rmdirIfEmpty(path: string): Promise<boolean> {
    try {
      await fsp.rmdir(path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isNotFound(err) || code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  }

  async rmrf(path: string): Promise<void> {
    await fsp.rm(path, { recursive: true, force: true });
  }

  async readdir(path: string): Promise<DirEntry[]> {
    try {
      const list = await fsp.readdir(path, { withFileTypes: true });
      return list.map((d) => ({ name: d.name, type: kind(d) }));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  exec(argv: readonly string[]): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      const output = new BoundedOutput();
      child.stdout.on('data', (d: Buffer) => {
        if (output.stdout(d)) child.kill('SIGKILL'); // past the bound: stop the command
      });
      child.stderr.on('data', (d: Buffer) => output.stderr(d));
      child.on('error', reject);
      child.on('close', (code) => {
        if (output.overflowed) reject(output.overflowError(argv.join(' '), this.description));
        else resolve({ code: code ?? 1, stdout: output.stdoutText(), stderr: output.stderrText() });
      });
    });
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}

