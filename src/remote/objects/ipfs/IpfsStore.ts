/**
 * IpfsStore: the object-store contract (ObjectStore.ts) on an embedded, offline IPFS
 * blockstore in a folder — no daemon. Every object (content, snapshot manifests,
 * sync-messages, archives, journals, the lock) is a UnixFS file of blocks; a key names its
 * current CID through a small name record. The folder (`repository.blockstore`) may hold the
 * repositories of many projects:
 *
 *   <blockstore>/blocks/<XX>/<BASE32 multihash>.data   blocks (blockstore-fs / flatfs layout)
 *   <blockstore>/repos/<did, %-encoded>/ipfs.json       {format, encrypted, key_check}
 *   <blockstore>/repos/<did>/names/<component>/…        one record per key: "v1 <cid> <size>\n"
 *   <blockstore>/repos/<did>/tmp/                       records being written
 *
 * With `encrypted: true` each object is sealed before it becomes blocks and each component of
 * a key's name is sealed too (crypto.ts), so the folder holds no plaintext byte, path or hash.
 * A record is replaced by rename (put) or created by link(2), which fails when the name exists
 * (put-if-absent: atomic on one file system, NFS included). Before and after a put-if-absent —
 * the repository's commit point — the file system is flushed once (syncfs), so a snapshot is
 * never durable before the blocks it names.
 *
 * Nothing read from the folder is trusted: records are bounded and parsed strictly, blocks are
 * verified against their CIDs (BlockFolder), sizes are checked against the UnixFS nodes, and
 * sealed data that does not authenticate is an error naming the key.
 */
import { closeSync, linkSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { link, mkdir, readdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { UnixFSEntry } from 'ipfs-unixfs-exporter';
import type { ImporterOptions } from 'ipfs-unixfs-importer';
import type { CID } from 'multiformats/cid';
import { ConfigError } from '../../../errors/ConfigError.js';
import { FileReadError } from '../../../errors/FileReadError.js';
import { openRegularFileSync } from '../../../platform/safeOpen.js';
import { syncFilesystem } from '../../../platform/syncFilesystem.js';
import { boundedBody, checkKey, ObjectStoreError, type ObjectInfo, type ObjectStore, type ObjectTail, type PutStreamOptions } from '../ObjectStore.js';
import { BlockFolder, Folders, requireRealFolders, tempName } from './BlockFolder.js';
import { CHUNK, chunkCount, deriveKeys, OVERHEAD, SealError, sealName, sealStream, sealedSize, unsealName, unsealStream, type RepositoryKeys } from './crypto.js';

export interface IpfsStoreOptions {
  /** The blockstore folder (absolute). */
  blockstore: string;
  /** The repository's key. */
  did: string;
  encrypted: boolean;
  /** The passphrase of an encrypted repository, asked for only when needed. */
  passphrase: () => string | null;
}

/** The format of ipfs.json. */
const FORMAT = 'dsg-ipfs/1';
const RECORD_MAX = 512;
const RECORD = /^v1 (b[a-z2-7]{10,200}) (0|[1-9]\d{0,15})\n$/;
/** Pinned so that the same bytes always give the same CIDs (deduplication across versions). */
const IMPORT: ImporterOptions = { cidVersion: 1, rawLeaves: true, reduceSingleLeafToSelf: true };

/** The IPFS libraries, loaded on first use: every other backend's commands start without them. */
let libs: Promise<{
  importByteStream: typeof import('ipfs-unixfs-importer').importByteStream;
  exporter: typeof import('ipfs-unixfs-exporter').exporter;
  CID: typeof import('multiformats/cid').CID;
}> | null = null;
function ipfs() {
  libs ??= Promise.all([import('ipfs-unixfs-importer'), import('ipfs-unixfs-exporter'), import('multiformats/cid')]).then(([i, e, c]) => ({
    importByteStream: i.importByteStream,
    exporter: e.exporter,
    CID: c.CID,
  }));
  return libs;
}

interface NameRecord {
  cid: CID;
  size: number;
  modifiedMs: number;
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

export class IpfsStore implements ObjectStore {
  readonly description: string;
  readonly createIsAtomic = true;
  readonly blocks: BlockFolder;
  private readonly repoDir: string;
  private readonly namesDir: string;
  private readonly tmpDir: string;
  private keys: Promise<RepositoryKeys | null> | null = null;
  private readonly folders: Folders;
  private readonly sealedNames = new Map<string, string>();

  constructor(private readonly opts: IpfsStoreOptions) {
    this.description = `IPFS repository ${opts.did} (blockstore ${opts.blockstore})`;
    this.blocks = new BlockFolder(join(opts.blockstore, 'blocks'));
    this.repoDir = join(opts.blockstore, 'repos', encodeURIComponent(opts.did));
    this.namesDir = join(this.repoDir, 'names');
    this.tmpDir = join(this.repoDir, 'tmp');
    this.folders = new Folders(opts.blockstore);
  }

  /** The repository's keys (null when not encrypted), checked against ipfs.json when it exists. */
  private ready(): Promise<RepositoryKeys | null> {
    this.keys ??= this.loadKeys();
    return this.keys;
  }

  private async loadKeys(): Promise<RepositoryKeys | null> {
    const info = await this.readInfo();
    if (info !== null && info.encrypted !== this.opts.encrypted) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `.dsgconfig.yml says repository.encrypted: ${this.opts.encrypted}, but the IPFS repository ${this.opts.did} in ${this.opts.blockstore} was created with encrypted: ${info.encrypted}; set it to ${info.encrypted}.`,
      );
    }
    if (!this.opts.encrypted) return null;
    const pass = this.opts.passphrase();
    if (pass === null || pass === '') {
      throw new ConfigError(
        'CONFIG_INVALID',
        `The IPFS repository ${this.opts.did} is encrypted and no passphrase was given: set the environment variable DSG_IPFS_PASSPHRASE, or name a file holding it in your dsg.yml (ipfs: {passphrase_file: ~/.config/dsg/ipfs-passphrase}). The passphrase never goes in the project.`,
      );
    }
    const keys = await deriveKeys(pass, this.opts.did);
    if (info !== null && info.key_check !== keys.check) {
      throw new ObjectStoreError(
        `The passphrase does not open the IPFS repository ${this.opts.did} (blockstore ${this.opts.blockstore}): it is not the one the repository was created with. Check DSG_IPFS_PASSPHRASE or the file named by ipfs.passphrase_file in your dsg.yml; nothing was changed.`,
        { code: 'WRONG_PASSPHRASE' },
      );
    }
    return keys;
  }

  private async readInfo(): Promise<{ encrypted: boolean; key_check?: string } | null> {
    const file = join(this.repoDir, 'ipfs.json');
    const text = await readSmallFile(file, 4096);
    if (text === null) return null;
    let v: unknown;
    try {
      v = JSON.parse(text.body);
    } catch {
      v = null;
    }
    const o = v as { format?: unknown; encrypted?: unknown; key_check?: unknown } | null;
    if (o === null || typeof o !== 'object' || o.format !== FORMAT || typeof o.encrypted !== 'boolean' || (o.encrypted && typeof o.key_check !== 'string')) {
      throw new ObjectStoreError(`${file} is not a dsg IPFS repository description (${FORMAT}); the repository folder is damaged or was not written by dsg`, { code: 'REPOSITORY_DAMAGED' });
    }
    return { encrypted: o.encrypted, key_check: o.key_check as string | undefined };
  }

  async ensureContainer(): Promise<'created' | 'existed'> {
    const keys = await this.ready();
    await mkdir(this.opts.blockstore).catch((err) => {
      if (errno(err) === 'ENOENT') throw new ConfigError('CONFIG_INVALID', `repository.blockstore ${this.opts.blockstore}: its parent folder does not exist; create it first (dsg creates only the blockstore folder itself).`);
      if (errno(err) !== 'EEXIST') throw err;
    });
    await mkdir(this.blocks.root, { recursive: true });
    await mkdir(this.namesDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    const info = JSON.stringify({ format: FORMAT, encrypted: this.opts.encrypted, ...(keys ? { key_check: keys.check } : {}) }, null, 2) + '\n';
    const tmp = join(this.tmpDir, `info-${tempName()}`);
    await writeFile(tmp, info, { flag: 'wx' });
    try {
      await link(tmp, join(this.repoDir, 'ipfs.json'));
      return 'created';
    } catch (err) {
      if (errno(err) === 'EEXIST') return 'existed';
      throw err;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------- names

  /** The record file of a key (its components sealed when the repository is encrypted). */
  private async recordPath(key: string): Promise<string> {
    checkKey(key);
    const keys = await this.ready();
    const parts = key.split('/').map((c) => (keys ? this.sealedName(keys, c) : c));
    if (parts.some((p) => p.length > 255)) throw new ObjectStoreError(`object key ${JSON.stringify(key)} has a component too long for a file name once sealed`, { code: 'ENAMETOOLONG' });
    return join(this.namesDir, ...parts);
  }

  /** sealName, remembered: the same components (".dsg", "objects", the 256 prefixes) come back all the time. */
  private sealedName(keys: RepositoryKeys, component: string): string {
    let name = this.sealedNames.get(component);
    if (name === undefined) {
      if (this.sealedNames.size >= 100_000) this.sealedNames.clear();
      name = sealName(keys, component);
      this.sealedNames.set(component, name);
    }
    return name;
  }

  private async readRecord(key: string): Promise<NameRecord | null> {
    const file = await this.recordPath(key);
    const text = await readSmallFile(file, RECORD_MAX);
    if (text === null) return null;
    const m = RECORD.exec(text.body);
    const { CID } = await ipfs();
    let cid: CID | null = null;
    try {
      if (m) cid = CID.parse(m[1]!);
    } catch {
      cid = null;
    }
    if (!m || cid === null) throw new ObjectStoreError(`the name record of ${key} (${file}) is damaged: expected "v1 <cid> <size>"`, { code: 'REPOSITORY_DAMAGED' });
    return { cid, size: Number(m[2]), modifiedMs: text.mtimeMs };
  }

  /** Point `key` at `cid`: replace (rename) or create only when absent (link). */
  private async writeRecord(key: string, cid: CID, size: number, mode: 'replace' | 'create'): Promise<boolean> {
    const file = await this.recordPath(key);
    await this.folders.ensure(this.tmpDir);
    const tmp = join(this.tmpDir, tempName());
    // A record is a few dozen bytes: synchronous calls (see BlockFolder's SYNC_WRITE_MAX).
    writeFileSync(tmp, `v1 ${cid.toString()} ${size}\n`, { flag: 'wx' });
    try {
      // A delete removing the now-empty parent can race this write: make the folder again once.
      for (let attempt = 0; ; attempt++) {
        await this.folders.ensure(dirname(file));
        try {
          if (mode === 'replace') renameSync(tmp, file);
          else linkSync(tmp, file);
          return true;
        } catch (err) {
          if (mode === 'create' && errno(err) === 'EEXIST') return false;
          if (errno(err) !== 'ENOENT' || attempt > 0) throw err;
          this.folders.forget(dirname(file));
        }
      }
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  // ------------------------------------------------------------------------- writes

  /** Seal (when encrypted) and import a stream as UnixFS blocks; its root CID. */
  private async importStream(source: AsyncIterable<Uint8Array>): Promise<CID> {
    const keys = await this.ready();
    const bytes = keys ? sealStream(keys, source) : source;
    const { importByteStream } = await ipfs();
    return (await importByteStream(bytes, this.blocks, IMPORT)).cid;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.recordPath(key);
    const cid = await this.importStream(Readable.from([Buffer.from(data.buffer, data.byteOffset, data.length)], { objectMode: true }));
    await this.writeRecord(key, cid, data.length, 'replace');
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    await this.recordPath(key);
    const cid = await this.importStream(Readable.from([Buffer.from(data.buffer, data.byteOffset, data.length)], { objectMode: true }));
    // The commit point: the blocks (and every name written before) are durable before the
    // record can be, and the record is durable before the caller goes on.
    await syncFilesystem(this.opts.blockstore);
    const created = await this.writeRecord(key, cid, data.length, 'create');
    if (created) await syncFilesystem(this.opts.blockstore);
    return created;
  }

  async putStream(key: string, source: AsyncIterable<Uint8Array>, size: number, opts: PutStreamOptions): Promise<void> {
    await this.recordPath(key);
    let n = 0;
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const c of source) {
        n += c.length;
        opts.onBytes?.(c.length);
        yield c;
      }
    }
    const cid = await this.importStream(counted());
    if (n !== size) throw new ObjectStoreError(`${key}: the source gave ${n} bytes, ${size} were expected`, { code: 'SIZE_MISMATCH' });
    opts.verify(); // the blocks exist, but nothing names them until the record is written
    await this.writeRecord(key, cid, size, 'replace');
  }

  async abandonUpload(resumeKey: string): Promise<void> {
    // Uploads are not resumable here (blocks already written are found again by their CIDs):
    // there is no upload to abort, only a record to remove if one exists.
    await this.delete(resumeKey);
  }

  async delete(key: string): Promise<void> {
    const file = await this.recordPath(key);
    try {
      await requireRealFolders(this.opts.blockstore, dirname(file));
      await unlink(file);
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      throw err;
    }
    // Remove folders left empty (a transaction's staging), up to the names folder.
    for (let dir = dirname(file); dir !== this.namesDir && dir.startsWith(this.namesDir + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
        this.folders.forget(dir);
      } catch {
        break;
      }
    }
  }

  // ------------------------------------------------------------------------- reads

  async stat(key: string): Promise<ObjectInfo | null> {
    const r = await this.readRecord(key);
    return r === null ? null : { key, size: r.size, modifiedMs: r.modifiedMs };
  }

  async get(key: string, maxBytes: number): Promise<Buffer | null> {
    const r = await this.readRecord(key);
    if (r === null) return null;
    if (r.size > maxBytes) throw tooLarge(key, r.size, maxBytes);
    return collect(await this.readRange(key, r, 0, r.size));
  }

  async getTail(key: string, maxBytes: number): Promise<ObjectTail | null> {
    const r = await this.readRecord(key);
    if (r === null) return null;
    const start = Math.max(0, r.size - maxBytes);
    return { bytes: await collect(await this.readRange(key, r, start, r.size - start)), size: r.size, modifiedMs: r.modifiedMs };
  }

  async getStream(key: string, size: number): Promise<Readable | null> {
    const r = await this.readRecord(key);
    if (r === null) return null;
    if (r.size !== size) throw new ObjectStoreError(`${key} holds ${r.size} bytes where ${size} were expected: the repository is damaged`, { code: 'SIZE_MISMATCH' });
    return boundedBody(await this.readRange(key, r, 0, size), {
      bound: size,
      exact: { size, short: (got) => new ObjectStoreError(`${key} ended after ${got} of ${size} bytes`, { code: 'SHORT_READ' }) },
      tooLarge: () => tooLarge(key, size, size),
      fail: (err) => (err instanceof ObjectStoreError ? err : new ObjectStoreError(`reading ${key} from ${this.description} failed: ${(err as Error).message}`, { cause: err })),
    });
  }

  /** `length` plaintext bytes of an object from `offset`, checked against the UnixFS node. */
  private async readRange(key: string, r: NameRecord, offset: number, length: number): Promise<AsyncIterable<Uint8Array>> {
    const keys = await this.ready();
    const entry = await this.entry(key, r.cid);
    const stored = keys ? sealedSize(r.size) : r.size;
    if (entrySize(entry) !== stored) throw new ObjectStoreError(`${key}: its blocks hold ${entrySize(entry)} bytes, its record says ${stored}: the repository is damaged`, { code: 'REPOSITORY_DAMAGED' });
    if (length === 0) return Readable.from([]);
    if (!keys) return entry.content({ offset, length }) as AsyncIterable<Uint8Array>;
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((offset + length - 1) / CHUNK);
    const from = first * (CHUNK + OVERHEAD);
    const to = Math.min(stored, (last + 1) * (CHUNK + OVERHEAD));
    const plain = unsealStream(keys, entry.content({ offset: from, length: to - from }) as AsyncIterable<Uint8Array>, first, chunkCount(r.size));
    return slice(explainSeal(plain, key), offset - first * CHUNK, length);
  }

  private async entry(key: string, cid: CID): Promise<UnixFSEntry & { type: 'file' | 'raw' }> {
    const { exporter } = await ipfs();
    const e = await exporter(cid, this.blocks);
    if (e.type !== 'file' && e.type !== 'raw') throw new ObjectStoreError(`${key} names ${cid}, which is a ${e.type}, not a file: the repository is damaged`, { code: 'REPOSITORY_DAMAGED' });
    return e as UnixFSEntry & { type: 'file' | 'raw' };
  }

  /** What a CAR file carries to prove the passphrase (undefined when not encrypted). */
  async keyCheck(): Promise<string | undefined> {
    return (await this.ready())?.check;
  }

  /** The CID a key names now (CAR export), or null. */
  async cidOf(key: string): Promise<{ cid: CID; size: number } | null> {
    const r = await this.readRecord(key);
    return r === null ? null : { cid: r.cid, size: r.size };
  }

  /** Name `cid` at `key` unless the key exists (CAR import); false when it existed. */
  async adopt(key: string, cid: CID, size: number): Promise<boolean> {
    const keys = await this.ready();
    const entry = await this.entry(key, cid);
    if (entrySize(entry) !== (keys ? sealedSize(size) : size)) throw new ObjectStoreError(`${key}: ${cid} holds ${entrySize(entry)} bytes, not the ${size} its record gives`, { code: 'REPOSITORY_DAMAGED' });
    return this.writeRecord(key, cid, size, 'create');
  }

  /** The file name a key's records use under names/ (sealed components when encrypted). */
  async recordName(key: string): Promise<string> {
    return relative(this.namesDir, await this.recordPath(key)).split(sep).join('/');
  }

  /** The key a record name (as recordName gives it) stands for, or null when it is not this repository's. */
  async keyOfRecordName(name: string): Promise<string | null> {
    const keys = await this.ready();
    const parts = name.split('/').map((c) => (keys ? unsealName(keys, c) : c));
    if (parts.some((p) => p === null)) return null;
    const key = parts.join('/');
    try {
      checkKey(key);
    } catch {
      return null;
    }
    return key;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const keys = await this.ready();
    // Walk the folder of the prefix's complete components; filter on the decoded keys.
    const whole = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = whole === '' ? this.namesDir : await this.recordPath(whole);
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, keyParts: string[]): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        // Names not sealed with this repository's key are not part of it (and never read).
        const part = keys ? unsealName(keys, e.name) : e.name;
        if (part === null) continue;
        if (e.isDirectory()) await walk(join(dir, e.name), [...keyParts, part]);
        else if (e.isFile()) {
          const key = [...keyParts, part].join('/');
          if (!key.startsWith(prefix)) continue;
          const r = await this.readRecord(key);
          if (r !== null) out.push({ key, size: r.size, modifiedMs: r.modifiedMs });
        }
      }
    };
    await walk(start, whole === '' ? [] : whole.split('/'));
    return out;
  }

  async close(): Promise<void> {}
}

function entrySize(e: UnixFSEntry): number {
  if (e.type === 'file') return Number(e.unixfs.fileSize());
  if (e.type === 'raw') return e.node.length;
  return -1;
}

function tooLarge(key: string, size: number, max: number): FileReadError {
  return new FileReadError('FILE_TOO_LARGE', key, `${key} holds ${size} bytes, more than the ${max} expected; the repository may have been tampered with. Run "dsg validate-snapshot --deep".`);
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c.buffer, c.byteOffset, c.length));
  return Buffer.concat(parts);
}

/** Skip `skip` bytes, then yield `length` bytes. */
async function* slice(src: AsyncIterable<Uint8Array>, skip: number, length: number): AsyncIterable<Uint8Array> {
  let left = length;
  for await (let c of src) {
    if (skip > 0) {
      const s = Math.min(skip, c.length);
      c = c.subarray(s);
      skip -= s;
    }
    if (c.length === 0) continue;
    if (c.length >= left) {
      yield c.subarray(0, left);
      return;
    }
    left -= c.length;
    yield c;
  }
}

async function* explainSeal(src: AsyncIterable<Buffer>, key: string): AsyncIterable<Buffer> {
  try {
    yield* src;
  } catch (err) {
    if (err instanceof SealError) throw new ObjectStoreError(`${key} does not decrypt with this repository's key (${err.message}): the blocks were changed or belong to another repository`, { code: 'REPOSITORY_DAMAGED', cause: err });
    throw err;
  }
}

const ADVICE = 'the blockstore folder was changed by something other than dsg; restore it from a copy or run "dsg validate-snapshot"';

/**
 * A small file of the shared folder (a record, ipfs.json): never through a symbolic link,
 * never blocking on a FIFO (platform/safeOpen.ts), at most `max` bytes; null when absent.
 */
async function readSmallFile(file: string, max: number): Promise<{ body: string; mtimeMs: number } | null> {
  // Synchronous: a few hundred bytes, read thousands of times in a row (one per object a sync
  // checks); four trips through the thread pool each cost more than the reads.
  const opened = openRegularFileSync(file, ADVICE);
  if (opened === null) return null;
  const { fd, size, mtimeMs } = opened;
  try {
    if (size > max) throw new ObjectStoreError(`${file} holds ${size} bytes, more than the ${max} such a file may; ${ADVICE}`, { code: 'REPOSITORY_DAMAGED' });
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, 0);
    return { body: buf.subarray(0, n).toString('utf8'), mtimeMs: Math.floor(mtimeMs) };
  } finally {
    closeSync(fd);
  }
}
