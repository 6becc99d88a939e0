/**
 * Snapshot ids as users type them (`s3`, `S3`, `3`) and as the formats store them (`s3`), and
 * the choice of a snapshot from a repository's history. Pure.
 */
import { DsgError } from '../errors/DsgError.js';

const TYPED = /^[sS]?([1-9]\d*)$/;

/** What stands for the newest snapshot wherever a snapshot id is asked for. */
export const LATEST = 'latest';

/** `s3` from "s3", "S3" or "3", or `latest` (see resolveSnapshotId); a usage error (exit 2) for anything else. */
export function parseSnapshotId(input: string, command: string): string {
  if (input.trim().toLowerCase() === LATEST) return LATEST;
  const m = TYPED.exec(input.trim());
  if (!m) throw new DsgError('USAGE', `${command}: -n takes a snapshot id like s3 (or 3, or latest), not "${input}". "dsg log" lists the snapshots.`, { exitCode: 2 });
  return `s${m[1]}`;
}

/** The id itself, or for `latest` the newest of the repository's snapshots (sorted `known`). */
export function resolveSnapshotId(id: string, known: readonly string[], location: string): string {
  if (id !== LATEST) return id;
  if (known.length === 0) throw new DsgError('SNAPSHOT_NOT_FOUND', `The repository at ${location} has no snapshots yet, so there is no latest one.`);
  return known[known.length - 1]!;
}

export function snapshotNumber(id: string): number {
  return Number(id.slice(1));
}

/** Ids in numeric order (s2 before s10). */
export function sortSnapshotIds(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => snapshotNumber(a) - snapshotNumber(b));
}

/** "s1…s5", "s1" or "no snapshots", for messages. */
export function describeRange(ids: readonly string[]): string {
  if (ids.length === 0) return 'no snapshots';
  const sorted = sortSnapshotIds(ids);
  return sorted.length === 1 ? sorted[0] : `${sorted[0]}…${sorted[sorted.length - 1]}`;
}

/** Fail, naming what exists, when `id` is not one of the repository's snapshots. */
export function requireKnownSnapshot(id: string, known: readonly string[], location: string): void {
  if (known.includes(id)) return;
  throw new DsgError(
    'SNAPSHOT_NOT_FOUND',
    `Snapshot ${id} does not exist in the repository at ${location} (it has ${describeRange(known)}). Run "dsg log" to see them.`,
  );
}
