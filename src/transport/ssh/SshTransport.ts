/**
 * Transport to a repository on another host over SSH: a stock OpenSSH server, nothing
 * dsg-specific installed there. Files through SFTP (pipelined, see sftpIo.ts), commands
 * through `exec` with argv quoted by the one function in shellQuote.ts.
 *
 * How the Transport contract maps onto SFTP v3 (what it cannot say, and what we do instead):
 * - Errors: SFTP has 8 status codes; OpenSSH's sftp-server folds most errno values into
 *   FAILURE. NO_SUCH_FILE → ENOENT (also ENOTDIR/ELOOP on the server), PERMISSION_DENIED →
 *   EACCES, and a FAILURE on a write, create or mkdir is checked against statvfs@openssh.com
 *   (no free blocks or inodes → ENOSPC). Errors are plain Errors with errno-style `code` and
 *   `path`, like Node's, so the transaction's I/O explanations apply unchanged; messages name
 *   the path and the host.
 * - Hostile files: SFTP `open` has no O_NOFOLLOW or O_NONBLOCK. So reads lstat first (refuse
 *   anything but a regular file), open under a timeout (a FIFO swapped in would block
 *   sftp-server, which serves one request at a time: on timeout the session is abandoned and
 *   a new one opened), fstat the handle (refuse again), and lstat once more (a symlink swapped
 *   in between is refused). The remaining window is a swap-and-swap-back during the open.
 * - `stat`: SFTP v3 attributes carry no link count and whole-second mtimes: nlink is reported
 *   as 1 (no caller relies on it for remote files) and mtimeMs is a multiple of 1000.
 * - `rename` uses posix-rename@openssh.com (plain SFTP rename refuses to replace a file);
 *   `link` hardlink@openssh.com (FAILURE → EEXIST when newPath exists, EXDEV when statvfs shows
 *   two file systems, else EPERM so callers fall back to a copy); `symlink` is SFTP symlink
 *   (ssh2 swaps the arguments for OpenSSH, whose order is reversed); fsync is fsync@openssh.com.
 * - `flush` runs `sync -f <path>` (one syncfs for many files); `rmrf` runs `rm -rf -- <path>`.
 * - `writeFiles` sends the batch as one ustar stream into `tar -x` on the server (no request per
 *   file: ~3× fewer packets than open/write/close each). Should that tar fail for any reason (none
 *   installed, options it lacks, a full disk), the batch is written again over SFTP, which
 *   reports the precise cause; when SFTP succeeds where tar failed, this connection stops
 *   trying tar.
 * - `writeStream` of a large file asks the server to start writing it to disk every
 *   WRITEBACK_EVERY bytes (`sync -d -- <path>` in its own exec channel, not awaited by the
 *   writes): the disk then works while data still arrives, and the flush before the commit
 *   point finds little left to do. Only a hint: its outcome is ignored.
 */
import { posix as pathPosix } from 'node:path';
import { Readable } from 'node:stream';
import type { SFTPWrapper, Stats } from 'ssh2';
import { chunkSizeFor } from '../../manifest/hash.js';
import { FileReadError } from '../../errors/FileReadError.js';
import { checkPlainName, type DirEntry, type ExecResult, type NamedData, type RemoteStat, type TailRead, type Transport } from '../Transport.js';
import { forEachLimited } from '../../platform/pool.js';
import { tarChunks } from './tar.js';
import { PipelinedReader, pipelinedWrite, readAt, SFTP_CHUNK, SFTP_STATUS, statusOf } from './sftpIo.js';
import { SshConnection, type SshConnectionOptions } from './SshConnection.js';
import { resolveSshTarget, type SshTarget } from './sshConfig.js';
import { shellQuote } from './shellQuote.js';

/** Appended to every refused read (same advice as the local transport). */
const HOSTILE_ADVICE =
  'the repository may have been tampered with or damaged. Restore this file from a backup or ask whoever manages the repository ("dsg validate-snapshot --deep" lists what is affected)';

/** Files written at once when a batch goes over SFTP (open, write, close each). */
const FILES_IN_FLIGHT = 16;

/**
 * A large stream's written bytes are handed to the server's disk every this many bytes. Without
 * it, a 1 GiB upload's data reached the disk only in the final flush (0.45 s of a 2.2 s upload
 * on loopback); with it that flush took 0.06–0.11 s and the whole upload and flush 5–10% less
 * (256 MiB measured the same).
 */
const WRITEBACK_EVERY = 128 << 20;

/** How long an SFTP open may take before we assume it blocks (a FIFO with no writer). */
const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

const S_IFMT = 0o170000;
const TYPE_NAMES: Record<number, string> = {
  0o100000: 'a regular file',
  0o120000: 'a symbolic link',
  0o010000: 'a FIFO',
  0o140000: 'a socket',
  0o020000: 'a character device',
  0o060000: 'a block device',
  0o040000: 'a folder',
};

function kindOf(mode: number): RemoteStat['type'] {
  const fmt = mode & S_IFMT;
  return fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'directory' : fmt === 0o120000 ? 'symlink' : 'other';
}

function whatIs(mode: number): string {
  return TYPE_NAMES[mode & S_IFMT] ?? 'a special file';
}

/** A Node-style I/O error (errno `code`, `path`) whose message names the host. */
function ioError(message: string, code: string, path: string, cause?: unknown): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message, cause === undefined ? undefined : { cause });
  err.code = code;
  err.path = path;
  return err;
}

export interface SshTransportOptions extends SshConnectionOptions {
  openTimeoutMs?: number;
  /** The tar program on the server for writeFiles (default `tar`; the tests name a missing one to exercise the SFTP fallback). */
  tarProgram?: string;
  /** The sync program on the server for flush and the writeback hints (default `sync`; the tests name a wrapper to see the hints). */
  syncProgram?: string;
  /** Bytes of a stream between two writeback hints (default WRITEBACK_EVERY). */
  writebackEvery?: number;
}

export class SshTransport implements Transport {
  readonly description: string;
  /** Where and as whom this transport connects (after ~/.ssh/config). */
  readonly target: SshTarget;
  private readonly conn: SshConnection;
  private readonly openTimeoutMs: number;
  /** Set when tar on the server failed where SFTP then succeeded (see writeFiles). */
  private tarUnusable = false;
  private readonly tarProgram: string;
  private readonly syncProgram: string;
  private readonly writebackEvery: number;

  constructor(opts: SshTransportOptions) {
    const t = opts.target;
    this.target = t;
    this.conn = new SshConnection(opts);
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    this.description = `ssh://${t.user}@${host}${t.port === 22 ? '' : `:${t.port}`}`;
    this.openTimeoutMs = opts.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    this.tarProgram = opts.tarProgram ?? 'tar';
    this.syncProgram = opts.syncProgram ?? 'sync';
    this.writebackEvery = opts.writebackEvery ?? WRITEBACK_EVERY;
  }


  // ---- errors ---------------------------------------------------------------------------

  /** Statvfs of the folder holding `path`, or null when the server cannot tell. */
  private async statvfs(sftp: SFTPWrapper, path: string): Promise<{ f_bavail: number; f_favail: number; f_sid: number } | null> {
    return new Promise((resolve) => {
      try {
        sftp.ext_openssh_statvfs(path, (err, info) => resolve(err ? null : info));
      } catch {
        resolve(null); // extension not offered
      }
    });
  }

  /**
   * The error for a failed SFTP request: connection lost wins; then the status code; a generic
   * FAILURE on something that allocates space is checked for a full device.
   */
  private async fail(err: unknown, action: string, path: string, opts: { spaceAt?: string } = {}): Promise<Error> {
    const lost = this.conn.lostError;
    if (lost) return lost;
    const status = statusOf(err);
    const said = (err as Error)?.message ?? String(err);
    const at = `${action} ${path} on ${this.description}`;
    switch (status) {
      case SFTP_STATUS.NO_SUCH_FILE:
        return ioError(`${at}: no such file or folder`, 'ENOENT', path, err);
      case SFTP_STATUS.PERMISSION_DENIED:
        return ioError(`${at}: permission denied`, 'EACCES', path, err);
      case SFTP_STATUS.OP_UNSUPPORTED:
        return ioError(`${at}: the SSH server does not support this operation`, 'ENOTSUP', path, err);
      case SFTP_STATUS.BAD_MESSAGE:
        return ioError(`${at}: the server rejected the request (${said}; a name too long?)`, 'EINVAL', path, err);
      case SFTP_STATUS.NO_CONNECTION:
      case SFTP_STATUS.CONNECTION_LOST:
        return ioError(`${at}: the SSH connection was lost (${said})`, 'ECONNRESET', path, err);
      case SFTP_STATUS.FAILURE:
        if (opts.spaceAt !== undefined) {
          try {
            const sftp = await this.conn.sftp();
            const vfs = await this.statvfs(sftp, opts.spaceAt);
            if (vfs && (Number(vfs.f_bavail) === 0 || Number(vfs.f_favail) === 0)) {
              return ioError(`${at}: no space left on the device (or no free inodes)`, 'ENOSPC', path, err);
            }
          } catch {
            /* keep the generic failure */
          }
        }
        return ioError(`${at}: the server reported a failure (${said})`, 'EIO', path, err);
      default:
        if (status === undefined && /no response|not connected|closed/i.test(said)) {
          return ioError(`${at}: the SSH connection was lost (${said})`, 'ECONNRESET', path, err);
        }
        return ioError(`${at}: ${said}`, 'EIO', path, err);
    }
  }

  private notRegular(path: string, what: string): FileReadError {
    return new FileReadError('NOT_REGULAR_FILE', path, `${path} on ${this.description} is ${what}, not a regular file; ${HOSTILE_ADVICE}.`, what);
  }

  private tooLarge(path: string, maxBytes: number): FileReadError {
    return new FileReadError('FILE_TOO_LARGE', path, `${path} on ${this.description} is larger than ${maxBytes} bytes, the most dsg reads for this file; ${HOSTILE_ADVICE}.`);
  }

  private moreThanExpected(path: string, expected: number): FileReadError {
    return new FileReadError('FILE_TOO_LARGE', path, `${path} on ${this.description} holds more than the ${expected} bytes expected; ${HOSTILE_ADVICE}.`);
  }

  // ---- small SFTP calls as promises -----------------------------------------------------

  private call<T>(action: string, path: string, run: (sftp: SFTPWrapper, cb: (err: Error | undefined | null, v?: T) => void) => void, opts: { spaceAt?: string } = {}): Promise<T> {
    return this.conn.sftp().then(
      (sftp) =>
        new Promise<T>((resolve, reject) => {
          run(sftp, (err, v) => {
            if (err) this.fail(err, action, path, opts).then(reject, reject);
            else resolve(v as T);
          });
        }),
    );
  }

  private async lstatOrNull(path: string): Promise<Stats | null> {
    try {
      return await this.call<Stats>('cannot stat', path, (s, cb) => s.lstat(path, cb));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private closeHandle(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
    return new Promise((resolve) => sftp.close(handle, () => resolve()));
  }

  private fsyncHandle(sftp: SFTPWrapper, handle: Buffer, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      sftp.ext_openssh_fsync(handle, (err) => (err ? this.fail(err, 'cannot fsync', path).then(reject, reject) : resolve()));
    });
  }

  /** Open for writing ('w' truncates, 'wx' fails when present); the session comes along. */
  private async openWrite(path: string, flags: 'w' | 'wx'): Promise<{ sftp: SFTPWrapper; handle: Buffer }> {
    const sftp = await this.conn.sftp();
    const handle = await new Promise<Buffer>((resolve, reject) => {
      sftp.open(path, flags, (err, h) => (err ? this.fail(err, 'cannot create', path, { spaceAt: pathPosix.dirname(path) }).then(reject, reject) : resolve(h)));
    });
    return { sftp, handle };
  }

  /**
   * Open a regular file for reading under the rules in the header; null when absent. The
   * returned size is the handle's fstat size.
   */
  private async openRead(path: string): Promise<{ sftp: SFTPWrapper; handle: Buffer; size: number; mtime: number } | null> {
    const before = await this.lstatOrNull(path);
    if (before === null) return null;
    if (kindOf(before.mode) !== 'file') throw this.notRegular(path, whatIs(before.mode));
    const sftp = await this.conn.sftp();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const handle = await new Promise<Buffer | null>((resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        this.conn.resetSftp(); // that session is stuck behind the blocked open
        resolve(null);
      }, this.openTimeoutMs);
      sftp.open(path, 'r', (err, h) => {
        clearTimeout(timer);
        if (timedOut) {
          if (!err) sftp.close(h, () => undefined);
          return;
        }
        if (!err) resolve(h);
        else if (statusOf(err) === SFTP_STATUS.NO_SUCH_FILE) resolve(null);
        else this.fail(err, 'cannot open', path).then(reject, reject);
      });
    });
    if (timedOut) {
      const now = await this.lstatOrNull(path);
      if (now && kindOf(now.mode) !== 'file') throw this.notRegular(path, whatIs(now.mode));
      throw ioError(`cannot open ${path} on ${this.description}: the server did not answer within ${this.openTimeoutMs / 1000} s (was it swapped for a FIFO while dsg opened it?); ${HOSTILE_ADVICE}.`, 'ETIMEDOUT', path);
    }
    if (handle === null) return null;
    try {
      const st = await new Promise<Stats>((resolve, reject) => sftp.fstat(handle, (err, s) => (err ? this.fail(err, 'cannot stat', path).then(reject, reject) : resolve(s))));
      if (kindOf(st.mode) !== 'file') throw this.notRegular(path, whatIs(st.mode));
      const after = await this.lstatOrNull(path);
      if (after !== null && kindOf(after.mode) !== 'file') throw this.notRegular(path, whatIs(after.mode));
      if (after === null) {
        // Removed (or renamed over) while we opened it, as a lock being released: absent, like
        // a local open that comes just after the unlink. Its content is not used.
        await this.closeHandle(sftp, handle);
        return null;
      }
      return { sftp, handle, size: st.size, mtime: st.mtime };
    } catch (err) {
      await this.closeHandle(sftp, handle);
      throw err;
    }
  }

  // ---- the contract ---------------------------------------------------------------------

  async stat(path: string): Promise<RemoteStat | null> {
    const st = await this.lstatOrNull(path);
    if (st === null) return null;
    return { type: kindOf(st.mode), size: st.size, mtimeMs: st.mtime * 1000, nlink: 1 };
  }

  async readFile(path: string, maxBytes: number): Promise<Buffer | null> {
    const opened = await this.openRead(path);
    if (opened === null) return null;
    const { sftp, handle, size } = opened;
    try {
      if (size > maxBytes) throw this.tooLarge(path, maxBytes);
      const reader = new PipelinedReader(sftp, handle, maxBytes + 1, size);
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        let data: Buffer | null;
        try {
          data = await reader.next();
        } catch (err) {
          throw await this.fail(err, 'cannot read', path);
        }
        if (data === null) break;
        chunks.push(data);
        total += data.length;
        if (total > maxBytes) {
          reader.abandon();
          throw this.tooLarge(path, maxBytes);
        }
      }
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
    } finally {
      await this.closeHandle(sftp, handle);
    }
  }

  /** SFTP v3 has no inode and whole-second mtimes: the stamp says so (ino 0n, mtime × 1e9). */
  async readTail(path: string, maxBytes: number): Promise<TailRead | null> {
    const opened = await this.openRead(path);
    if (opened === null) return null;
    const { sftp, handle, size, mtime } = opened;
    try {
      const start = Math.max(0, size - maxBytes);
      const chunks: Buffer[] = [];
      let pos = start;
      while (pos < size) {
        let data: Buffer;
        try {
          data = await readAt(sftp, handle, pos, Math.min(SFTP_CHUNK, size - pos));
        } catch (err) {
          throw await this.fail(err, 'cannot read', path);
        }
        if (data.length === 0) break; // shrank meanwhile: what was read is what there is
        chunks.push(data);
        pos += data.length;
      }
      return { bytes: Buffer.concat(chunks), size, mtimeNs: BigInt(mtime) * 1_000_000_000n, ino: 0n };
    } finally {
      await this.closeHandle(sftp, handle);
    }
  }

  createReadStream(path: string, expectedSize?: number): Readable {
    return new SftpReadStream(this, path, expectedSize);
  }

  /** For SftpReadStream: open, or an ENOENT error like fs streams give. */
  async openForStream(path: string): Promise<{ sftp: SFTPWrapper; handle: Buffer; size: number }> {
    const opened = await this.openRead(path);
    if (opened === null) throw ioError(`ENOENT: no such file or directory, open '${path}' on ${this.description}`, 'ENOENT', path);
    return opened;
  }

  /** For SftpReadStream. */
  readError(err: unknown, path: string): Promise<Error> {
    return this.fail(err, 'cannot read', path);
  }

  /** For SftpReadStream. */
  streamTooLarge(path: string, expected: number): FileReadError {
    return this.moreThanExpected(path, expected);
  }

  /** For SftpReadStream. */
  release(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
    return this.closeHandle(sftp, handle);
  }

  private async writeAll(path: string, flags: 'w' | 'wx', source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, durable: boolean): Promise<void> {
    const { sftp, handle } = await this.openWrite(path, flags);
    try {
      try {
        await pipelinedWrite(sftp, handle, source);
      } catch (err) {
        if (statusOf(err) === undefined && !this.conn.lostError) throw err; // the source failed, not the server
        throw await this.fail(err, 'cannot write', path, { spaceAt: pathPosix.dirname(path) });
      }
      if (durable) await this.fsyncHandle(sftp, handle, path);
    } finally {
      await this.closeHandle(sftp, handle);
    }
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    await this.writeAll(path, 'w', [typeof data === 'string' ? Buffer.from(data) : data], true);
  }

  async createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
    try {
      await this.writeAll(path, 'wx', [typeof data === 'string' ? Buffer.from(data) : data], true);
      return true;
    } catch (err) {
      // sftp-server reports EEXIST as a generic FAILURE: the file being there tells.
      if ((err as NodeJS.ErrnoException).code === 'EIO' && (await this.lstatOrNull(path)) !== null) return false;
      throw err;
    }
  }

  async writeStream(path: string, source: AsyncIterable<Uint8Array>, opts: { durable?: boolean } = {}): Promise<void> {
    const hints: Promise<void>[] = [];
    try {
      await this.writeAll(path, 'w', marked(source, this.writebackEvery, () => hints.push(this.startWriteback(path))), opts.durable !== false);
    } finally {
      await Promise.all(hints); // no channel outlives the write (the file may be renamed next)
    }
  }

  /** Ask the server to start writing `path`'s data to disk; a hint, so any failure is ignored. */
  private startWriteback(path: string): Promise<void> {
    return this.conn.exec(shellQuote([this.syncProgram, '-d', '--', path])).then(
      () => undefined,
      () => undefined,
    );
  }

  async writeFiles(dir: string, files: readonly NamedData[]): Promise<void> {
    for (const f of files) checkPlainName(f.name);
    if (files.length === 0) return;
    if (!this.tarUnusable) {
      const argv = [this.tarProgram, '-x', '-m', '--no-same-owner', '--no-same-permissions', '-f', '-', '-C', dir];
      const r = await this.conn.exec(shellQuote(argv), tarChunks(files));
      if (r.code === 0) return;
    }
    // Files written by the failed tar are replaced: the names are the caller's private ones.
    await forEachLimited(files, FILES_IN_FLIGHT, (f) => this.writeAll(pathPosix.join(dir, f.name), 'w', [f.data], false));
    this.tarUnusable = true;
  }

  async flush(path: string): Promise<void> {
    const r = await this.conn.exec(shellQuote([this.syncProgram, '-f', path]));
    if (r.code !== 0) throw ioError(`cannot flush the file system holding ${path} on ${this.description}: sync -f exited with ${r.code}: ${r.stderr.trim()}`, 'EIO', path);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.call<void>(`cannot rename ${from} to`, to, (s, cb) => s.ext_openssh_rename(from, to, cb));
  }

  async link(existing: string, newPath: string): Promise<void> {
    const sftp = await this.conn.sftp();
    const err = await new Promise<Error | undefined>((resolve) => sftp.ext_openssh_hardlink(existing, newPath, (e) => resolve(e ?? undefined)));
    if (!err) return;
    const at = `cannot link ${newPath} to ${existing} on ${this.description}`;
    const status = statusOf(err);
    if (status === SFTP_STATUS.FAILURE && !this.conn.lostError) {
      if ((await this.lstatOrNull(newPath)) !== null) throw ioError(`${at}: ${newPath} already exists`, 'EEXIST', newPath, err);
      const [a, b] = await Promise.all([this.statvfs(sftp, pathPosix.dirname(existing)), this.statvfs(sftp, pathPosix.dirname(newPath))]);
      if (a && b && String(a.f_sid) !== String(b.f_sid)) throw ioError(`${at}: they are on different file systems`, 'EXDEV', newPath, err);
      if (a && (Number(a.f_bavail) === 0 || Number(a.f_favail) === 0)) throw ioError(`${at}: no space left on the device (or no free inodes)`, 'ENOSPC', newPath, err);
      throw ioError(`${at}: the server refused the hard link (not supported there, or too many links)`, 'EPERM', newPath, err);
    }
    if (status === SFTP_STATUS.PERMISSION_DENIED) throw ioError(`${at}: operation not permitted`, 'EPERM', newPath, err);
    throw await this.fail(err, `cannot link ${existing} as`, newPath);
  }

  async symlink(target: string, path: string): Promise<void> {
    // ssh2 puts the arguments in OpenSSH's (reversed) order itself when the server is OpenSSH.
    await this.call<void>('cannot create the symbolic link', path, (s, cb) => s.symlink(target, path, cb), { spaceAt: pathPosix.dirname(path) });
  }

  async readlink(path: string): Promise<string> {
    return this.call<string>('cannot read the symbolic link', path, (s, cb) => s.readlink(path, cb));
  }

  async unlink(path: string): Promise<void> {
    try {
      await this.call<void>('cannot remove', path, (s, cb) => s.unlink(path, cb));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async mkdirp(path: string): Promise<void> {
    try {
      await this.call<void>('cannot create the folder', path, (s, cb) => s.mkdir(path, cb), { spaceAt: pathPosix.dirname(path) });
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const parent = pathPosix.dirname(path);
        if (parent === path) throw err;
        await this.mkdirp(parent);
        try {
          await this.call<void>('cannot create the folder', path, (s, cb) => s.mkdir(path, cb), { spaceAt: parent });
          return;
        } catch (again) {
          if ((again as NodeJS.ErrnoException).code !== 'EIO') throw again;
        }
      } else if (code !== 'EIO') throw err;
      // FAILURE is how sftp-server says EEXIST: fine when a folder (or a link to one) is there.
      const st = await this.call<Stats>('cannot stat', path, (s, cb) => s.stat(path, cb)).catch(() => null);
      if (st && kindOf(st.mode) === 'directory') return;
      throw st ? ioError(`cannot create the folder ${path} on ${this.description}: ${whatIs(st.mode)} is in the way`, 'EEXIST', path) : err;
    }
  }

  async rmdirIfEmpty(path: string): Promise<boolean> {
    try {
      await this.call<void>('cannot remove the folder', path, (s, cb) => s.rmdir(path, cb));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      // ENOTEMPTY arrives as FAILURE: not empty when the folder is still there.
      if (code === 'EIO' && (await this.lstatOrNull(path)) !== null) return false;
      throw err;
    }
  }

  async rmrf(path: string): Promise<void> {
    const r = await this.conn.exec(shellQuote(['rm', '-rf', '--', path]));
    if (r.code !== 0) throw ioError(`cannot remove ${path} on ${this.description}: rm exited with ${r.code}: ${r.stderr.trim()}`, r.stderr.includes('ermission denied') ? 'EACCES' : 'EIO', path);
  }

  async readdir(path: string): Promise<DirEntry[]> {
    try {
      const list = await this.call<{ filename: string; attrs: { mode: number } }[]>('cannot list', path, (s, cb) => s.readdir(path, cb));
      return list.filter((e) => e.filename !== '.' && e.filename !== '..').map((e) => ({ name: e.filename, type: kindOf(e.attrs.mode) }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async exec(argv: readonly string[]): Promise<ExecResult> {
    const r = await this.conn.exec(shellQuote(argv));
    // 127 from the shell means "command not found": reject like a local spawn does (ENOENT).
    if (r.code === 127 && /not found|No such file/i.test(r.stderr)) {
      throw ioError(`cannot run ${argv[0]} on ${this.description}: command not found (${r.stderr.trim()})`, 'ENOENT', argv[0]);
    }
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

/** createReadStream: open on the first read, DEPTH reads in flight, fail once more than expected arrives. */
class SftpReadStream extends Readable {
  private opened: { sftp: SFTPWrapper; handle: Buffer } | null = null;
  private reader: PipelinedReader | null = null;
  private total = 0;

  constructor(
    private readonly t: SshTransport,
    private readonly path: string,
    private readonly expected: number | undefined,
  ) {
    super({ highWaterMark: chunkSizeFor(expected) });
  }

  // Opened on the first read, not in _construct: the stream is often made before anyone
  // listens, and a failed open would then emit 'error' to no listener (an uncaught exception).
  override _read(): void {
    if (this.reader !== null) {
      this.readNext(this.reader);
      return;
    }
    this.t.openForStream(this.path).then(
      ({ sftp, handle, size }) => {
        if (this.destroyed) {
          void this.t.release(sftp, handle).catch(() => undefined);
          return;
        }
        this.opened = { sftp, handle };
        const limit = this.expected === undefined ? Number.MAX_SAFE_INTEGER : this.expected + 1;
        // Small files: one small request; large: full-size requests, several in flight.
        this.reader = new PipelinedReader(sftp, handle, limit, size, Math.max(chunkSizeFor(this.expected), 32 * 1024));
        this.readNext(this.reader);
      },
      (err: Error) => this.destroy(err),
    );
  }

  private readNext(reader: PipelinedReader): void {
    reader.next().then(
      (data) => {
        if (data === null) {
          this.push(null);
          return;
        }
        this.total += data.length;
        if (this.expected !== undefined && this.total > this.expected) {
          reader.abandon();
          this.destroy(this.t.streamTooLarge(this.path, this.expected));
          return;
        }
        this.push(data);
      },
      (err: unknown) => this.t.readError(err, this.path).then((e) => this.destroy(e), (e: Error) => this.destroy(e)),
    );
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const o = this.opened;
    this.opened = null;
    this.reader?.abandon();
    if (o === null) callback(err);
    else this.t.release(o.sftp, o.handle).then(() => callback(err), () => callback(err));
  }
}

/**
 * The SSH transport for a host alias as `ssh <alias>` resolves it through ~/.ssh/config
 * (`homeDir` defaults to the user's home; tests pass a sandbox). Connects on first use.
 */
export function openSshTransport(
  hostAlias: string,
  opts: Omit<SshTransportOptions, 'target'> & { homeDir?: string } = {},
): SshTransport {
  const { homeDir, ...rest } = opts;
  return new SshTransport({ ...rest, target: resolveSshTarget(hostAlias, { homeDir }) });
}

/** `source` unchanged, calling `mark` each time another `every` bytes have been handed on. */
async function* marked(source: AsyncIterable<Uint8Array>, every: number, mark: () => void): AsyncGenerator<Uint8Array> {
  let n = 0;
  let next = every;
  for await (const chunk of source) {
    yield chunk;
    n += chunk.byteLength;
    for (; n >= next; next += every) mark();
  }
}
