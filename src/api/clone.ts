/**
 * clone: fetch the current snapshot and its history. Never writes to the repository. Files
 * already present with the right content are kept, so an interrupted clone resumes where it
 * stopped.
 *
 * Two forms: in a directory holding `.dsgconfig.yml` (`cwd`), or from a repository location
 * (`location`: a path, `host:/path`, `ssh://host/path`) into a new directory, whose
 * `.dsgconfig.yml` is written from the config the repository records (see docs/cli.md
 * "clone <location>").
 *
 * @example
 *   import { clone } from 'dsg';
 *   const r = await clone({ location: 'fileserver:/srv/repos/survey' });
 *   console.log(`${r.directory}: got ${r.downloaded.length} files of ${r.snapshot}`);
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import {
  DEFAULT_DATA_DIRS,
  DEFAULT_IGNORE,
  PROJECT_CONFIG_FILE,
  projectConfigFromValue,
  serializeProjectConfig,
  type ProjectConfig,
  type RepositoryConfig,
} from '../config/projectConfig.js';
import { loadUserConfig } from '../config/userConfig.js';
import { DsgError } from '../errors/DsgError.js';
import { PROJECT_CONFIG_MAX_BYTES } from '../manifest/limits.js';
import { openRemote } from '../remote/open.js';
import { runTransaction, type SyncOptions, type SyncOutcome } from './sync.js';
import { withProject } from './project.js';

export interface CloneOptions extends SyncOptions {
  /**
   * Where the repository is: a local path, `host:/path` (SSH, `host` as `ssh host` takes it,
   * an alias of ~/.ssh/config included) or `ssh://host/path`. Without it, `cwd` must hold
   * (or be inside) a project with `.dsgconfig.yml`.
   */
  location?: string;
  /** With `location`: the folder to create (default: the repository's name, in `cwd`); it must not exist or be empty. */
  directory?: string;
}

/** `snapshot` is the snapshot checked out; `directory` the project folder (created by a clone from a location, else null). */
export type CloneOutcome = SyncOutcome & { directory: string | null };

export async function clone(opts: CloneOptions = {}): Promise<CloneOutcome> {
  if (opts.location === undefined) {
    if (opts.directory !== undefined) throw new DsgError('USAGE', 'clone: a directory goes with a repository location: dsg clone <location> [<directory>].', { exitCode: 2 });
    return { ...(await cloneHere(opts)), directory: null };
  }
  return cloneFromLocation(opts.location, opts);
}

async function cloneHere(opts: SyncOptions): Promise<SyncOutcome> {
  return withProject(opts, async (project) => {
    if (project.client.readCache() !== null) {
      throw new DsgError('ALREADY_CLONED', `${project.root} is already a working copy (.dsg/last-sync.json exists). Use "dsg sync" to update it.`);
    }
    // A clone makes no snapshot: `snapshot` names the one it checked out.
    const r = await runTransaction(project, 'clone', { ...opts, normalize: false });
    return { ...r, snapshot: r.previousSnapshot };
  });
}

/** A repository location as the user typed it. `host` null: this machine. */
interface Location {
  host: string | null;
  /** Absolute path of the repository folder (`<mountpoint>/<name>`). */
  path: string;
}

const NOT_SUPPORTED_HINT = `write ${PROJECT_CONFIG_FILE} in the project folder (name, repository: {...}, data_dirs, ignore; see README) and run "dsg clone" there`;

/**
 * git's and scp's rules: `scheme://…` is a URL; a `:` before the first `/` makes `host:path`
 * (SSH); anything else is a local path.
 */
export function parseLocation(text: string, cwd: string): Location {
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (url) {
    const scheme = url[1].toLowerCase();
    if (scheme !== 'ssh') {
      throw new DsgError('NOT_IMPLEMENTED', `clone from ${scheme}:// locations is not supported yet: ${NOT_SUPPORTED_HINT}.`);
    }
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw new DsgError('USAGE', `clone: "${text}" is not a valid ssh:// location (ssh://host/absolute/path).`, { exitCode: 2 });
    }
    if (u.username !== '' || u.port !== '') throw sshUserPortUnsupported(text);
    return sshLocation(decodeURIComponent(u.hostname), decodeURIComponent(u.pathname), text);
  }
  const scp = /^([^/:]+):(.*)$/.exec(text);
  if (scp) {
    if (scp[1].includes('@')) throw sshUserPortUnsupported(text);
    return sshLocation(scp[1], scp[2], text);
  }
  return { host: null, path: resolve(cwd, text) };
}

function sshLocation(host: string, path: string, text: string): Location {
  if (host === '') throw new DsgError('USAGE', `clone: "${text}" names no host.`, { exitCode: 2 });
  if (!path.startsWith('/')) {
    throw new DsgError('USAGE', `clone: "${text}": give the repository's absolute path on ${host} (${host}:/srv/repos/<name>); a path relative to the SSH login folder is not supported.`, { exitCode: 2 });
  }
  return { host, path: posix.normalize(path) };
}

function sshUserPortUnsupported(text: string): DsgError {
  return new DsgError(
    'NOT_IMPLEMENTED',
    `clone: "${text}": a user name or port in the location is not supported yet (the project config records a host alias). Add a Host alias with User and Port to ~/.ssh/config and clone <alias>:/path/to/repository.`,
    { exitCode: 2 },
  );
}

/** The repository's folder name is the project name (`<mountpoint>/<name>`). */
function splitRepositoryPath(path: string, text: string): { mountpoint: string; name: string } {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const name = posix.basename(trimmed);
  const mountpoint = posix.dirname(trimmed);
  if (name === '' || name === '.' || name === '..' || mountpoint === trimmed) {
    throw new DsgError('USAGE', `clone: "${text}" does not name a repository folder (<mountpoint>/<name>).`, { exitCode: 2 });
  }
  return { mountpoint, name };
}

/** DIR must not exist, or be an empty folder: a clone never mixes into existing files. */
function requireEmptyDestination(dir: string): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) throw new DsgError('DESTINATION_EXISTS', `${dir} exists and is not a folder; choose another destination: dsg clone <location> <directory>.`, { exitCode: 2 });
  if (readdirSync(dir).length > 0) {
    throw new DsgError('DESTINATION_EXISTS', `${dir} exists and is not empty; choose another destination (dsg clone <location> <directory>), or, in a folder that already holds the project's ${PROJECT_CONFIG_FILE}, run "dsg clone" without a location.`, { exitCode: 2 });
  }
}

/**
 * The repository's recorded config, validated as a `.dsgconfig.yml` (it is hostile input), with
 * the location rewritten to the one this user reached it by: the host as typed (an SSH alias
 * stays an alias), mountpoint and name from the path. The repository's type is kept when it is a
 * folder type (ZFS keeps its pool); data_dirs and ignore are kept as recorded.
 */
export function configForClone(recorded: unknown, where: string, loc: Location, mountpoint: string, name: string): ProjectConfig {
  const label = `the project config recorded in ${where}`;
  if (recorded === null || recorded === undefined) {
    throw new DsgError(
      'NO_PROJECT_CONFIG',
      `The repository at ${where} records no project config (its snapshots were written by the Python dsg or an older dsg), so dsg cannot write ${PROJECT_CONFIG_FILE} for you. ` +
        `Create the folder, write ${PROJECT_CONFIG_FILE} in it by hand with the fields name (${name}), repository ({type: xfs, host: ${loc.host ?? 'localhost'}, mountpoint: ${mountpoint}}; for ZFS also pool), data_dirs and ignore (the lists the team uses), then run "dsg clone" there. The next "dsg sync" by this version records the config in the repository.`,
    );
  }
  if (Buffer.byteLength(JSON.stringify(recorded), 'utf8') > PROJECT_CONFIG_MAX_BYTES) {
    throw new DsgError('CONFIG_INVALID', `${label} is larger than ${PROJECT_CONFIG_MAX_BYTES} bytes; a project config is a few lines. Refusing it: ${NOT_SUPPORTED_HINT}.`);
  }
  const stored = projectConfigFromValue(recorded, label);
  const host = loc.host ?? 'localhost';
  const repository: RepositoryConfig = stored.repository.type === 'zfs' ? { type: 'zfs', host, pool: stored.repository.pool, mountpoint } : { type: 'xfs', host, mountpoint };
  // Re-validated as a whole: the name from the path must be a valid project name too.
  return projectConfigFromValue({ ...stored, name, repository }, `${PROJECT_CONFIG_FILE} for ${where}`);
}

async function cloneFromLocation(text: string, opts: CloneOptions): Promise<CloneOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  const loc = parseLocation(text, cwd);
  const { mountpoint, name } = splitRepositoryPath(loc.path, text);
  const dir = resolve(cwd, opts.directory ?? name);
  if (loc.host === null && (dir === loc.path || dir.startsWith(`${loc.path}/`))) {
    throw new DsgError('USAGE', `clone: ${dir} is inside the repository ${loc.path}; a working copy never lives in its repository. Choose a folder elsewhere: dsg clone ${text} <directory>.`, { exitCode: 2 });
  }
  requireEmptyDestination(dir);
  const config = await readRecordedConfig(loc, mountpoint, name, opts);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, PROJECT_CONFIG_FILE), serializeProjectConfig(config), { flag: 'wx' });
  try {
    return { ...(await cloneHere({ ...opts, cwd: dir })), directory: dir };
  } catch (err) {
    opts.onNotice?.(`${dir} was created and keeps what was verified so far: run "dsg clone" in it to resume, or remove it.`);
    throw err;
  }
}

/** Opens the repository as a folder (a ZFS repository is one too) and reads the config its current snapshot records. */
async function readRecordedConfig(loc: Location, mountpoint: string, name: string, opts: CloneOptions): Promise<ProjectConfig> {
  const probe: ProjectConfig = {
    name,
    repository: { type: 'xfs', host: loc.host ?? 'localhost', mountpoint },
    data_dirs: [...DEFAULT_DATA_DIRS],
    ignore: { ...DEFAULT_IGNORE },
  };
  const user = loadUserConfig({ env: opts.env ?? process.env });
  const remote = openRemote(probe, user);
  try {
    if (!(await remote.exists())) {
      throw new DsgError('REMOTE_NOT_FOUND', `No dsg repository at ${remote.location} (no .dsg/ folder). Check the location: it is the repository folder itself, <mountpoint>/<project name>.`);
    }
    const head = await remote.readManifestHead();
    if (head === null) throw new DsgError('REMOTE_EMPTY', `The repository at ${remote.location} has no snapshot yet; there is nothing to clone.`);
    return configForClone(head.metadata.project_config, remote.location, loc, mountpoint, name);
  } finally {
    await remote.close();
  }
}
