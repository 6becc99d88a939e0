/**
 * clone: in a directory holding `.dsgconfig.yml`, fetch the current snapshot and its history.
 * Never writes to the repository. Files already present with the right content are kept, so
 * an interrupted clone resumes where it stopped.
 *
 * @example
 *   import { clone } from 'dsg';
 *   const r = await clone({ cwd: '/data/myproject' });
 *   console.log(`got ${r.downloaded.length} files of ${r.previousSnapshot}`);
 */
import { DsgError } from '../errors/DsgError.js';
import { runTransaction, type SyncOptions, type SyncOutcome } from './sync.js';
import { withProject } from './project.js';

export async function clone(opts: SyncOptions = {}): Promise<SyncOutcome> {
  return withProject(opts, async (project) => {
    if (project.client.readCache() !== null) {
      throw new DsgError('ALREADY_CLONED', `${project.root} is already a working copy (.dsg/last-sync.json exists). Use "dsg sync" to update it.`);
    }
    // A clone makes no snapshot: `snapshot` names the one it checked out.
    const r = await runTransaction(project, 'clone', { ...opts, normalize: false });
    return { ...r, snapshot: r.previousSnapshot };
  });
}
