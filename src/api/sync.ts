/**
 * sync: reconcile the working copy with the repository, atomically (SPEC §4, §6).
 *
 * @example
 *   import { sync } from 'dsg';
 *   const r = await sync({ cwd: '/data/myproject', message: 'new survey wave' });
 *   console.log(r.snapshot ?? 'no new snapshot', r.uploaded.length, r.downloaded.length);
 */
import { join } from 'node:path';
import { projectConfigDocument } from '../config/projectConfig.js';
import { DsgError } from '../errors/DsgError.js';
import { CONFLICTS_FILE, parseConflictsFile, readConflictsFile, removeConflictsFile, type ConflictChoices } from '../sync/conflictsFile.js';
import { Transaction, type FileAction, type SyncResult } from '../transaction/Transaction.js';
import { PREFERENCES, type Preference } from '../sync/resolve.js';
import { normalizeInvalidPaths, type Rename } from './normalize.js';
import { withProject, type CommonOptions, type Project } from './project.js';

export interface SyncOptions extends CommonOptions {
  message?: string;
  dryRun?: boolean;
  force?: boolean;
  normalize?: boolean;
  /** Apply the choices the user edited in conflicts.txt. */
  continue?: boolean;
  /** Resolve every conflict this way in this run (`sync --prefer`), with backups as for --continue. */
  prefer?: Preference;
  /** Seconds to wait for another writer's lock. */
  wait?: number;
  onNotice?: (message: string) => void;
  /** Each path as it is uploaded, downloaded or deleted (the CLI's -v prints them as they go). */
  onFile?: (action: FileAction, path: string) => void;
}

export type SyncOutcome = SyncResult & { renamed: Rename[] };

/** Shared by sync and init: apply --normalize, then run one transaction. */
export async function runTransaction(project: Project, kind: 'sync' | 'init' | 'clone', opts: SyncOptions): Promise<SyncOutcome> {
  if (opts.continue && opts.prefer) throw new DsgError('USAGE', 'sync: --prefer and --continue cannot be combined: --prefer makes every choice itself, --continue applies the ones in conflicts.txt.', { exitCode: 2 });
  if (opts.prefer !== undefined && !PREFERENCES.includes(opts.prefer)) throw new DsgError('USAGE', `sync: --prefer takes ${PREFERENCES.join(', ')}, not "${opts.prefer}".`, { exitCode: 2 });
  let renamed: Rename[] = [];
  if (opts.normalize && !opts.dryRun) {
    const pre = await project.client.scan(project.rules, project.user.user_id, undefined);
    renamed = normalizeInvalidPaths(project.root, pre.invalid);
  }
  let choices: ConflictChoices | undefined;
  if (opts.continue) {
    const text = readConflictsFile(project.root);
    if (text === null) throw new DsgError('NO_CONFLICTS_FILE', `There is no ${CONFLICTS_FILE} in ${project.root}, so there is nothing to continue. Run "dsg sync".`);
    choices = parseConflictsFile(text, join(project.root, CONFLICTS_FILE));
    // Such choices cannot be checked against newer versions (planSync still finds the conflict).
    const unrecorded = [...choices.keys()].filter((p) => !(choices as ConflictChoices).recorded?.has(p));
    if (unrecorded.length > 0) opts.onNotice?.(`${CONFLICTS_FILE} records no versions for ${unrecorded.join(', ')} (written by an older dsg or the Python tool): the choices apply to the versions there now`);
  }
  const tx = new Transaction({
    client: project.client,
    remote: project.remote(),
    rules: project.rules,
    user: project.user.user_id,
    progress: opts.progress,
    onFile: opts.onFile,
    onNotice: opts.onNotice,
    backupOnConflict: project.user.backup_on_conflict,
    projectConfig: projectConfigDocument(project.config),
  });
  const result = await tx.run({ kind, message: opts.message, dryRun: opts.dryRun, force: opts.force, waitSeconds: opts.wait, choices, prefer: opts.prefer });
  if ((choices || result.resolved.length > 0) && !opts.dryRun) removeConflictsFile(project.root);
  return { ...result, renamed };
}

export async function sync(opts: SyncOptions = {}): Promise<SyncOutcome> {
  return withProject(opts, (project) => runTransaction(project, 'sync', opts));
}
