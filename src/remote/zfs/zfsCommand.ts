/**
 * The one runner for every `zfs` and `zpool` call dsg makes.
 *
 * - Commands go through `Transport.exec` as argv arrays, never as a shell string, so the same
 *   code runs on this machine and on a file server over SSH.
 * - Every name dsg derives from user settings (pool, dataset, snapshot) is checked against the
 *   ZFS name rules first (`zfsName`), so no component can start with `-` (an option) or hold
 *   characters ZFS would reject in a confusing way.
 * - A failure is a ZfsCommandError with a stable code read from ZFS's own stderr, the exact
 *   command and its stderr, and what to do. "dataset is busy" (zfs-fuse answers it for ~50 ms
 *   after a clone or create) is retried a bounded number of times when the caller says the
 *   command is safe to repeat.
 *
 * Permissions: zfs-fuse accepts only root. On OpenZFS a non-root user needs a delegation:
 * `zfs allow <user> create,mount,snapshot,destroy,clone,userprop <pool>` (clone and destroy for
 * read-only views of old snapshots). dsg never runs `zfs rollback`, `zfs promote`, `zfs rename`,
 * and never passes `-f` to umount or destroy (a forced unmount hangs zfs-fuse).
 */
import { DsgError } from '../../errors/DsgError.js';
import { quoteArg } from '../../transport/ssh/shellQuote.js';
import type { Transport } from '../../transport/Transport.js';

export class ZfsCommandError extends DsgError {
  constructor(
    code: string,
    message: string,
    readonly command: string,
    readonly stderr: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** A pool, dataset or snapshot component: ZFS's characters, never an option-like leading "-". */
const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** `value` when it is a valid ZFS name made of `/`-separated components, else a clear error naming `what`. */
export function zfsName(value: string, what: string): string {
  if (value.length > 200 || !value.split('/').every((c) => COMPONENT.test(c))) {
    throw new DsgError(
      'ZFS_NAME_INVALID',
      `${what} ${JSON.stringify(value)} is not a valid ZFS name: use letters, digits, "_", ".", ":" and "-" (not first), with "/" between dataset levels. Check "repository" in .dsgconfig.yml.`,
    );
  }
  return value;
}

/** One line per dataset, one field per requested column (`zfs list -H -o a,b`, `zfs get -H -o …`). */
export function parseZfsList(stdout: string, columns: number): string[][] {
  const rows: string[][] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\t');
    if (fields.length !== columns) throw new Error(`unexpected zfs output line ${JSON.stringify(line)} (expected ${columns} tab-separated fields)`);
    rows.push(fields);
  }
  return rows;
}

export interface RunOptions {
  /** Retry "dataset is busy" (only for commands that are safe to repeat). */
  retryBusy?: boolean;
  attempts?: number;
  delayMs?: number;
}

/** For messages: the argv as a user could type it (quoted only where a shell would need it). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_.:=/@,+-]+$/.test(a) ? a : quoteArg(a))).join(' ');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How a failed zfs/zpool call is reported: a stable code from ZFS's stderr, and what to do. */
export function classify(argv: readonly string[], stderr: string, where: string): ZfsCommandError {
  const cmd = displayCommand(argv);
  const err = stderr.trim();
  const said = `\`${cmd}\` on ${where} failed: ${err || '(no message)'}`;
  const make = (code: string, advice: string) => new ZfsCommandError(code, advice ? `${said}. ${advice}` : `${said}.`, cmd, err);
  if (/Permission denied|failed to initialize ZFS library|permission denied/i.test(err)) {
    return make(
      'ZFS_PERMISSION',
      'dsg needs to run zfs as root on that host (zfs-fuse accepts no other user), or on OpenZFS a delegation for your user: `zfs allow <user> create,mount,snapshot,destroy,clone,userprop <pool>`.',
    );
  }
  if (/target is busy/.test(err)) return make('ZFS_IN_USE', 'A process has a file or its working folder inside that mountpoint; find it with `fuser -vm <mountpoint>`, end it, and run the command again.');
  if (/dataset is busy/.test(err)) return make('ZFS_BUSY', 'ZFS is still busy with this dataset; run the command again in a moment.');
  if (/dataset already exists/.test(err)) return make('ZFS_EXISTS', '');
  if (/dataset does not exist/.test(err)) return make('ZFS_NOT_FOUND', '');
  if (/parent does not exist/.test(err)) return make('ZFS_NO_PARENT', 'Create the pool or parent dataset first (as the server\'s administrator), or fix "pool" in .dsgconfig.yml.');
  if (/no such pool/.test(err)) return make('ZFS_NO_POOL', 'Check "pool" in .dsgconfig.yml (`zpool list` shows the pools of that host).');
  if (/out of space/.test(err)) return make('ZFS_NO_SPACE', 'The pool is full; free space in it (old snapshots hold blocks), then run the command again.');
  return make('ZFS_FAILED', '');
}

/**
 * Run one zfs/zpool command on the repository's host; stdout when it succeeds. Throws
 * ZfsCommandError (see `classify`), or ZFS_NOT_INSTALLED when the command does not exist.
 */
export async function runZfs(transport: Transport, argv: readonly ['zfs' | 'zpool', ...string[]], opts: RunOptions = {}): Promise<string> {
  const attempts = opts.retryBusy ? (opts.attempts ?? 20) : 1;
  const delay = opts.delayMs ?? 50;
  for (let i = 1; ; i++) {
    let result;
    try {
      result = await transport.exec(argv);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ZfsCommandError(
          'ZFS_NOT_INSTALLED',
          `\`${argv[0]}\` is not installed on ${transport.description}. A repository of type zfs needs ZFS on the host that holds it (OpenZFS, or zfs-fuse).`,
          displayCommand(argv),
          '',
          { cause: err },
        );
      }
      throw err;
    }
    if (result.code === 0) return result.stdout;
    const error = classify(argv, result.stderr, transport.description);
    if (error.code !== 'ZFS_BUSY' || i >= attempts) throw error;
    await sleep(delay);
  }
}
