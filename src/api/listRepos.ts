/**
 * list-repos: the repositories under the configured default host and path (user config
 * `default_host` + `default_project_path`), or, when those are not set, under the current
 * project's repository mountpoint. Each folder holding `.dsg/` is a repository; its current
 * manifest is read and verified.
 *
 * @example
 *   import { listRepos } from 'dsg';
 *   const r = await listRepos();
 *   for (const repo of r.repos) console.log(repo.name, repo.snapshot, repo.error ?? '');
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findProjectRoot, isLocalHost, loadProjectConfig } from '../config/projectConfig.js';
import { loadUserConfig } from '../config/userConfig.js';
import { ConfigError } from '../errors/ConfigError.js';
import { DsgError } from '../errors/DsgError.js';
import { PosixRemote } from '../remote/posix/PosixRemote.js';
import { LocalTransport } from '../transport/local/LocalTransport.js';
import type { CommonOptions } from './project.js';

export interface RepoInfo {
  name: string;
  path: string;
  /** Current snapshot id; null when the repository has none yet or its manifest is unreadable. */
  snapshot: string | null;
  entries: number | null;
  bytes: number | null;
  /** Time, user and message of the current snapshot. */
  changed_at: string | null;
  changed_by: string | null;
  message: string | null;
  /** Why the manifest could not be read; absent when it was. */
  error?: string;
}

export interface ListReposResult {
  host: string;
  path: string;
  /** Where the location came from. */
  source: 'user-config' | 'project';
  repos: RepoInfo[];
}

function locate(opts: CommonOptions): { host: string; path: string; source: ListReposResult['source'] } {
  const user = loadUserConfig({ env: opts.env ?? process.env });
  if (user.default_project_path) return { host: user.default_host ?? 'localhost', path: user.default_project_path, source: 'user-config' };
  const cwd = opts.cwd ?? process.cwd();
  if (findProjectRoot(cwd) === null) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `list-repos: no place to look: set default_project_path (and default_host) in your dsg.yml (${user.sources[user.sources.length - 1]}), e.g. "default_project_path: /srv/repos", or run it inside a project.`,
    );
  }
  const { config } = loadProjectConfig(cwd);
  const r = config.repository;
  if (r.type !== 'xfs' && r.type !== 'zfs') {
    throw new DsgError('NOT_IMPLEMENTED', `list-repos: repositories of type ${r.type} cannot be listed by this version of dsg; set default_host and default_project_path in your dsg.yml to a local folder.`);
  }
  return { host: r.host, path: r.mountpoint, source: 'project' };
}

async function describe(name: string, dir: string): Promise<RepoInfo> {
  const info: RepoInfo = { name, path: dir, snapshot: null, entries: null, bytes: null, changed_at: null, changed_by: null, message: null };
  const remote = new PosixRemote(new LocalTransport(), dir);
  try {
    const m = await remote.readManifest();
    if (m === null) return info;
    let bytes = 0;
    for (const e of m.entries.values()) if (e.type === 'file') bytes += e.filesize;
    Object.assign(info, {
      snapshot: m.metadata.snapshot_id,
      entries: m.entries.size,
      bytes,
      changed_at: m.metadata.created_at,
      changed_by: m.metadata.created_by,
      message: m.metadata.snapshot_message,
    });
  } catch (err) {
    info.error = err instanceof Error ? err.message : String(err);
  } finally {
    await remote.close();
  }
  return info;
}

export async function listRepos(opts: CommonOptions = {}): Promise<ListReposResult> {
  const { host, path, source } = locate(opts);
  if (!isLocalHost(host)) {
    throw new DsgError('NOT_IMPLEMENTED', `list-repos: ${host} is not this machine; listing repositories over SSH is not supported by this version of dsg yet. Run "dsg list-repos" on ${host}, or set default_host: localhost.`);
  }
  const base = resolve(path);
  let names: string[];
  try {
    names = readdirSync(base).sort();
  } catch (err) {
    throw new DsgError('REPOS_PATH_UNREADABLE', `list-repos: cannot read ${base} (${(err as Error).message}). Check default_project_path in your dsg.yml (or the project's repository mountpoint).`, { cause: err });
  }
  const repos: RepoInfo[] = [];
  for (const name of names) {
    const dir = join(base, name);
    if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
    if (!lstatSync(join(dir, '.dsg'), { throwIfNoEntry: false })?.isDirectory()) continue;
    repos.push(await describe(name, dir));
  }
  return { host, path: base, source, repos };
}
