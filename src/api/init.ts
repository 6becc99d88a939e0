/**
 * init: create the repository from the working copy's tracked files as snapshot s1.
 *
 * @example
 *   import { init } from 'dsg';
 *   await init({ cwd: '/data/myproject', message: 'first import' });
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_CONFIG_FILE, serializeProjectConfig, DEFAULT_DATA_DIRS, DEFAULT_IGNORE, type ProjectConfig } from '../config/projectConfig.js';
import { DsgError } from '../errors/DsgError.js';
import { runTransaction, type SyncOptions, type SyncOutcome } from './sync.js';
import { PublishedIncompleteError } from '../errors/PublishedIncompleteError.js';
import { withProject } from './project.js';

export interface InitOptions extends SyncOptions {
  /** Write a new .dsgconfig.yml in `cwd` from these settings (when none exists there). */
  /** `pool` given: a ZFS repository (dataset `<pool>/<name>` mounted at `<mountpoint>/<name>`); else a POSIX folder. */
  writeConfig?: { name: string; host: string; mountpoint: string; pool?: string; dataDirs?: string[] };
}

export type InitOutcome = SyncOutcome & { configWritten: string | null; repository: string };

export async function init(opts: InitOptions = {}): Promise<InitOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  let configWritten: string | null = null;
  let presetConfig: InitOptions['presetConfig'];
  if (opts.writeConfig) {
    const file = join(cwd, PROJECT_CONFIG_FILE);
    if (existsSync(file)) throw new DsgError('CONFIG_EXISTS', `${file} exists already; remove the repository options to use it, or edit it.`, { exitCode: 2 });
    const w = opts.writeConfig;
    const config: ProjectConfig = {
      name: w.name,
      repository: w.pool !== undefined ? { type: 'zfs', host: w.host, pool: w.pool, mountpoint: w.mountpoint } : { type: 'xfs', host: w.host, mountpoint: w.mountpoint },
      data_dirs: w.dataDirs ?? [...DEFAULT_DATA_DIRS],
      ignore: { paths: [...DEFAULT_IGNORE.paths], names: [...DEFAULT_IGNORE.names], suffixes: [...DEFAULT_IGNORE.suffixes] },
    };
    const text = serializeProjectConfig(config);
    if (opts.dryRun) presetConfig = { root: cwd, file, config };
    else {
      writeFileSync(file, text);
      configWritten = file;
    }
  }
  try {
    return await initProject(opts, cwd, presetConfig, configWritten);
  } catch (err) {
    // An init that failed (no user config, repository unreachable, …) takes back the
    // .dsgconfig.yml it wrote, so the same command can simply be run again once fixed.
    // Not after the commit point: then s1 exists and the next command finishes the init with it.
    if (configWritten !== null && !(err instanceof PublishedIncompleteError)) rmSync(configWritten, { force: true });
    throw err;
  }
}

async function initProject(opts: InitOptions, cwd: string, presetConfig: InitOptions['presetConfig'], configWritten: string | null): Promise<InitOutcome> {
  return withProject({ ...opts, cwd, presetConfig }, async (project) => {
    const remote = project.remote();
    if (project.client.readCache() !== null) {
      throw new DsgError('ALREADY_INITIALIZED', `${project.root} is already a working copy of a repository (.dsg/last-sync.json exists). Use "dsg sync".`);
    }
    if (!opts.dryRun) {
      if (await remote.exists()) {
        if ((await remote.readManifest()) !== null) {
          throw new DsgError('REMOTE_EXISTS', `A repository with snapshots already exists at ${remote.location}. Use "dsg clone" to get it, or choose another project name.`);
        }
      } else await remote.create({ force: opts.force, onNotice: opts.onNotice });
    }
    const result = await runTransaction(project, 'init', { ...opts, message: opts.message ?? 'Initial snapshot' });
    return { ...result, configWritten, repository: remote.location };
  });
}
