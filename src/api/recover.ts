/**
 * recover: finish or undo an interrupted sync, on both sides (SPEC §6). Also run
 * automatically before status, log and clone (sync and init recover under their own lock).
 *
 * @example
 *   import { recover } from 'dsg';
 *   const r = await recover({ cwd: '/data/myproject' });
 *   console.log(r.client.rolledForward, r.remote?.rolledBack);
 */
import { lockWorkingCopy } from '../client/workingCopyLock.js';
import { DsgError } from '../errors/DsgError.js';
import { PublishedIncompleteError } from '../errors/PublishedIncompleteError.js';
import { LockBusyError, acquireLock, describeHolder } from '../transaction/lock.js';
import { recoverClient, type RecoveryReport } from '../transaction/recovery.js';
import type { RemoteRecovery } from '../remote/RemoteFilesystem.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { actingAs, withProject, type CommonOptions, type Project } from './project.js';

export interface RecoverOptions extends CommonOptions {
  /** Seconds to wait for a writer holding the repository lock (default 0: skip remote recovery). */
  wait?: number;
  onNotice?: (message: string) => void;
  /** Fail when the repository side cannot be finished (`dsg recover`); readers only warn. */
  strict?: boolean;
  /** First remove the repository lock, whoever holds it (its holder is known to be gone). */
  breakLock?: boolean;
}

export type RecoverResult = RecoveryReport & {
  remoteSkipped: string | null;
  /** With breakLock: the holder of the lock that was removed (null when there was none). */
  brokenLock?: string | null;
};

/** `recover --break-lock`: remove the repository lock, saying who held it. */
async function breakRepositoryLock(project: Project, opts: RecoverOptions): Promise<string | null> {
  const remote = project.remote();
  const lock = await remote.inspectLock();
  if (lock === null) return null;
  const holder = lock.record ? describeHolder(lock.record) : 'an unreadable lock';
  await remote.breakLock(lock.token);
  opts.onNotice?.(`removed the repository lock ${remote.lockLocation} held by ${holder}`);
  return holder;
}

/**
 * The repository side, under its lock. Most of the time there is nothing to recover: then no
 * lock is taken (a reader may not be allowed to write to the repository at all). A busy lock
 * means a live writer, whose staging is not debris: skip, and say why.
 */
async function recoverRemoteSide(project: Project, opts: RecoverOptions): Promise<{ remote: RemoteRecovery | null; skipped: string | null }> {
  const remote = project.remote();
  if (!(await remote.hasLeftovers())) return { remote: { rolledBack: [], rolledForward: [] }, skipped: null };
  let lock;
  try {
    lock = await acquireLock(remote, { user: actingAs(project.user), txId: `recover-${randomBytes(4).toString('hex')}`, location: remote.location }, opts.wait ?? 0, opts.onNotice ?? (() => undefined));
  } catch (err) {
    if (!(err instanceof LockBusyError)) throw err;
    return { remote: null, skipped: err.message };
  }
  try {
    return { remote: await remote.recover(), skipped: null };
  } catch (err) {
    // A published snapshot whose tree could not be finished, or a journal dsg did not write:
    // readers can still read (content comes from .dsg/objects/); `dsg recover` and writers fail.
    if (opts.strict || !(err instanceof PublishedIncompleteError || (err instanceof DsgError && err.code === 'REMOTE_JOURNAL_INVALID'))) throw err;
    opts.onNotice?.(err.message);
    return { remote: null, skipped: err.message };
  } finally {
    await lock.release();
  }
}

/** Recovery as a preamble of a reading command; a busy lock means a live writer: skip the remote. */
export async function recoverProject(project: Project, opts: RecoverOptions = {}): Promise<RecoverResult> {
  if (!existsSync(project.client.dsgDir) && !(await project.remote().exists())) {
    return { remote: null, client: { rolledBack: [], rolledForward: [], kept: [] }, remoteSkipped: 'no repository' };
  }
  const release = lockWorkingCopy(project.client.dsgDir);
  try {
    const remote = project.remote();
    if (!(await remote.exists())) return { remote: null, client: { rolledBack: [], rolledForward: [], kept: [] }, remoteSkipped: null };
    const brokenLock = opts.breakLock ? await breakRepositoryLock(project, opts) : undefined;
    const side = await recoverRemoteSide(project, opts);
    const client = await recoverClient(project.client, remote);
    for (const path of client.kept) {
      opts.onNotice?.(`${path} was edited while an interrupted sync was finishing; your version was kept and shows as a conflict`);
    }
    return { remote: side.remote, remoteSkipped: side.skipped, client, ...(brokenLock === undefined ? {} : { brokenLock }) };
  } finally {
    release();
  }
}

export async function recover(opts: RecoverOptions = {}): Promise<RecoverResult> {
  return withProject(opts, (project) => recoverProject(project, { strict: true, ...opts }));
}
