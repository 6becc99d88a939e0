/**
 * Writing file versions from the repository's history to local files, verified: the bytes go
 * to a temporary name beside the target, are hashed on the way, and only a file whose XXH3 and
 * size match its entry is renamed into place (with the entry's mtime).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm, utimes, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { DsgError } from '../errors/DsgError.js';
import { parseManifestTime } from '../manifest/time.js';
import type { FileEntry } from '../manifest/types.js';
import type { RemoteFilesystem } from '../remote/RemoteFilesystem.js';
import { streamHashing } from './remoteHistory.js';

function mismatch(entry: FileEntry, snapshot: string, got: { hash: string; size: number }): DsgError {
  return new DsgError(
    'CONTENT_MISMATCH',
    `The repository's content of ${entry.path} in ${snapshot} is damaged: expected hash ${entry.hash} (${entry.filesize} bytes), got ${got.hash} (${got.size} bytes). Run "dsg validate-snapshot -n ${snapshot} --deep" to see what else is affected.`,
  );
}

/** Write `entry`'s content from `remote` to `file`, verified; nothing is left at `file` on failure. */
export async function fetchToFile(remote: RemoteFilesystem, entry: FileEntry, snapshot: string, file: string, onBytes?: (n: number) => void): Promise<{ size: number }> {
  const tmp = `${file}.dsg-fetch-${randomBytes(4).toString('hex')}.tmp`;
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'wx');
  } catch (err) {
    throw new DsgError('OUTPUT_UNWRITABLE', `Cannot write ${file}: ${(err as Error).message}. Check that its folder exists and is writable, or choose another place.`, { cause: err });
  }
  let got: { hash: string; size: number };
  try {
    const source = await remote.openContent(entry, snapshot);
    got = await streamHashing(
      source,
      async (chunk) => {
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      },
      onBytes,
    );
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  if (got.hash !== entry.hash || got.size !== entry.filesize) {
    await rm(tmp, { force: true });
    throw mismatch(entry, snapshot, got);
  }
  const t = parseManifestTime(entry.mtime);
  if (!Number.isNaN(t)) await utimes(tmp, t, t);
  await rename(tmp, file);
  return { size: got.size };
}

/**
 * Stream `entry`'s content to a writable (stdout), verified as it goes. The bytes are out
 * before the hash is known, so a mismatch is reported after the fact (an error, exit 1).
 */
export async function fetchToStream(remote: RemoteFilesystem, entry: FileEntry, snapshot: string, dest: Writable): Promise<{ size: number }> {
  const source = await remote.openContent(entry, snapshot);
  // A reader that goes away (`| head`) makes the destination emit EPIPE: stop, say so.
  let failed: Error | null = null;
  const onError = (err: Error): void => {
    failed = err;
  };
  dest.on('error', onError);
  let got: { hash: string; size: number };
  try {
    got = await streamHashing(source, async (chunk) => {
      if (failed) throw failed;
      if (!dest.write(chunk)) await once(dest, 'drain');
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
      throw new DsgError('OUTPUT_CLOSED', `The reader of standard output closed it before ${entry.path} (${snapshot}) was written in full; the output is incomplete.`, { cause: err });
    }
    throw err;
  } finally {
    dest.off('error', onError);
  }
  if (got.hash !== entry.hash || got.size !== entry.filesize) throw mismatch(entry, snapshot, got);
  return { size: got.size };
}
