/**
 * `--normalize`: rename tracked paths that break the path rules to a valid form, on disk,
 * before a sync or init scans them. Every rename is reported; nothing is overwritten.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DsgError } from '../errors/DsgError.js';
import { normalizePath, type PathProblem } from '../scan/pathRules.js';
import { NOT_UTF8 } from '../scan/scanner.js';

export interface Rename {
  from: string;
  to: string;
}

export function normalizeInvalidPaths(root: string, problems: PathProblem[]): Rename[] {
  const renames: Rename[] = [];
  for (const problem of problems) {
    // An undecodable name is shown escaped: that text is not its name on disk, so it cannot be renamed here.
    const to = problem.reason.includes(NOT_UTF8) ? null : normalizePath(problem.path);
    if (to === null) throw new DsgError('PATH_UNFIXABLE', `${problem.path} cannot be renamed automatically (${problem.reason}). Rename it by hand.`);
    const target = join(root, ...to.split('/'));
    if (existsSync(target)) throw new DsgError('PATH_UNFIXABLE', `Cannot rename ${problem.path} to ${to}: that path exists already. Rename one of them by hand.`);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(join(root, ...problem.path.split('/')), target);
    renames.push({ from: problem.path, to });
  }
  return renames;
}
