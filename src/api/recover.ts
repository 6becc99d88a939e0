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
import { LockBusyError, acquireLock } from '../transaction/lock.js';
import { recoverClient, type RecoveryReport } from '../transaction/recovery.js';
import type { RemoteRecovery } from '../remote/RemoteFilesystem.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { withProject, type CommonOptions, type Project } from './project.js';

export interface RecoverOptions extends CommonOptions {
  /** Seconds to wait for a writer holding the repository lock (default 0: skip remote recovery). */
  wait?: number;
  onNotice?: (message: string) => void;
}

export type RecoverResult = RecoveryReport & { remoteSkipped: string | null };

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
    lock = await acquireLock(remote, { user: project.user.user_id, txId: `recover-${randomBytes(4).toString('hex')}`, location: remote.location }, opts.wait ?? 0, opts.onNotice ?? (() => undefined));
  } catch (err) {
    if (!(err instanceof LockBusyError)) throw err;
    return { remote: null, skipped: err.message };
  }
  try {
    return { remote: await remote.recover(), skipped: null };
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
    const side = await recoverRemoteSide(project, opts);
    const client = await recoverClient(project.client, remote);
    for (const path of client.kept) {
      opts.onNotice?.(`${path} was edited while an interrupted sync was finishing; your version was kept and shows as a conflict`);
    }
    return { remote: side.remote, remoteSkipped: side.skipped, client };
  } finally {
    release();
  }
}

export async function recover(opts: RecoverOptions = {}): Promise<RecoverResult> {
  return withProject(opts, (project) => recoverProject(project, opts));
}
