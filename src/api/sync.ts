/**
 * sync: reconcile the working copy with the repository, atomically (SPEC §4, §6).
 *
 * @example
 *   import { sync } from 'dsg';
 *   const r = await sync({ cwd: '/data/myproject', message: 'new survey wave' });
 *   console.log(r.snapshot ?? 'no new snapshot', r.uploaded.length, r.downloaded.length);
 */
import { Transaction, type SyncResult } from '../transaction/Transaction.js';
import { normalizeInvalidPaths, type Rename } from './normalize.js';
import { withProject, type CommonOptions, type Project } from './project.js';

export interface SyncOptions extends CommonOptions {
  message?: string;
  dryRun?: boolean;
  force?: boolean;
  normalize?: boolean;
  /** Seconds to wait for another writer's lock. */
  wait?: number;
  onNotice?: (message: string) => void;
}

export type SyncOutcome = SyncResult & { renamed: Rename[] };

/** Shared by sync and init: apply --normalize, then run one transaction. */
export async function runTransaction(project: Project, kind: 'sync' | 'init' | 'clone', opts: SyncOptions): Promise<SyncOutcome> {
  let renamed: Rename[] = [];
  if (opts.normalize && !opts.dryRun) {
    const pre = await project.client.scan(project.rules, project.user.user_id, undefined);
    renamed = normalizeInvalidPaths(project.root, pre.invalid);
  }
  const tx = new Transaction({ client: project.client, remote: project.remote(), rules: project.rules, user: project.user.user_id, progress: opts.progress, onNotice: opts.onNotice });
  const result = await tx.run({ kind, message: opts.message, dryRun: opts.dryRun, force: opts.force, waitSeconds: opts.wait });
  return { ...result, renamed };
}

export async function sync(opts: SyncOptions = {}): Promise<SyncOutcome> {
  return withProject(opts, (project) => runTransaction(project, 'sync', opts));
}
