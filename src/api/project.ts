/**
 * Opening a project: find `.dsgconfig.yml` from a directory, load the user config, and build
 * the client and remote filesystems every command works with.
 */
import { hostname, userInfo } from 'node:os';
import { loadProjectConfig, type ProjectConfig } from '../config/projectConfig.js';
import { loadUserConfig, type UserConfig } from '../config/userConfig.js';
import { ClientFilesystem } from '../client/ClientFilesystem.js';
import { openRemote } from '../remote/open.js';
import type { RemoteFilesystem } from '../remote/RemoteFilesystem.js';
import { makeRules, type TrackingRules } from '../scan/rules.js';
import type { Progress } from '../transaction/progress.js';

export interface Project {
  root: string;
  configFile: string;
  config: ProjectConfig;
  user: UserConfig;
  rules: TrackingRules;
  client: ClientFilesystem;
  /** Opened lazily: commands that only look at the working copy do not need it. */
  remote(): RemoteFilesystem;
  close(): Promise<void>;
}

export interface CommonOptions {
  /** Directory to start looking for .dsgconfig.yml (default: process.cwd()). */
  cwd?: string;
  /** Environment for user config lookup (default: process.env). */
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
  /** A config not (yet) on disk, e.g. `init --dry-run` with repository options. */
  presetConfig?: { root: string; file: string; config: ProjectConfig };
  /**
   * 'optional' for commands that write no snapshot (status, log, list-files, blame, validate-*,
   * snapfetch, snapmount): they run without user_name/user_id in dsg.yml (see `actingAs`).
   */
  identity?: 'required' | 'optional';
}

/**
 * Who a command acts as: the user_id of dsg.yml, or for a reader without one, the login and
 * host (what a repository lock taken by its recovery names).
 */
export function actingAs(user: UserConfig): string {
  return user.user_id !== '' ? user.user_id : `${userInfo().username}@${hostname()}`;
}

export function openProject(opts: CommonOptions = {}): Project {
  const { root, file, config } = opts.presetConfig ?? loadProjectConfig(opts.cwd ?? process.cwd());
  const user = loadUserConfig({ env: opts.env ?? process.env, identity: opts.identity });
  let remote: RemoteFilesystem | null = null;
  return {
    root,
    configFile: file,
    config,
    user,
    rules: makeRules(config.data_dirs, config.ignore),
    client: new ClientFilesystem(root),
    remote() {
      remote ??= openRemote(config, user);
      return remote;
    },
    async close() {
      await remote?.close();
    },
  };
}

/** Run `fn` with an open project and always close it. */
export async function withProject<T>(opts: CommonOptions, fn: (p: Project) => Promise<T>): Promise<T> {
  const project = openProject(opts);
  try {
    return await fn(project);
  } finally {
    await project.close();
  }
}
