/**
 * Reading history from a RemoteFilesystem for the history and validation commands: archives
 * read without throwing (so every problem can be listed), content re-hashed as it streams.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { DsgError } from '../errors/DsgError.js';
import { ManifestError } from '../errors/ManifestError.js';
import { archiveNameCandidates, decompressArchive } from '../manifest/archive.js';
import { parseManifest } from '../manifest/codec.js';
import { StreamingHash } from '../manifest/hash.js';
import type { FileEntry, Manifest } from '../manifest/types.js';
import { PosixRemote } from '../remote/posix/PosixRemote.js';
import type { RemoteFilesystem } from '../remote/RemoteFilesystem.js';
import type { ArchiveRead } from './chain.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The POSIX backend serves the current snapshot's archive from last-sync.json when the archive
 * file is absent (it is moved in just after the commit point); a validator must still see
 * that the file is missing. Other backends: null (unknown).
 */
async function archiveFilePresent(remote: RemoteFilesystem, id: string): Promise<boolean | null> {
  if (!(remote instanceof PosixRemote)) return null;
  for (const name of archiveNameCandidates(id)) {
    if (await remote.transport.stat(posix.join(remote.dsgDir, 'archive', name))) return true;
  }
  return false;
}

/** Read and verify one archive, reporting (not throwing) a missing or corrupt one. */
export async function readArchiveChecked(remote: RemoteFilesystem, id: string): Promise<ArchiveRead> {
  const where = `${remote.location}/.dsg/archive/${id}-sync.json.lz4`;
  if ((await archiveFilePresent(remote, id)) === false) return { status: 'missing', error: `${where} does not exist.` };
  let bytes: Buffer;
  try {
    bytes = await remote.readArchiveBytes(id);
  } catch (err) {
    return err instanceof ManifestError ? { status: 'missing', error: message(err) } : { status: 'corrupt', error: `${where} cannot be read: ${message(err)}` };
  }
  try {
    const label = `archive of ${id} (${where})`;
    return { status: 'ok', manifest: parseManifest(decompressArchive(bytes, label), label) };
  } catch (err) {
    return { status: 'corrupt', error: message(err) };
  }
}

/** Read one archive or fail with a message that names it and says what to do. */
export async function readArchiveOrFail(remote: RemoteFilesystem, id: string): Promise<Manifest> {
  const r = await readArchiveChecked(remote, id);
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

/** Re-hash one file's content on the remote and compare with its entry. */
export async function verifyRemoteContent(remote: RemoteFilesystem, entry: FileEntry, onBytes?: (n: number) => void): Promise<ContentCheck> {
  let source: Readable;
  try {
    source = await remote.openContent(entry);
  } catch (err) {
    const missing = err instanceof DsgError && err.code === 'REMOTE_CONTENT_MISSING';
    return { ok: false, kind: missing ? 'content-missing' : 'content-unreadable', error: message(err) };
  }
  let got: { hash: string; size: number };
  try {
    got = await streamHashing(source, undefined, onBytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return { ok: false, kind: missing ? 'content-missing' : 'content-unreadable', error: `reading ${entry.path} (hash ${entry.hash}) failed: ${message(err)}` };
  }
  if (got.hash !== entry.hash || got.size !== entry.filesize) {
    return {
      ok: false,
      kind: 'content-mismatch',
      error: `content stored for hash ${entry.hash} (${entry.filesize} bytes) hashes to ${got.hash} (${got.size} bytes)`,
    };
  }
  return { ok: true, size: got.size };
}
