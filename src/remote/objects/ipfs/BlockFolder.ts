/**
 * An IPFS blockstore in a folder, in the layout of `blockstore-fs` and Kubo's flatfs
 * (`<BASE32 multihash>.data` in a folder named by its next-to-last two characters), so other
 * IPFS tools can open it; written here rather than taken from blockstore-fs because the folder
 * is shared and may be hostile: every block read is bounded, opened without following a
 * symlink or blocking on a FIFO, and checked against its CID before anyone uses it. Writes are
 * atomic (a temporary file renamed into place), so a killed writer never leaves a partial block
 * under a valid name.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { base32upper } from 'multiformats/bases/base32';
import type { CID } from 'multiformats/cid';
import { FileReadError } from '../../../errors/FileReadError.js';
import { readRegularFile } from '../../../platform/safeOpen.js';
import { ObjectStoreError } from '../ObjectStore.js';

/** Largest block accepted: bitswap's limit (our own blocks are at most 256 KiB + a node). */
export const MAX_BLOCK = 2 << 20;
const SHA2_256 = 0x12;

/**
 * Check that every folder from `root` (excluded) down to `dir` is a real folder, not a
 * symbolic link someone put in the shared folder: dsg never writes through one.
 */
export async function requireRealFolders(root: string, dir: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel === '') return;
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${dir} is not inside ${root}`);
  let cur = root;
  for (const part of rel.split(sep)) {
    cur = join(cur, part);
    const st = await lstat(cur);
    if (!st.isDirectory()) {
      throw new ObjectStoreError(`${cur} in the blockstore folder is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; dsg does not write through it. Restore the folder from a copy.`, { code: 'REPOSITORY_DAMAGED' });
    }
  }
}

export class BlockFolder {
  constructor(readonly root: string) {}

  /** Folder and file of a block (blockstore-fs NextToLast, prefix length 2). */
  pathOf(cid: CID): string {
    const name = base32upper.encoder.encode(cid.multihash.bytes);
    return join(this.root, name.slice(-2), `${name}.data`);
  }

  async has(cid: CID): Promise<boolean> {
    try {
      return (await lstat(this.pathOf(cid))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async put(cid: CID, bytes: Uint8Array): Promise<CID> {
    const file = this.pathOf(cid);
    // Content-addressed: a block already there holds these bytes, unless it was damaged, and
    // then this write repairs it (skipping it would commit a snapshot naming a bad block).
    if (await this.has(cid)) {
      try {
        await this.read(cid);
        return cid;
      } catch (err) {
        if (!(err instanceof ObjectStoreError) || err.code !== 'BLOCK_DAMAGED') throw err;
      }
    }
    const dir = join(file, '..');
    await mkdir(dir, { recursive: true });
    await requireRealFolders(join(this.root, '..'), dir);
    const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    const h = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await h.writeFile(bytes);
    } finally {
      await h.close();
    }
    try {
      await rename(tmp, file); // atomic; replaces a damaged block or a link, never follows one
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return cid;
  }

  /** The interface the UnixFS exporter reads through: one verified block. */
  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this.read(cid);
  }

  /** A block's bytes (bounded, never through a link or a FIFO: platform/safeOpen.ts), verified against its CID. */
  async read(cid: CID): Promise<Buffer> {
    const file = this.pathOf(cid);
    if (cid.multihash.code !== SHA2_256) {
      throw new ObjectStoreError(`block ${cid} uses a hash dsg does not verify (code ${cid.multihash.code}); only sha2-256 blocks are read`, { code: 'BLOCK_DAMAGED' });
    }
    let bytes: Buffer | null;
    try {
      bytes = await readRegularFile(file, MAX_BLOCK, 'a blockstore holds only block files; remove it or restore the block from a copy');
    } catch (err) {
      if (err instanceof FileReadError) throw new ObjectStoreError(`block file ${file} is damaged: ${err.message}`, { code: 'BLOCK_DAMAGED', cause: err });
      throw new ObjectStoreError(`cannot read block ${file}: ${(err as Error).message}`, { code: (err as NodeJS.ErrnoException).code, cause: err });
    }
    if (bytes === null) throw new ObjectStoreError(`block ${cid} is missing from the blockstore (${file}): the repository is incomplete`, { code: 'BLOCK_MISSING' });
    if (!createHash('sha256').update(bytes).digest().equals(cid.multihash.digest)) {
      throw new ObjectStoreError(`block file ${file} is damaged: its content does not match its CID ${cid}`, { code: 'BLOCK_DAMAGED' });
    }
    return bytes;
  }
}
