/**
 * list-files: the working copy's tracked files with size, hash, user and mtime; with `all`,
 * also what is ignored and what is skipped (and why).
 *
 * @example
 *   import { listFiles } from 'dsg';
 *   const { files } = await listFiles({ cwd: '/data/myproject', path: 'task1/input' });
 */
import type { Entry } from '../manifest/types.js';
import type { SkippedPath } from '../scan/scanner.js';
import { actingAs, withProject, type CommonOptions } from './project.js';

export interface ListFilesOptions extends CommonOptions {
  /** Restrict to this subtree (relative to the project root). */
  path?: string;
  all?: boolean;
}

export interface ListFilesResult {
  files: Entry[];
  ignored?: string[];
  skipped?: SkippedPath[];
}

export async function listFiles(opts: ListFilesOptions = {}): Promise<ListFilesResult> {
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    const cache = project.client.readCache();
    const scan = await project.client.scan(project.rules, actingAs(project.user), cache?.entries);
    project.client.refreshStatCache(scan);
    const prefix = opts.path ? opts.path.replace(/^\.\//, '').replace(/\/+$/, '') : '';
    const under = (p: string): boolean => prefix === '' || p === prefix || p.startsWith(`${prefix}/`);
    const files = [...scan.entries.values()].filter((e) => under(e.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (!opts.all) return { files };
    return { files, ignored: scan.ignored.filter(under), skipped: scan.skipped.filter((s) => under(s.path)) };
  });
}
