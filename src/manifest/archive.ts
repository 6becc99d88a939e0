/**
 * Archived manifests `.dsg/archive/<sN>-sync.json.lz4` (SPEC §2.5): a standard LZ4 frame.
 * Readers also accept gzip and the old name variants.
 */
import { gunzipSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { ManifestError } from '../errors/ManifestError.js';

export function archiveFileName(snapshotId: string): string {
  return `${snapshotId}-sync.json.lz4`;
}

/** Names under which snapshot sN's archive may exist, preferred first. */
export function archiveNameCandidates(snapshotId: string): string[] {
  const n = snapshotId.replace(/^s/, '');
  const bases = [`${snapshotId}-sync`, snapshotId, `${n}-sync`, n];
  return bases.flatMap((b) => [`${b}.json.lz4`, `${b}.json.gz`]);
}

/** Snapshot id from an archive file name, or null for a file that is not an archive. */
export function snapshotIdOfArchive(name: string): string | null {
  const m = /^s?([1-9]\d*)(?:-sync)?\.json\.(?:lz4|gz)$/.exec(name);
  return m ? `s${m[1]}` : null;
}

export function compressArchive(json: string): Buffer {
  return compressFrameSync(Buffer.from(json, 'utf8'));
}

export function decompressArchive(data: Buffer, label: string): string {
  try {
    if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return gunzipSync(data).toString('utf8');
    return decompressFrameSync(data).toString('utf8');
  } catch (err) {
    throw new ManifestError(`${label}: cannot be decompressed (${(err as Error).message}); the archive is corrupt.`, { cause: err });
  }
}
