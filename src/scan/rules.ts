/**
 * Which paths dsg tracks (SPEC §3): data_dirs, hidden components, .dsg/, ignore rules and
 * conflict backups. Pure functions over relative `/`-separated paths.
 */
import type { IgnoreConfig } from '../config/projectConfig.js';

/** `<name>~YYYYMMDDTHHMMSS±HHMM~`: a backup written before a conflict overwrote a file. */
export const CONFLICT_BACKUP = /~\d{8}T\d{6}[+-]\d{4}~$/;

export interface TrackingRules {
  dataDirs: ReadonlySet<string>;
  everything: boolean;
  ignorePaths: ReadonlySet<string>;
  ignoreNames: ReadonlySet<string>;
  ignoreSuffixes: readonly string[];
}

export function makeRules(dataDirs: readonly string[], ignore: IgnoreConfig): TrackingRules {
  const clean = (p: string): string => p.replace(/^\.\//, '').replace(/\/+$/, '');
  return {
    dataDirs: new Set(dataDirs),
    everything: dataDirs.includes('*'),
    ignorePaths: new Set(ignore.paths.map(clean).filter((p) => p.length > 0)),
    ignoreNames: new Set(ignore.names),
    ignoreSuffixes: [...ignore.suffixes],
  };
}

/** A component hides everything below it: dot-names and the .dsg folder. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

/** Some component of the path is a data directory name (or data_dirs has "*"). */
export function inDataDir(rules: TrackingRules, relPath: string): boolean {
  if (rules.everything) return true;
  for (const c of relPath.split('/')) if (rules.dataDirs.has(c)) return true;
  return false;
}

/**
 * Why a directory is ignored (so the walk does not enter it), or null.
 * `relPath` is the directory's path, `name` its last component.
 */
export function ignoredDirectory(rules: TrackingRules, relPath: string, name: string): string | null {
  if (rules.ignorePaths.has(relPath)) return 'ignore.paths';
  if (rules.ignoreNames.has(name)) return 'ignore.names';
  return null;
}

/** Why a file (in a directory that is not itself ignored) is ignored, or null. */
export function ignoredFile(rules: TrackingRules, relPath: string, name: string): string | null {
  if (rules.ignorePaths.has(relPath)) return 'ignore.paths';
  if (rules.ignoreNames.has(name)) return 'ignore.names';
  for (const s of rules.ignoreSuffixes) if (name.endsWith(s)) return 'ignore.suffixes';
  if (CONFLICT_BACKUP.test(name)) return 'conflict backup';
  return null;
}

/** Whole-path check (for paths that did not come from a walk, e.g. a remote manifest). */
export function isTrackedPath(rules: TrackingRules, relPath: string): boolean {
  const parts = relPath.split('/');
  if (parts.some(isHiddenName)) return false;
  if (!inDataDir(rules, relPath)) return false;
  let prefix = '';
  for (let i = 0; i < parts.length - 1; i++) {
    prefix = prefix ? `${prefix}/${parts[i]}` : parts[i];
    if (ignoredDirectory(rules, prefix, parts[i])) return false;
  }
  return ignoredFile(rules, relPath, parts[parts.length - 1]) === null;
}
