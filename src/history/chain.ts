/**
 * Checking a repository's history (SPEC §2.3–2.5): every snapshot s1…sN has an archive that
 * parses (its own entry_count and entries_hash), links to s(N-1), has a snapshot_hash that
 * recomputes from its content, message, config and predecessor, carries the same metadata as
 * sync-messages, and the current manifest is the newest archive. Pure: archives come from a
 * reader the caller supplies, one at a time, so a long history is never held in memory.
 * Snapshots of dsg 0.4.4 have no archive in the repository (that tool never stored them): for
 * those only the metadata chain is checked, and the gap is a note, not a problem.
 */
import { computeSnapshotHash, METADATA_FIELDS } from '../manifest/codec.js';
import { oldToolGap, writtenByOldTool } from '../manifest/oldTool.js';
import type { Manifest, ManifestMetadata } from '../manifest/types.js';
import { snapshotNumber, sortSnapshotIds } from './snapshotId.js';

export type ProblemKind =
  | 'sequence-gap'
  | 'archive-missing'
  | 'archive-corrupt'
  | 'previous-link'
  | 'snapshot-hash'
  | 'metadata-mismatch'
  | 'current-missing'
  | 'current-mismatch'
  | 'content-missing'
  | 'content-mismatch'
  | 'content-unreadable'
  | 'tree-mismatch'
  | 'snapshot-tree-mismatch';

export interface HistoryProblem {
  /** The snapshot concerned (null: the repository as a whole). */
  snapshot: string | null;
  kind: ProblemKind;
  message: string;
  /** For content problems: the paths whose content is affected. */
  paths?: string[];
}

/** A finding that is not damage: a snapshot of the old tool without an archived manifest. */
export interface HistoryNote {
  snapshot: string;
  kind: 'archive-not-stored-by-old-tool';
  message: string;
}

/** What reading one archive gave. */
export type ArchiveRead =
  | { status: 'ok'; manifest: Manifest }
  | { status: 'missing'; error: string }
  | { status: 'corrupt'; error: string };

/** What to do about each kind of problem (printed once per kind). */
export const PROBLEM_FIX: Record<ProblemKind, string> = {
  'sequence-gap': 'a snapshot is missing from .dsg/sync-messages.json; copy an intact sync-messages.json from a working copy that synced recently (it keeps one in its .dsg/).',
  'archive-missing': "copy the archive from a working copy's .dsg/archive/ (every clone keeps them) back into the repository's .dsg/archive/.",
  'archive-corrupt': "replace the archive with the copy in a working copy's .dsg/archive/ (every clone keeps them).",
  'previous-link': "restore .dsg/sync-messages.json from a working copy's .dsg/ copy; snapshot links are never edited by dsg after they are written.",
  'snapshot-hash': "the recorded history was changed after it was written; restore .dsg/sync-messages.json and the archives from a working copy's .dsg/.",
  'metadata-mismatch': "restore .dsg/sync-messages.json (or the archive) from a working copy's .dsg/ copy.",
  'current-missing': 'the repository has history but no current manifest; run "dsg recover" or copy the newest archive, decompressed, to .dsg/last-sync.json.',
  'current-mismatch': 'the current manifest is not the newest snapshot of the history; run "dsg recover", then restore .dsg/last-sync.json from the newest archive if this remains.',
  'content-missing': 'a working copy that holds the file with this hash can restore it: copy it to the path named in the repository, or sync it again from there.',
  'content-mismatch': "the stored bytes no longer match their hash (bit rot or an edit on the server); restore the file from a working copy or a backup that holds the original content.",
  'content-unreadable': 'check permissions and the health of the disk holding the repository.',
  'snapshot-tree-mismatch':
    "the repository's own snapshot of it (ZFS @sN) is missing or differs from the snapshot's manifest; dsg reads that snapshot's content from .dsg/objects/ meanwhile. An administrator must check the dataset's snapshots (dsg never destroys or replaces one).",
  'tree-mismatch': 'if a sync was interrupted or failed after publishing, run "dsg recover" to finish it; otherwise the data tree was changed on the server: restore those files from a working copy or run "dsg sync" from one that holds them.',
};

/** Metadata fields whose values differ (project_config compared as JSON). */
export function metadataDifferences(a: ManifestMetadata, b: ManifestMetadata): (keyof ManifestMetadata)[] {
  return METADATA_FIELDS.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** Ids must run s1, s2, … without a hole. */
export function checkSequence(ids: Iterable<string>): HistoryProblem[] {
  const sorted = sortSnapshotIds(ids);
  const problems: HistoryProblem[] = [];
  let expect = 1;
  for (const id of sorted) {
    const n = snapshotNumber(id);
    if (n > expect) {
      const missing = expect === n - 1 ? `s${expect}` : `s${expect}…s${n - 1}`;
      problems.push({ snapshot: `s${expect}`, kind: 'sequence-gap', message: `${missing} ${expect === n - 1 ? 'is' : 'are'} missing from the history (sync-messages.json jumps to ${id}).` });
    }
    expect = n + 1;
  }
  return problems;
}

export interface SnapshotCheckInput {
  id: string;
  /** Its metadata in sync-messages. */
  meta: ManifestMetadata;
  /** The metadata of s(N-1) in sync-messages; null for s1; undefined when s(N-1) is absent. */
  previous: ManifestMetadata | null | undefined;
  archive: ArchiveRead;
}

/** One snapshot's own record and its link to the one before. */
export function checkSnapshotRecord({ id, meta, previous, archive }: SnapshotCheckInput): HistoryProblem[] {
  const problems: HistoryProblem[] = [];
  const n = snapshotNumber(id);
  const expectedPrev = n === 1 ? null : `s${n - 1}`;
  if (archive.status === 'missing' && !writtenByOldTool(meta)) problems.push({ snapshot: id, kind: 'archive-missing', message: `${id}: its archived manifest is missing: ${archive.error}` });
  if (archive.status === 'corrupt') problems.push({ snapshot: id, kind: 'archive-corrupt', message: `${id}: its archived manifest is corrupt: ${archive.error}` });
  if (meta.snapshot_previous !== expectedPrev) {
    problems.push({
      snapshot: id,
      kind: 'previous-link',
      message: `${id}: snapshot_previous is ${show(meta.snapshot_previous)} in sync-messages.json, expected ${show(expectedPrev)}.`,
    });
  }
  if (previous !== undefined) {
    const computed = computeSnapshotHash(meta.entries_hash, meta.snapshot_message, meta.project_config, previous?.snapshot_hash ?? null);
    if (computed !== meta.snapshot_hash) {
      problems.push({
        snapshot: id,
        kind: 'snapshot-hash',
        message: `${id}: snapshot_hash ${meta.snapshot_hash} does not recompute from its entries_hash, message, project_config and ${expectedPrev ?? 'no predecessor'} (computed ${computed}).`,
      });
    }
  }
  if (archive.status === 'ok') {
    const diff = metadataDifferences(archive.manifest.metadata, meta);
    if (diff.length > 0) {
      const detail = diff.map((k) => `${k} ${show(archive.manifest.metadata[k])} in the archive, ${show(meta[k])} in sync-messages.json`).join('; ');
      problems.push({ snapshot: id, kind: 'metadata-mismatch', message: `${id}: the archive and sync-messages.json disagree: ${detail}.` });
    }
  }
  return problems;
}

/** The current manifest must be the newest snapshot, identical to its archive. */
export function checkCurrent(newestId: string | null, newestArchive: ArchiveRead | null, current: Manifest | null): HistoryProblem[] {
  if (newestId === null) {
    return current === null
      ? []
      : [{ snapshot: current.metadata.snapshot_id, kind: 'current-mismatch', message: `The current manifest is ${current.metadata.snapshot_id} but sync-messages.json lists no snapshot.` }];
  }
  if (current === null) return [{ snapshot: newestId, kind: 'current-missing', message: `The history ends at ${newestId} but the repository has no current manifest (.dsg/last-sync.json).` }];
  if (current.metadata.snapshot_id !== newestId) {
    return [{ snapshot: newestId, kind: 'current-mismatch', message: `The current manifest is ${current.metadata.snapshot_id} but the newest snapshot in sync-messages.json is ${newestId}.` }];
  }
  if (newestArchive?.status !== 'ok') return [];
  const diff = metadataDifferences(current.metadata, newestArchive.manifest.metadata);
  if (diff.length === 0) return [];
  return [{ snapshot: newestId, kind: 'current-mismatch', message: `The current manifest (.dsg/last-sync.json) differs from the archive of ${newestId} in ${diff.join(', ')}.` }];
}

export interface ChainInput {
  /** sync-messages' snapshots. */
  snapshots: ReadonlyMap<string, ManifestMetadata>;
  current: Manifest | null;
  readArchive: (id: string) => Promise<ArchiveRead>;
  /** Called with each archive that parsed, oldest first (e.g. to collect content to verify). */
  onArchive?: (id: string, manifest: Manifest) => void;
  /** Called for each snapshot of the old tool without an archive (not a problem). */
  onNote?: (note: HistoryNote) => void;
}

/** The note for a snapshot whose archive the old tool never stored; null for anything else. */
export function oldToolNote(id: string, meta: ManifestMetadata, archive: ArchiveRead): HistoryNote | null {
  if (archive.status !== 'missing' || !writtenByOldTool(meta)) return null;
  return { snapshot: id, kind: 'archive-not-stored-by-old-tool', message: `${id}: ${oldToolGap(meta)}; only its metadata and hash chain were checked.` };
}

/** Every broken link, in snapshot order; an empty list means the chain is intact. */
export async function checkChain(input: ChainInput): Promise<HistoryProblem[]> {
  const ids = sortSnapshotIds(input.snapshots.keys());
  const problems = checkSequence(ids);
  let newest: ArchiveRead | null = null;
  for (const id of ids) {
    const n = snapshotNumber(id);
    const meta = input.snapshots.get(id)!;
    const previous = n === 1 ? null : input.snapshots.get(`s${n - 1}`);
    const archive = await input.readArchive(id);
    problems.push(...checkSnapshotRecord({ id, meta, previous, archive }));
    if (archive.status === 'ok') input.onArchive?.(id, archive.manifest);
    const note = oldToolNote(id, meta, archive);
    if (note) {
      input.onNote?.(note);
      // Without an archive, the current manifest is this snapshot's only full record.
      const diff = input.current?.metadata.snapshot_id === id ? metadataDifferences(input.current.metadata, meta) : [];
      if (diff.length > 0) problems.push({ snapshot: id, kind: 'metadata-mismatch', message: `${id}: the current manifest and sync-messages.json disagree in ${diff.join(', ')}.` });
    }
    // Only the newest archive is kept, for the comparison with the current manifest.
    newest = archive;
  }
  problems.push(...checkCurrent(ids.length ? ids[ids.length - 1] : null, newest, input.current));
  return problems;
}
