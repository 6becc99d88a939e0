/**
 * The --deep part of validation: every distinct content a set of snapshots refers to is
 * streamed from the repository once and re-hashed. Paths sharing a content share its verdict.
 */
import type { FileEntry, Manifest } from '../manifest/types.js';
import type { RemoteFilesystem } from '../remote/RemoteFilesystem.js';
import { silentProgress, type Progress } from '../transaction/progress.js';
import type { HistoryProblem } from './chain.js';
import { verifyRemoteContent } from './remoteHistory.js';

/**
 * The browsable data tree against the current snapshot (validate --deep). Paths whose stored
 * content was already reported damaged are left out: tree files share the objects' inodes, so
 * that is one problem, not two.
 */
export async function treeProblems(remote: RemoteFilesystem, current: Manifest, reported: readonly HistoryProblem[]): Promise<HistoryProblem[]> {
  const id = current.metadata.snapshot_id;
  const seen = new Set(reported.flatMap((p) => p.paths ?? []));
  return (await remote.checkTree(current)).filter((d) => !seen.has(d.path)).map((d) => ({ snapshot: id, kind: 'tree-mismatch', message: `${d.path}: ${d.problem}.`, paths: [d.path] }));
}

/** The backend's native snapshot of `manifest`'s tree (ZFS @sN), when it keeps one, against that manifest. */
export async function snapshotTreeProblems(remote: RemoteFilesystem, manifest: Manifest): Promise<HistoryProblem[]> {
  const id = manifest.metadata.snapshot_id;
  const diffs = await remote.checkSnapshotTree(manifest);
  return (diffs ?? []).map((d) => ({ snapshot: id, kind: 'snapshot-tree-mismatch', message: `${id}: ${d.path}: ${d.problem}.`, paths: [d.path] }));
}

/** Distinct contents to verify, each with the snapshots and paths that use it. */
export class ContentSet {
  // Per content: its paths and the first and last snapshot using it (compact for long histories).
  private readonly byHash = new Map<string, { entry: FileEntry; paths: Set<string>; first: string; last: string }>();

  /** Add a snapshot's files; call in snapshot order. */
  add(snapshot: string, m: Manifest): void {
    for (const e of m.entries.values()) {
      if (e.type !== 'file') continue;
      const got = this.byHash.get(e.hash);
      if (got) {
        got.paths.add(e.path);
        got.last = snapshot;
      } else this.byHash.set(e.hash, { entry: e, paths: new Set([e.path]), first: snapshot, last: snapshot });
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  get bytes(): number {
    let n = 0;
    for (const { entry } of this.byHash.values()) n += entry.filesize;
    return n;
  }

  /** Verify each content; one problem per bad content, naming every path that uses it. */
  async verify(remote: RemoteFilesystem, progress: Progress = silentProgress): Promise<{ problems: HistoryProblem[]; checked: number; bytes: number }> {
    const problems: HistoryProblem[] = [];
    let bytes = 0;
    progress.phase('verify', this.size, this.bytes);
    try {
      for (const { entry, paths: pathSet, first, last } of this.byHash.values()) {
        const r = await verifyRemoteContent(remote, entry, (n) => progress.bytes(n));
        progress.fileDone();
        if (r.ok) {
          bytes += r.size;
          continue;
        }
        const paths = [...pathSet];
        const shown = paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
        const where = first === last ? `in ${first}` : `first in ${first}, last in ${last}`;
        problems.push({ snapshot: last, kind: r.kind, message: `${shown} (${where}): ${r.error}.`, paths });
      }
    } finally {
      progress.end();
    }
    return { problems, checked: this.size, bytes };
  }
}
