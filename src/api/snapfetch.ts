/**
 * snapfetch: write one file exactly as it was in snapshot sN, streamed from the repository's
 * history and verified against the snapshot's XXH3 hash on the way.
 *
 * @example
 *   import { snapfetch } from 'dsg';
 *   const r = await snapfetch({ cwd: '/data/myproject', file: 'input/survey.csv', snapshot: 's1' });
 *   console.log(`wrote ${r.bytes} bytes to ${r.out}`);
 */
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { DsgError } from '../errors/DsgError.js';
import { fetchToFile, fetchToStream } from '../history/materialize.js';
import { pathCandidates, pickPath } from '../history/projectPath.js';
import { readArchiveChecked, readArchiveOrFail } from '../history/remoteHistory.js';
import { parseSnapshotId, requireKnownSnapshot, resolveSnapshotId, sortSnapshotIds } from '../history/snapshotId.js';
import { isTrackedPath } from '../scan/rules.js';
import { recoverProject } from './recover.js';
import { withProject, type CommonOptions } from './project.js';

export interface SnapfetchOptions extends CommonOptions {
  file: string;
  /** "s3" or "3". */
  snapshot: string;
  /** A file path (relative to cwd), or a writable stream (e.g. process.stdout). Default: `<name>.<sN>` in cwd. */
  out?: string | Writable;
  /** Replace an existing output file. */
  force?: boolean;
}

export interface SnapfetchResult {
  path: string;
  snapshot: string;
  /** Absolute output file, or "-" for a stream. */
  out: string;
  bytes: number;
  hash: string;
  mtime: string;
  /** Who last changed the file as of that snapshot. */
  user: string;
  /** The output lies where dsg tracks files: the next sync would upload it. */
  tracked: boolean;
}

export async function snapfetch(opts: SnapfetchOptions): Promise<SnapfetchResult> {
  const asked = parseSnapshotId(opts.snapshot, 'snapfetch');
  const cwd = opts.cwd ?? process.cwd();
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    await recoverProject(project);
    const remote = project.remote();
    const known = sortSnapshotIds((await remote.readSyncMessages()).snapshots.keys());
    const id = resolveSnapshotId(asked, known, remote.location);
    requireKnownSnapshot(id, known, remote.location);
    const candidates = pathCandidates(project.root, cwd, opts.file, 'snapfetch');
    const manifest = await readArchiveOrFail(remote, id);
    const path = pickPath(candidates, (p) => manifest.entries.has(p));
    if (path === null) {
      // Say where the file does exist, so the user can pick a snapshot.
      const holding: string[] = [];
      for (const other of known) {
        const a = other === id ? null : await readArchiveChecked(remote, other);
        if (a?.status === 'ok' && candidates.some((c) => a.manifest.entries.has(c))) holding.push(other);
      }
      const where = holding.length ? `It is in ${holding.join(', ')}.` : 'It is in no snapshot of this repository; check the path ("dsg list-files" shows tracked files).';
      throw new DsgError('FILE_NOT_IN_SNAPSHOT', `snapfetch: ${candidates[0]} is not in snapshot ${id} (${manifest.entries.size} file${manifest.entries.size === 1 ? '' : 's'}). ${where} "dsg blame ${candidates[0]}" shows its history.`);
    }
    const entry = manifest.entries.get(path)!;
    if (entry.type === 'link') {
      throw new DsgError('IS_A_LINK', `snapfetch: ${path} is a symbolic link in snapshot ${id}, pointing to "${entry.reference}"; it has no content of its own. Fetch the target instead.`);
    }
    const base = { path, snapshot: id, hash: entry.hash, mtime: entry.mtime, user: entry.user };
    if (opts.out !== undefined && typeof opts.out !== 'string') {
      const { size } = await fetchToStream(remote, entry, id, opts.out);
      return { ...base, out: '-', bytes: size, tracked: false };
    }
    let out = resolve(cwd, opts.out ?? `${basename(path)}.${id}`);
    if (statSync(out, { throwIfNoEntry: false })?.isDirectory()) out = join(out, `${basename(path)}.${id}`);
    if (existsSync(out) && !opts.force) {
      throw new DsgError('OUTPUT_EXISTS', `snapfetch: ${out} already exists; nothing was written. Choose another name with -o, or pass --overwrite to replace it.`);
    }
    const { size } = await fetchToFile(remote, entry, id, out);
    const rel = relative(project.root, out);
    const tracked = !rel.startsWith('..') && !isAbsolute(rel) && isTrackedPath(project.rules, rel.split(sep).join('/'));
    return { ...base, out, bytes: size, tracked };
  });
}
