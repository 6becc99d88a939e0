/**
 * blame: the snapshots where one file was added, modified (content or link target changed)
 * or deleted, with who synced each and when, from the repository's archived manifests.
 * Snapshots of dsg 0.4.4 have no archive in the repository: they are listed as `unavailable`
 * and the history before them is unknown (the current snapshot is read from the manifest).
 *
 * @example
 *   import { blame } from 'dsg';
 *   const r = await blame({ cwd: '/data/myproject', file: 'input/survey.csv' });
 *   for (const e of r.events) console.log(e.snapshot, e.change, e.user, e.message);
 */
import { DsgError } from '../errors/DsgError.js';
import { blameEvents, viewOf, type BlameEvent, type SnapshotView } from '../history/blame.js';
import { pathCandidates } from '../history/projectPath.js';
import { readArchiveOrOldToolGap } from '../history/remoteHistory.js';
import { sortSnapshotIds } from '../history/snapshotId.js';
import { recoverProject } from './recover.js';
import { withProject, type CommonOptions } from './project.js';

export interface BlameOptions extends CommonOptions {
  /** Relative to the project root, or to `cwd`, or absolute inside the project. */
  file: string;
}

export interface BlameResult {
  /** The path as the manifests name it. */
  path: string;
  /** How many snapshots were examined (s1…sN). */
  snapshots: number;
  /** Oldest first. */
  events: BlameEvent[];
  /** True when the path is in the current snapshot. */
  present: boolean;
  /** Snapshots whose manifest is not stored (written by dsg 0.4.4): changes in them are unknown. */
  unavailable: string[];
}

export async function blame(opts: BlameOptions): Promise<BlameResult> {
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    await recoverProject(project);
    const remote = project.remote();
    const candidates = pathCandidates(project.root, opts.cwd ?? process.cwd(), opts.file, 'blame');
    const history = (await remote.readSyncMessages()).snapshots;
    const ids = sortSnapshotIds(history.keys());
    const unavailable: string[] = [];
    // Keep, per candidate, only its own entry of each snapshot.
    const views = new Map<string, SnapshotView[]>(candidates.map((c) => [c, []]));
    const folderHits = new Set<string>();
    for (const id of ids) {
      const m = await readArchiveOrOldToolGap(remote, id, history.get(id)!);
      if (m === null) {
        unavailable.push(id);
        for (const c of candidates) views.get(c)!.push({ metadata: history.get(id)!, entries: null });
        continue;
      }
      for (const c of candidates) {
        views.get(c)!.push(viewOf(c, m));
        if (!m.entries.has(c) && !folderHits.has(c)) {
          for (const p of m.entries.keys()) {
            if (p.startsWith(`${c}/`)) {
              folderHits.add(c);
              break;
            }
          }
        }
      }
    }
    for (const c of candidates) {
      const events = blameEvents(c, views.get(c)!);
      if (events.length > 0) {
        const last = views.get(c)![ids.length - 1];
        return { path: c, snapshots: ids.length, events, present: last.entries?.has(c) ?? false, unavailable };
      }
    }
    const folder = candidates.find((c) => folderHits.has(c));
    if (folder) throw new DsgError('NOT_A_FILE', `blame: ${folder} is a folder in the repository's history; blame takes one file, e.g. "dsg blame ${folder}/<file>" ("dsg list-files --path ${folder}" lists them).`);
    throw new DsgError(
      'FILE_NOT_IN_HISTORY',
      `blame: ${candidates.join(' or ')} is in none of the ${ids.length} snapshots (${ids.length ? `${ids[0]}…${ids[ids.length - 1]}` : 'none'}). Check the path (relative to the project root or the current folder); "dsg list-files" shows tracked files.`,
    );
  });
}
