/**
 * A FILE argument as users give it (relative to the project root, relative to the current
 * directory, or absolute) turned into candidate manifest paths. Pure.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DsgError } from '../errors/DsgError.js';

function toManifestPath(rel: string): string {
  return rel.split(sep).join('/').normalize('NFC');
}

function inside(rel: string): boolean {
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Candidate project-relative paths for `given`, most likely first: relative to the project
 * root, then relative to `cwd` (different only in a subdirectory). Throws a usage error when
 * no reading lies inside the project.
 */
export function pathCandidates(root: string, cwd: string, given: string, command: string): string[] {
  const cleaned = given.replace(/\/+$/, '');
  const out: string[] = [];
  const add = (abs: string): void => {
    const rel = relative(root, abs);
    if (inside(rel)) {
      const p = toManifestPath(rel);
      if (!out.includes(p)) out.push(p);
    }
  };
  if (isAbsolute(cleaned)) add(cleaned);
  else {
    add(resolve(root, cleaned));
    add(resolve(cwd, cleaned));
  }
  if (out.length === 0) throw outsideProject(root, given, command, "Give the file's path relative to the project root or to the current folder.");
  return out;
}

function outsideProject(root: string, given: string, command: string, hint: string): DsgError {
  return new DsgError('USAGE', `${command}: "${given}" is not a path inside the project at ${root}. ${hint}`, { exitCode: 2 });
}

/**
 * `given` as a shell gives it (relative to `cwd`, or absolute) as one project-relative path:
 * '' for the project root itself. Throws a usage error when it lies outside the project.
 */
export function projectPathFromCwd(root: string, cwd: string, given: string, command: string): string {
  const rel = relative(root, resolve(cwd, given));
  if (rel === '') return '';
  if (!inside(rel)) throw outsideProject(root, given, command, 'Give a path inside the project, relative to the current folder.');
  return toManifestPath(rel);
}

/** True when `path` is `under` or inside it ('' is the project root: every path). */
export function isAtOrUnder(path: string, under: string): boolean {
  return under === '' || path === under || path.startsWith(`${under}/`);
}

/** The first candidate `exists` accepts, else null. */
export function pickPath(candidates: readonly string[], exists: (p: string) => boolean): string | null {
  return candidates.find(exists) ?? null;
}
