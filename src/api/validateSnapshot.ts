/**
 * validate-snapshot: check one snapshot: its archived manifest parses (entry_count and
 * entries_hash verified), its metadata equals its record in sync-messages, its snapshot_hash
 * recomputes, and (for the newest) the current manifest is identical. With `deep`, every file's
 * content in the repository is streamed and re-hashed. Every problem is listed.
 *
 * @example
 *   import { validateSnapshot } from 'dsg';
 *   const r = await validateSnapshot({ cwd: '/data/myproject', snapshot: 's3', deep: true });
 *   for (const p of r.problems) console.log(p.kind, p.message);
 */
import { DsgError } from '../errors/DsgError.js';
import { checkCurrent, checkSnapshotRecord, type HistoryProblem } from '../history/chain.js';
import { ContentSet, snapshotTreeProblems, treeProblems } from '../history/deepCheck.js';
import { readArchiveChecked } from '../history/remoteHistory.js';
import { describeRange, parseSnapshotId, resolveSnapshotId, snapshotNumber, sortSnapshotIds } from '../history/snapshotId.js';
import type { Manifest } from '../manifest/types.js';
import { silentProgress } from '../transaction/progress.js';
import { recoverFirst } from '../history/recoverFirst.js';
import { withProject, type CommonOptions } from './project.js';

export interface ValidateSnapshotOptions extends CommonOptions {
  snapshot: string;
  deep?: boolean;
}

export interface ValidateSnapshotResult {
  snapshot: string;
  ok: boolean;
  /** Entries in the snapshot's manifest (null when it could not be read). */
  entries: number | null;
  deep: boolean;
  /** With deep: distinct contents streamed and their total size. */
  contentsChecked: number;
  bytesChecked: number;
  problems: HistoryProblem[];
  /** Why the automatic recovery before checking failed (the checks ran anyway), or null. */
  recoveryError: string | null;
}

export async function validateSnapshot(opts: ValidateSnapshotOptions): Promise<ValidateSnapshotResult> {
  const asked = parseSnapshotId(opts.snapshot, 'validate-snapshot');
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    const recoveryError = await recoverFirst(project);
    const remote = project.remote();
    const current = await remote.readManifest();
    const history = await remote.readSyncMessages();
    const known = sortSnapshotIds(history.snapshots.keys());
    const id = resolveSnapshotId(asked, known, remote.location);
    const newest = known.length ? known[known.length - 1] : null;
    if (newest === null || snapshotNumber(id) > snapshotNumber(newest)) {
      throw new DsgError('SNAPSHOT_NOT_FOUND', `validate-snapshot: snapshot ${id} does not exist in the repository at ${remote.location} (it has ${describeRange(known)}). Run "dsg log" to see them.`);
    }
    const problems: HistoryProblem[] = [];
    const archive = await readArchiveChecked(remote, id, { strict: true });
    const meta = history.snapshots.get(id);
    if (meta === undefined) {
      problems.push({ snapshot: id, kind: 'sequence-gap', message: `${id} is missing from the repository's sync-messages.json (the history lists ${known.join(', ')}).` });
    } else {
      const n = snapshotNumber(id);
      problems.push(...checkSnapshotRecord({ id, meta, previous: n === 1 ? null : history.snapshots.get(`s${n - 1}`), archive }));
    }
    if (id === newest) problems.push(...checkCurrent(id, archive, current));
    const manifest: Manifest | null = archive.status === 'ok' ? archive.manifest : id === newest ? current : null;
    const result: ValidateSnapshotResult = { snapshot: id, ok: false, entries: manifest?.entries.size ?? null, deep: !!opts.deep, contentsChecked: 0, bytesChecked: 0, problems, recoveryError };
    if (opts.deep && manifest) {
      const contents = new ContentSet();
      contents.add(id, manifest);
      const v = await contents.verify(remote, opts.progress ?? silentProgress);
      problems.push(...v.problems);
      result.contentsChecked = v.checked;
      result.bytesChecked = v.bytes;
      // The browsable tree shows the current snapshot: it must match it too (not only the stored objects).
      if (id === newest && current) {
        problems.push(...(await treeProblems(remote, current, v.problems)));
      }
      // Backends with native snapshots (ZFS @sN): that snapshot must hold the same tree.
      problems.push(...(await snapshotTreeProblems(remote, manifest)));
    }
    result.ok = problems.length === 0;
    return result;
  });
}
