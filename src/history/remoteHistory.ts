/**
 * Reading history from a RemoteFilesystem for the history and validation commands: archives
 * read without throwing (so every problem can be listed), content re-hashed as it streams.
 */
import type { Readable } from 'node:stream';
import { DsgError } from '../errors/DsgError.js';
import { FileReadError } from '../errors/FileReadError.js';
import { ManifestError } from '../errors/ManifestError.js';
import { parseArchive } from '../manifest/archive.js';
import { StreamingHash } from '../manifest/hash.js';
import { writtenByOldTool } from '../manifest/oldTool.js';
import type { FileEntry, Manifest, ManifestMetadata } from '../manifest/types.js';
import type { RemoteFilesystem } from '../remote/RemoteFilesystem.js';
import type { ArchiveRead } from './chain.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Read and verify one archive, reporting (not throwing) a missing or corrupt one. `strict`
 * (validators): an archive file the backend would stand in for with the current manifest
 * still counts as missing.
 */
export async function readArchiveChecked(remote: RemoteFilesystem, id: string, opts: { strict?: boolean } = {}): Promise<ArchiveRead> {
  const where = `${remote.location}/.dsg/archive/${id}-sync.json.lz4`;
  // A backend may stand in for the current snapshot's archive; a validator must still see it missing.
  if (opts.strict && !(await remote.hasArchive(id))) return { status: 'missing', error: `${where} does not exist.` };
  let bytes: Buffer;
  try {
    bytes = await remote.readArchiveBytes(id);
  } catch (err) {
    return err instanceof ManifestError ? { status: 'missing', error: message(err) } : { status: 'corrupt', error: `${where} cannot be read: ${message(err)}` };
  }
  try {
    const label = `archive of ${id} (${where})`;
    return { status: 'ok', manifest: parseArchive(bytes, label) };
  } catch (err) {
    return { status: 'corrupt', error: message(err) };
  }
}

/** Read one archive or fail with a message that names it and says what to do. */
export async function readArchiveOrFail(remote: RemoteFilesystem, id: string): Promise<Manifest> {
  return archiveOrFail(id, await readArchiveChecked(remote, id));
}

/** As readArchiveOrFail, but null for a snapshot of dsg 0.4.4, whose archive was never stored in the repository. */
export async function readArchiveOrOldToolGap(remote: RemoteFilesystem, id: string, meta: ManifestMetadata): Promise<Manifest | null> {
  const r = await readArchiveChecked(remote, id);
  return r.status === 'missing' && writtenByOldTool(meta) ? null : archiveOrFail(id, r);
}

function archiveOrFail(id: string, r: ArchiveRead): Manifest {
  if (r.status === 'ok') return r.manifest;
  throw new DsgError('HISTORY_DAMAGED', `Cannot read snapshot ${id}: ${r.error} Run "dsg validate-chain" to see the state of the history.`);
}

export type ContentCheck = { ok: true; size: number } | { ok: false; kind: 'content-missing' | 'content-mismatch' | 'content-unreadable'; error: string };

/** Stream `source` into `sink`, hashing; throws nothing about the hash (the caller compares). */
export async function streamHashing(source: Readable, sink?: (chunk: Buffer) => Promise<void> | void, onBytes?: (n: number) => void): Promise<{ hash: string; size: number }> {
  const h = new StreamingHash();
  for await (const chunk of source) {
    const buf = chunk as Buffer;
    h.update(buf);
    if (sink) await sink(buf);
    onBytes?.(buf.length);
  }
  return { hash: h.digest(), size: h.size };
}

function isTooLarge(err: unknown): boolean {
  return err instanceof FileReadError && err.code === 'FILE_TOO_LARGE';
}

/** More bytes than the entry states (reading stopped there): a mismatch, classified like one below. */
async function tooLargeCheck(remote: RemoteFilesystem, entry: FileEntry, err: unknown): Promise<ContentCheck> {
  if (!(await remote.hasStoredContent(entry.hash))) {
    return { ok: false, kind: 'content-missing', error: `no stored copy of the version with hash ${entry.hash} (${remote.location}/${entry.path} holds other content: ${message(err)})` };
  }
  return { ok: false, kind: 'content-mismatch', error: `content stored for hash ${entry.hash} (${entry.filesize} bytes): ${message(err)}` };
}

/** Re-hash one file's content on the remote and compare with its entry. */
export async function verifyRemoteContent(remote: RemoteFilesystem, entry: FileEntry, onBytes?: (n: number) => void): Promise<ContentCheck> {
  let source: Readable;
  try {
    source = await remote.openContent(entry);
  } catch (err) {
    if (isTooLarge(err)) return tooLargeCheck(remote, entry, err);
    const missing = err instanceof DsgError && err.code === 'REMOTE_CONTENT_MISSING';
    return { ok: false, kind: missing ? 'content-missing' : 'content-unreadable', error: message(err) };
  }
  let got: { hash: string; size: number };
  try {
    got = await streamHashing(source, undefined, onBytes);
  } catch (err) {
    if (isTooLarge(err)) return tooLargeCheck(remote, entry, err);
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return { ok: false, kind: missing ? 'content-missing' : 'content-unreadable', error: `reading ${entry.path} (hash ${entry.hash}) failed: ${message(err)}` };
  }
  if (got.hash !== entry.hash || got.size !== entry.filesize) {
    // POSIX falls back to the tree for repositories without objects/: there a mismatch means
    // this version was never kept, not that stored bytes changed.
    if (!(await remote.hasStoredContent(entry.hash))) {
      return { ok: false, kind: 'content-missing', error: `no stored copy of the version with hash ${entry.hash} (${remote.location}/${entry.path} holds other content, hash ${got.hash})` };
    }
    return {
      ok: false,
      kind: 'content-mismatch',
      error: `content stored for hash ${entry.hash} (${entry.filesize} bytes) hashes to ${got.hash} (${got.size} bytes)`,
    };
  }
  return { ok: true, size: got.size };
}
