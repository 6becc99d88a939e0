/**
 * Transport: moves byte streams to and from the host that holds a repository, and runs
 * commands there. It knows nothing about what the bytes mean.
 *
 * Every implementation MUST:
 * - take absolute POSIX paths on the repository host;
 * - report "does not exist" as a `null`/`false` result (stat, readFile) or by ignoring it
 *   (unlink, rmrf), never as an exception; every other failure is an exception whose message
 *   names the path and the cause (permission denied, no space, connection lost …);
 * - make `writeFile` durable before resolving (data fsynced), and `writeStream` too unless
 *   asked not to (then `flush` must make it durable later), and `rename` atomic (POSIX rename
 *   semantics: replaces the target in one step);
 * - stream in constant memory: `writeStream` consumes its source chunk by chunk;
 * - pass `exec` arguments as an argv array, never through a shell (no quoting bugs possible);
 * - treat every file it reads as possibly hostile (`readFile`, `createReadStream`): read only a
 *   regular file, never through a symbolic link at the path (O_NOFOLLOW) and never blocking on
 *   the open (O_NONBLOCK: a FIFO with no writer must not hang); check the type of what was
 *   opened (fstat), not of what was there before; never read more than the bound the caller
 *   gives (at most bound + 1 bytes, to tell "larger" from "exactly that size"). A FIFO,
 *   device, socket, folder or link is an error naming the path and what it is ("… is a FIFO,
 *   not a regular file; the repository may have been tampered with …"), code NOT_REGULAR_FILE;
 *   more bytes than the bound is an error naming the path, code FILE_TOO_LARGE
 *   (see errors/FileReadError.ts). "Does not exist" stays `null` / an ENOENT stream error.
 */
import type { Readable } from 'node:stream';

export interface RemoteStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
  /** Number of hard links (used to tell shared content from private copies). */
  nlink: number;
}

/** What `readTail` returns: the end of a file and what fstat said of the file opened. */
export interface TailRead {
  bytes: Buffer;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

export interface DirEntry {
  name: string;
  type: RemoteStat['type'];
}

/** One file of a `writeFiles` batch: a plain name (one path component) and its whole content. */
export interface NamedData {
  name: string;
  data: Uint8Array;
}

/** Refuse a `writeFiles` name that is not one plain path component (a programming error). */
export function checkPlainName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`writeFiles: ${JSON.stringify(name)} is not a plain file name`);
  }
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Bounds on what `exec` keeps of a command's output: the command may run on a host that is not
 * trusted (a shared or hostile server) and must not fill this process's memory. Standard output
 * is what callers parse (`zfs list` of a repository with 100,000 snapshots is ~5 MB), so more
 * than its bound fails the call (cut data would be wrong data); standard error only feeds
 * messages, so it is cut at its bound and says so.
 */
export const EXEC_STDOUT_MAX = 16 << 20;
export const EXEC_STDERR_MAX = 64 << 10;

/**
 * One command's output within the bounds above. `stdout` returns true exactly once: when this
 * chunk takes standard output past its bound (the caller then stops the command); later chunks
 * are dropped.
 */
export class BoundedOutput {
  private out: Buffer[] = [];
  private outBytes = 0;
  private err: Buffer[] = [];
  private errBytes = 0;
  private errCut = false;

  get overflowed(): boolean {
    return this.outBytes > EXEC_STDOUT_MAX;
  }

  stdout(d: Buffer): boolean {
    if (this.overflowed) return false;
    this.outBytes += d.length;
    if (!this.overflowed) {
      this.out.push(d);
      return false;
    }
    this.out = [];
    return true;
  }

  stderr(d: Buffer): void {
    const room = EXEC_STDERR_MAX - this.errBytes;
    if (d.length > room) this.errCut = true;
    if (room <= 0) return;
    const kept = d.length > room ? d.subarray(0, room) : d;
    this.err.push(kept);
    this.errBytes += kept.length;
  }

  stdoutText(): string {
    return Buffer.concat(this.out).toString();
  }

  stderrText(): string {
    return Buffer.concat(this.err).toString() + (this.errCut ? `\n[dsg: standard error cut at ${EXEC_STDERR_MAX >> 10} KiB]` : '');
  }

  /** The error a call rejects with once standard output passed its bound (the command was stopped). */
  overflowError(command: string, where: string): NodeJS.ErrnoException {
    const shown = command.length > 200 ? `${command.slice(0, 200)}…` : command;
    return Object.assign(
      new Error(`${shown} (on ${where}) wrote more than ${EXEC_STDOUT_MAX >> 20} MiB to its standard output, so dsg stopped it and changed nothing more. A command dsg runs never answers with that much: check the host (its tools, or whether it was tampered with) and run the command again.`),
      { code: 'EIO' },
    );
  }
}

export interface Transport {
  /** For messages: "localhost", "ssh://user@host:port". */
  readonly description: string;
  stat(path: string): Promise<RemoteStat | null>;
  /** The content of a regular file of at most `maxBytes` bytes (else FILE_TOO_LARGE); null when absent. */
  readFile(path: string, maxBytes: number): Promise<Buffer | null>;
  /**
   * The last `maxBytes` bytes of a regular file (all of it when smaller), with the size,
   * mtime (ns) and inode that fstat gave for the file opened; null when absent. The same
   * rules as `readFile` (regular file only, O_NOFOLLOW, O_NONBLOCK, type checked on what was
   * opened) and never more than `maxBytes` bytes read. Used to read a manifest's metadata
   * without its entries. A transport that cannot tell the inode gives 0n; one whose mtimes
   * are whole seconds gives them ×1e9.
   */
  readTail(path: string, maxBytes: number): Promise<TailRead | null>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  /** Create `path` with `data` only if it does not exist (O_EXCL): true when created, false when it existed. */
  createExclusive(path: string, data: string | Uint8Array): Promise<boolean>;
  /**
   * A stream of a regular file's bytes; errors (including "not found") surface on the stream.
   * `expectedSize`: the size the manifest states. Small files get small read buffers, and the
   * stream fails (FILE_TOO_LARGE, naming the path) as soon as the file yields more bytes.
   * Without it only the open rules apply.
   */
  createReadStream(path: string, expectedSize?: number): Readable;
  /** Write all chunks of `source` to `path` (created or truncated), then fsync unless `durable` is false. */
  writeStream(path: string, source: AsyncIterable<Uint8Array>, opts?: { durable?: boolean }): Promise<void>;
  /**
   * Create (or replace) each file `dir/name` with `data`, for many small files at once: the SSH
   * transport sends the whole batch as one tar stream into `tar -x` on the server instead of
   * three SFTP requests per file; the local one writes them in turn without thread-pool trips.
   * `dir` exists and is private to the caller; names are single path components (no "/", not
   * "." or ".."). Not durable until `flush`. On failure any of the files may exist, some only
   * partly written: callers write into a private temporary folder and move each file into
   * place (rename) only after the call succeeded.
   */
  writeFiles(dir: string, files: readonly NamedData[]): Promise<void>;
  /** Make everything written to the file system holding `path` durable (one syncfs for many files). */
  flush(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Hard link; fails with an error whose `code` is 'EEXIST' when newPath exists, 'EXDEV'/'EPERM' when unsupported. */
  link(existing: string, newPath: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  unlink(path: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** Remove a directory only when empty; false when it is not empty or does not exist. */
  rmdirIfEmpty(path: string): Promise<boolean>;
  rmrf(path: string): Promise<void>;
  readdir(path: string): Promise<DirEntry[]>;
  /** Run a program (argv, never a shell line) where the repository is; its output is bounded (BoundedOutput). */
  exec(argv: readonly string[]): Promise<ExecResult>;
  close(): Promise<void>;
}
