/**
 * snapmount: make snapshot sN browsable, read-only. A backend with native snapshots on this
 * machine (ZFS: a read-only clone of @sN) mounts it at the folder, instantly, until
 * `snapunmount`. Others have none, so the snapshot is materialised: every file streamed from
 * the repository's history and verified, links recreated, then files made 0444 and folders 0555.
 *
 * @example
 *   import { snapmount } from 'dsg';
 *   const r = await snapmount({ cwd: '/data/myproject', snapshot: 's2', mountpoint: '/tmp/myproject-s2' });
 *   console.log(`${r.files} files in ${r.mountpoint}`);
 */
import { chmod, link, mkdir, readdir, rm, stat, symlink, lstat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DsgError } from '../errors/DsgError.js';
import { fetchToFile } from '../history/materialize.js';
import { readArchiveOrFail } from '../history/remoteHistory.js';
import { parseSnapshotId, requireKnownSnapshot, resolveSnapshotId, sortSnapshotIds } from '../history/snapshotId.js';
import { comparePaths } from '../manifest/codec.js';
import { ignoredDirectory, isHiddenName, type TrackingRules } from '../scan/rules.js';
import { silentProgress } from '../transaction/progress.js';
import { recoverProject } from './recover.js';
import { withProject, type CommonOptions } from './project.js';

export interface SnapmountOptions extends CommonOptions {
  /** "s2" or "2". */
  snapshot: string;
  /** Where to materialise (relative to cwd). Default: `<project folder>-snapshot-<sN>` beside the project folder. */
  mountpoint?: string;
}

export interface SnapmountResult {
  snapshot: string;
  mountpoint: string;
  /** "mounted": the backend's own read-only snapshot (undo with snapunmount); "copied": materialised files. */
  method: 'mounted' | 'copied';
  files: number;
  links: number;
  directories: number;
  bytes: number;
}

/** Relative path of `p` under `dir`, or null when `p` is not inside it. */
function under(dir: string, p: string): string | null {
  const rel = relative(dir, p);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

/** True when nothing under this project-relative folder can be tracked (hidden or ignored). */
function untrackedFolder(rules: TrackingRules, rel: string): boolean {
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (isHiddenName(parts[i]) || ignoredDirectory(rules, parts.slice(0, i + 1).join('/'), parts[i])) return true;
  }
  return false;
}

async function prepareMountpoint(dir: string): Promise<boolean> {
  const st = await stat(dir).catch(() => null);
  if (st === null) {
    await mkdir(dir, { recursive: true }).catch((err: Error) => {
      throw new DsgError('MOUNTPOINT_UNWRITABLE', `snapmount: cannot create ${dir}: ${err.message}. Choose another folder: dsg snapmount -n <sN> <dir>.`, { cause: err });
    });
    return true;
  }
  if (!st.isDirectory()) throw new DsgError('MOUNTPOINT_NOT_EMPTY', `snapmount: ${dir} exists and is not a folder. Choose another folder: dsg snapmount -n <sN> <dir>.`);
  const inside = await readdir(dir);
  if (inside.length > 0) {
    throw new DsgError('MOUNTPOINT_NOT_EMPTY', `snapmount: ${dir} is not empty (${inside.length} item${inside.length === 1 ? '' : 's'}); dsg only materialises into an empty or new folder. Choose another folder: dsg snapmount -n <sN> <dir>, or remove it first (chmod -R u+w ${dir} && rm -rf ${dir}).`);
  }
  return false;
}

/** Files 0444, folders 0555, deepest first (a read-only folder cannot be changed inside). */
async function makeReadOnly(dir: string): Promise<void> {
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) await makeReadOnly(p);
    else if (d.isFile()) await chmod(p, 0o444);
  }
  await chmod(dir, 0o555);
}

export async function snapmount(opts: SnapmountOptions): Promise<SnapmountResult> {
  const asked = parseSnapshotId(opts.snapshot, 'snapmount');
  const cwd = opts.cwd ?? process.cwd();
  const progress = opts.progress ?? silentProgress;
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    await recoverProject(project);
    const remote = project.remote();
    const known = sortSnapshotIds((await remote.readSyncMessages()).snapshots.keys());
    const id = resolveSnapshotId(asked, known, remote.location);
    requireKnownSnapshot(id, known, remote.location);
    const mountpoint = opts.mountpoint !== undefined ? resolve(cwd, opts.mountpoint) : join(dirname(project.root), `${basename(project.root)}-snapshot-${id}`);
    const inProject = under(project.root, mountpoint);
    if (inProject !== null && (inProject === '' || !untrackedFolder(project.rules, inProject))) {
      throw new DsgError(
        'MOUNTPOINT_TRACKED',
        `snapmount: ${mountpoint} lies inside the working copy, where the next sync would track the copied files. Choose a folder outside ${project.root} (the default is ${join(dirname(project.root), `${basename(project.root)}-snapshot-${id}`)}), or a hidden one such as .snapshots/${id}.`,
      );
    }
    if (isAbsolute(remote.location) && under(remote.location, mountpoint) !== null) {
      throw new DsgError('MOUNTPOINT_IN_REPOSITORY', `snapmount: ${mountpoint} lies inside the repository at ${remote.location}. Choose a folder outside it.`);
    }
    const manifest = await readArchiveOrFail(remote, id);
    const created = await prepareMountpoint(mountpoint);
    const entries = [...manifest.entries.values()].sort((a, b) => comparePaths(a.path, b.path));
    const result: SnapmountResult = { snapshot: id, mountpoint, method: 'copied', files: 0, links: 0, directories: 0, bytes: 0 };
    let mounted: boolean;
    try {
      mounted = await remote.mountSnapshot(id, mountpoint);
    } catch (err) {
      if (created) await rm(mountpoint, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    if (mounted) {
      const dirs = new Set<string>();
      for (const e of entries) {
        if (e.type === 'link') result.links++;
        else (result.files++, (result.bytes += e.filesize));
        for (let d = e.path.split('/').slice(0, -1).join('/'); d !== '' && !dirs.has(d); d = d.split('/').slice(0, -1).join('/')) dirs.add(d);
      }
      return { ...result, method: 'mounted' as const, directories: dirs.size };
    }
    const dirs = new Set<string>();
    const written = new Map<string, string>();
    let totalBytes = 0;
    for (const e of entries) if (e.type === 'file') totalBytes += e.filesize;
    progress.phase('snapmount', entries.length, totalBytes);
    try {
      for (const e of entries) {
        const target = join(mountpoint, ...e.path.split('/'));
        const parent = dirname(target);
        if (!dirs.has(parent)) {
          await mkdir(parent, { recursive: true });
          for (let d = parent; d !== mountpoint && !dirs.has(d); d = dirname(d)) dirs.add(d);
        }
        if (e.type === 'link') {
          await symlink(e.reference, target);
          result.links++;
        } else {
          // Same content twice in a snapshot: share the verified copy (it becomes read-only anyway).
          const same = written.get(e.hash);
          let done = false;
          if (same !== undefined && (await lstat(same)).size === e.filesize) {
            done = await link(same, target).then(
              () => true,
              () => false,
            );
          }
          if (!done) await fetchToFile(remote, e, id, target, (n) => progress.bytes(n));
          else progress.bytes(e.filesize, true); // hard-linked, not fetched: no part of the rate
          written.set(e.hash, target);
          result.files++;
          result.bytes += e.filesize;
        }
        progress.fileDone();
      }
      await makeReadOnly(mountpoint);
    } catch (err) {
      // Leave no half-made snapshot behind.
      await chmod(mountpoint, 0o755).catch(() => undefined);
      if (created) await rm(mountpoint, { recursive: true, force: true }).catch(() => undefined);
      else for (const name of await readdir(mountpoint).catch(() => [] as string[])) await rm(join(mountpoint, name), { recursive: true, force: true }).catch(() => undefined);
      throw err;
    } finally {
      progress.end();
    }
    result.directories = dirs.size;
    return result;
  });
}

export interface SnapunmountOptions extends CommonOptions {
  /** The folder a `snapmount` mounted (relative to cwd). */
  mountpoint: string;
}

/** Undo a snapmount that mounted the backend's own snapshot. A materialised copy is a plain folder: the error says how to remove it. */
export async function snapunmount(opts: SnapunmountOptions): Promise<{ mountpoint: string }> {
  const mountpoint = resolve(opts.cwd ?? process.cwd(), opts.mountpoint);
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    if (await project.remote().unmountSnapshot(mountpoint)) return { mountpoint };
    throw new DsgError(
      'NOT_MOUNTED',
      `snapunmount: no snapshot of this project is mounted at ${mountpoint}. A snapshot that snapmount copied (repositories without native snapshots) is a plain folder: remove it with chmod -R u+w ${mountpoint} && rm -rf ${mountpoint}`,
    );
  });
}
