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
import { closeSync, constants, lstatSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Folders made and checked (requireRealFolders) once per process: the check costs an lstat per
 * level, and a store writes thousands of blocks and records into the same few hundred folders.
 */
export class Folders {
  private readonly ready = new Set<string>();
  constructor(private readonly root: string) {}

  async ensure(dir: string): Promise<void> {
    if (this.ready.has(dir)) return;
    await mkdir(dir, { recursive: true });
    await requireRealFolders(this.root, dir);
    this.ready.add(dir);
  }

  /** The folder was removed (or must be checked again). */
  forget(dir: string): void {
    this.ready.delete(dir);
  }
}

// Temporary names: a random part per process (writers on other hosts share the folder) and a
// counter (a random draw per file showed in profiles).
const TEMP_PREFIX = `${process.pid}-${randomBytes(6).toString('hex')}`;
let tempCounter = 0;
export function tempName(): string {
  return `${TEMP_PREFIX}-${++tempCounter}`;
}

/** Blocks up to this size are written with synchronous calls: one trip through the thread pool per call costs more than the write. */
const SYNC_WRITE_MAX = 64 << 10;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class BlockFolder {
  private readonly folders: Folders;
  constructor(readonly root: string) {
    this.folders = new Folders(join(root, '..'));
  }

  /** Folder and file of a block (blockstore-fs NextToLast, prefix length 2). */
  pathOf(cid: CID): string {
    const name = base32upper.encoder.encode(cid.multihash.bytes);
    return join(this.root, name.slice(-2), `${name}.data`);
  }

  async has(cid: CID): Promise<boolean> {
    return lstatSync(this.pathOf(cid), { throwIfNoEntry: false })?.isFile() ?? false;
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
    await this.folders.ensure(dir);
    const tmp = join(dir, `.tmp-${tempName()}`);
    if (bytes.length <= SYNC_WRITE_MAX) {
      const fd = openSync(tmp, CREATE_FLAGS, 0o644);
      try {
        writeFileSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(tmp, file); // atomic; replaces a damaged block or a link, never follows one
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
      return cid;
    }
    const h = await open(tmp, CREATE_FLAGS, 0o644);
    try {
      await h.writeFile(bytes);
    } finally {
      await h.close();
    }
    try {
      await rename(tmp, file);
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
