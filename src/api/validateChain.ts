/**
 * validate-chain: check the whole history: s1…sN without gaps, each archive present and
 * verified, each `snapshot_previous` = s(N-1), each `snapshot_hash` recomputed from its
 * entries_hash, message, project_config and the previous hash, archive metadata equal to
 * sync-messages, and the current manifest equal to the newest archive. With `deep`, every
 * distinct content any snapshot refers to is streamed and re-hashed. Every broken link is
 * listed; checking does not stop at the first. Snapshots of dsg 0.4.4 without an archive are
 * `notes` (that tool never stored archives in the repository), not problems.
 *
 * @example
 *   import { validateChain } from 'dsg';
 *   const r = await validateChain({ cwd: '/data/myproject' });
 *   if (!r.ok) for (const p of r.problems) console.log(p.snapshot, p.kind, p.message);
 */
import { checkChain, type HistoryNote, type HistoryProblem } from '../history/chain.js';
import { ContentSet, treeProblems } from '../history/deepCheck.js';
import { readArchiveChecked } from '../history/remoteHistory.js';
import { sortSnapshotIds } from '../history/snapshotId.js';
import { silentProgress } from '../transaction/progress.js';
import { recoverFirst } from '../history/recoverFirst.js';
import { withProject, type CommonOptions } from './project.js';

export interface ValidateChainOptions extends CommonOptions {
  deep?: boolean;
}

export interface ValidateChainResult {
  ok: boolean;
  /** Snapshots listed in the history, oldest first. */
  snapshots: string[];
  current: string | null;
  deep: boolean;
  contentsChecked: number;
  bytesChecked: number;
  problems: HistoryProblem[];
  /** Known gaps that are not damage: snapshots of dsg 0.4.4 without an archived manifest. */
  notes: HistoryNote[];
  /** Why the automatic recovery before checking failed (the checks ran anyway), or null. */
  recoveryError: string | null;
}

export async function validateChain(opts: ValidateChainOptions = {}): Promise<ValidateChainResult> {
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    const recoveryError = await recoverFirst(project);
    const remote = project.remote();
    const progress = opts.progress ?? silentProgress;
    const current = await remote.readManifest();
    const history = await remote.readSyncMessages();
    const ids = sortSnapshotIds(history.snapshots.keys());
    const contents = opts.deep ? new ContentSet() : null;
    progress.phase('history', ids.length, 0);
    let problems: HistoryProblem[];
    const notes: HistoryNote[] = [];
    try {
      problems = await checkChain({
        snapshots: history.snapshots,
        current,
        readArchive: async (id) => {
          const r = await readArchiveChecked(remote, id, { strict: true });
          progress.fileDone();
          return r;
        },
        onArchive: (id, m) => contents?.add(id, m),
        onNote: (n) => notes.push(n),
      });
    } finally {
      progress.end();
    }
    const result: ValidateChainResult = { ok: false, snapshots: ids, current: current?.metadata.snapshot_id ?? null, deep: !!opts.deep, contentsChecked: 0, bytesChecked: 0, problems, notes, recoveryError };
    if (contents) {
      if (current) contents.add(current.metadata.snapshot_id, current);
      const v = await contents.verify(remote, progress);
      problems.push(...v.problems);
      result.contentsChecked = v.checked;
      result.bytesChecked = v.bytes;
      if (current) problems.push(...(await treeProblems(remote, current, v.problems)));
    }
    result.ok = problems.length === 0;
    return result;
  });
}
