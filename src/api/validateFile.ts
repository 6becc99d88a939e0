/**
 * validate-file: recompute one file's XXH3 in the working copy and compare it with this
 * working copy's last sync (the cache manifest C) and with the repository's current manifest R.
 *
 * @example
 *   import { validateFile } from 'dsg';
 *   const r = await validateFile({ cwd: '/data/myproject', file: 'input/survey.csv' });
 *   if (!r.ok) console.log(r.cache.status, r.remote.status);
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { DsgError } from '../errors/DsgError.js';
import { pathCandidates, pickPath } from '../history/projectPath.js';
import { hashFile } from '../manifest/hash.js';
import { sameContent, type Entry, type Manifest } from '../manifest/types.js';
import { requireSnapshot } from '../remote/requireSnapshot.js';
import { isTrackedPath } from '../scan/rules.js';
import { recoverFirst } from '../history/recoverFirst.js';
import { withProject, type CommonOptions } from './project.js';

export interface ValidateFileOptions extends CommonOptions {
  file: string;
}

export type LocalState =
  | { type: 'file'; hash: string; filesize: number }
  | { type: 'link'; reference: string }
  | { type: 'absent' }
  | { type: 'other' };

/**
 * match: same content; differs: other content; not-in-manifest: the manifest has no such path;
 * missing-locally: the manifest has it, the working copy does not; unavailable: the manifest
 * could not be read (see `error`).
 */
export type ComparisonStatus = 'match' | 'differs' | 'not-in-manifest' | 'missing-locally' | 'unavailable';

export interface Comparison {
  snapshot: string | null;
  status: ComparisonStatus;
  entry: Entry | null;
  error?: string;
}

export interface ValidateFileResult {
  path: string;
  /** The path is one dsg tracks under the project's data_dirs and ignore rules. */
  tracked: boolean;
  local: LocalState;
  /** Against this working copy's last sync (.dsg/last-sync.json). */
  cache: Comparison;
  /** Against the repository's current snapshot. */
  remote: Comparison;
  ok: boolean;
}

async function localState(abs: string): Promise<LocalState> {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (!st) return { type: 'absent' };
  if (st.isSymbolicLink()) return { type: 'link', reference: readlinkSync(abs) };
  if (!st.isFile()) return { type: 'other' };
  const { hash, size } = await hashFile(abs);
  return { type: 'file', hash, filesize: size };
}

function asEntry(path: string, l: LocalState): Entry | undefined {
  if (l.type === 'file') return { type: 'file', path, user: '', filesize: l.filesize, mtime: '', hash: l.hash };
  if (l.type === 'link') return { type: 'link', path, user: '', reference: l.reference };
  return undefined;
}

function compare(path: string, local: LocalState, m: Manifest | null | Error): Comparison {
  if (m instanceof Error) return { snapshot: null, status: 'unavailable', entry: null, error: m.message };
  if (m === null) return { snapshot: null, status: 'unavailable', entry: null, error: 'this working copy has not synced yet (no .dsg/last-sync.json); run "dsg clone" or "dsg sync".' };
  const entry = m.entries.get(path) ?? null;
  const snapshot = m.metadata.snapshot_id;
  const mine = asEntry(path, local);
  if (entry === null) return { snapshot, status: 'not-in-manifest', entry };
  if (mine === undefined) return { snapshot, status: 'missing-locally', entry };
  return { snapshot, status: sameContent(mine, entry) ? 'match' : 'differs', entry };
}

export async function validateFile(opts: ValidateFileOptions): Promise<ValidateFileResult> {
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    // A failed recovery (e.g. the repository is unreachable) still leaves the cache comparison useful.
    await recoverFirst(project);
    const candidates = pathCandidates(project.root, opts.cwd ?? process.cwd(), opts.file, 'validate-file');
    const cache = project.client.readCache();
    let remote: Manifest | Error;
    try {
      remote = await requireSnapshot(project.remote());
    } catch (err) {
      if (!(err instanceof DsgError)) throw err;
      remote = err;
    }
    const inManifest = (m: Manifest | Error | null, p: string): boolean => m !== null && !(m instanceof Error) && m.entries.has(p);
    const path = pickPath(candidates, (p) => lstatSync(project.client.abs(p), { throwIfNoEntry: false }) !== undefined || inManifest(cache, p) || inManifest(remote, p));
    if (path === null) {
      throw new DsgError('FILE_NOT_FOUND', `validate-file: ${candidates.join(' or ')} is neither in the working copy nor in the last sync${remote instanceof Error ? '' : ` nor in the repository's ${remote.metadata.snapshot_id}`}. Check the path (relative to the project root or the current folder).`);
    }
    const local = await localState(project.client.abs(path));
    if (local.type === 'other') throw new DsgError('NOT_A_FILE', `validate-file: ${path} is a folder or a special file; validate-file checks one file or link.`);
    const c = compare(path, local, cache);
    const r = compare(path, local, remote);
    return { path, tracked: isTrackedPath(project.rules, path), local, cache: c, remote: r, ok: c.status === 'match' && r.status === 'match' };
  });
}
