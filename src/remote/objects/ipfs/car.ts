/**
 * CAR files (the standard IPFS archive) of an IPFS repository's snapshot, so any IPFS node
 * (Kubo, a pinning service) can hold the data, and a blockstore can be rebuilt from one.
 *
 * The CAR's single root is a UnixFS directory that mirrors the repository's name records for
 * the keys a snapshot needs — the marker, the snapshot keys s1…sN, and every object the
 * snapshot names — plus `dsg-ipfs.json` ({format, did, encrypted, key_check}). Names and
 * content stay sealed in an encrypted repository: the CAR reveals what the blockstore reveals.
 * Import verifies every block against its CID, checks the passphrase against key_check, then
 * names the objects and, last, the snapshot keys (each created only where absent, the snapshot
 * after everything it names, as a sync does).
 */
import { createHash } from 'node:crypto';
import * as dagPb from '@ipld/dag-pb';
import { CarBlockIterator, CarWriter } from '@ipld/car';
import { exporter, type UnixFSEntry } from 'ipfs-unixfs-exporter';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { ObjectStoreError } from '../ObjectStore.js';
import { MAX_BLOCK } from './BlockFolder.js';
import { plainSize, sealedSize } from './crypto.js';
import type { IpfsStore } from './IpfsStore.js';

const INFO_NAME = 'dsg-ipfs.json';
const INFO_FORMAT = 'dsg-ipfs-car/1';

interface Tree {
  files: Map<string, { cid: CID; size: number }>;
  dirs: Map<string, Tree>;
}

async function putDirectory(tree: Tree, emit: (cid: CID, bytes: Uint8Array) => Promise<void>): Promise<{ cid: CID; size: number }> {
  const links: dagPb.PBLink[] = [];
  let total = 0;
  for (const [name, sub] of tree.dirs) {
    const d = await putDirectory(sub, emit);
    links.push({ Name: name, Hash: d.cid, Tsize: d.size });
    total += d.size;
  }
  for (const [name, f] of tree.files) {
    links.push({ Name: name, Hash: f.cid, Tsize: f.size });
    total += f.size;
  }
  const bytes = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links }));
  const cid = CID.createV1(dagPb.code, await sha256.digest(bytes));
  await emit(cid, bytes);
  return { cid, size: total + bytes.length };
}

export interface CarExport {
  root: CID;
  blocks: number;
  bytes: number;
  keys: number;
}

/** Write the blocks of `keys` (and a root directory naming them) as a CAR to `sink`. */
export async function exportCar(store: IpfsStore, did: string, encrypted: boolean, keyCheck: string | undefined, keys: string[], sink: (bytes: Uint8Array) => Promise<void>): Promise<CarExport> {
  const root: Tree = { files: new Map(), dirs: new Map() };
  const fileCids: CID[] = [];
  for (const key of keys) {
    const found = await store.cidOf(key);
    if (found === null) throw new ObjectStoreError(`${key} is missing from ${store.description}: cannot export a snapshot whose data is incomplete (run "dsg validate-snapshot")`, { code: 'REPOSITORY_DAMAGED' });
    const parts = (await store.recordName(key)).split('/');
    let t = root;
    for (const p of parts.slice(0, -1)) {
      let next = t.dirs.get(p);
      if (!next) t.dirs.set(p, (next = { files: new Map(), dirs: new Map() }));
      t = next;
    }
    t.files.set(parts[parts.length - 1]!, { cid: found.cid, size: encrypted ? sealedSize(found.size) : found.size });
    fileCids.push(found.cid);
  }
  const info = new TextEncoder().encode(JSON.stringify({ format: INFO_FORMAT, did, encrypted, ...(keyCheck ? { key_check: keyCheck } : {}) }) + '\n');
  const infoCid = CID.createV1(raw.code, await sha256.digest(info));
  root.files.set(INFO_NAME, { cid: infoCid, size: info.length });

  // Directory blocks are made first (the root CID goes in the CAR header), then written out.
  const dirBlocks: { cid: CID; bytes: Uint8Array }[] = [];
  const top = await putDirectory(root, async (cid, bytes) => void dirBlocks.push({ cid, bytes }));
  const { writer, out } = CarWriter.create([top.cid]);
  const pump = (async () => {
    for await (const chunk of out) await sink(chunk);
  })();
  let blocks = 0;
  let bytes = 0;
  const seen = new Set<string>();
  const put = async (cid: CID, data: Uint8Array) => {
    if (seen.has(cid.toString())) return;
    seen.add(cid.toString());
    await writer.put({ cid, bytes: data });
    blocks++;
    bytes += data.length;
  };
  try {
    for (const b of dirBlocks) await put(b.cid, b.bytes);
    await put(infoCid, info);
    // Each object's DAG, depth first, every block read verified.
    const stack = [...fileCids];
    while (stack.length > 0) {
      const cid = stack.pop()!;
      if (seen.has(cid.toString())) continue;
      const data = await store.blocks.read(cid);
      if (cid.code === dagPb.code) for (const l of dagPb.decode(data).Links) stack.push(l.Hash);
      await put(cid, data);
    }
  } finally {
    await writer.close();
    await pump;
  }
  return { root: top.cid, blocks, bytes, keys: keys.length };
}

export interface CarImport {
  root: CID;
  blocks: number;
  /** Keys named by this import (those already present with the same content are not counted). */
  named: number;
  snapshots: string[];
}

/** Put every block of a CAR into the store (verified), then name what its root directory holds. */
export async function importCar(
  store: IpfsStore,
  did: string,
  encrypted: boolean,
  keyCheck: string | undefined,
  source: AsyncIterable<Uint8Array>,
  /** Called once the CAR is known to be this repository's, before anything is named (creates the repository). */
  beforeNaming: () => Promise<unknown>,
): Promise<CarImport> {
  const it = await CarBlockIterator.fromIterable(source);
  const roots = await it.getRoots();
  if (roots.length !== 1) throw new ObjectStoreError(`the CAR file has ${roots.length} roots; a dsg snapshot CAR has exactly one`, { code: 'CAR_INVALID' });
  let blocks = 0;
  for await (const { cid, bytes } of it) {
    if (bytes.length > MAX_BLOCK) throw new ObjectStoreError(`block ${cid} of the CAR file holds ${bytes.length} bytes, more than a block may`, { code: 'CAR_INVALID' });
    if (cid.multihash.code !== sha256.code || !createHash('sha256').update(bytes).digest().equals(cid.multihash.digest)) {
      throw new ObjectStoreError(`block ${cid} of the CAR file does not match its CID (or uses a hash other than sha2-256): the file is damaged`, { code: 'CAR_INVALID' });
    }
    await store.blocks.put(cid, bytes);
    blocks++;
  }
  const root = roots[0]!;
  const files: { name: string; entry: UnixFSEntry }[] = [];
  const walk = async (dir: UnixFSEntry, prefix: string, depth: number): Promise<void> => {
    if (dir.type !== 'directory' || depth > 16) throw new ObjectStoreError(`the CAR file's ${prefix || 'root'} is not a dsg snapshot directory`, { code: 'CAR_INVALID' });
    for await (const link of dir.entries()) {
      const name = prefix === '' ? link.name : `${prefix}/${link.name}`;
      const child = await exporter(link.cid, store.blocks);
      if (child.type === 'directory') await walk(child, name, depth + 1);
      else files.push({ name, entry: child });
    }
  };
  await walk(await exporter(root, store.blocks), '', 0);

  const infoFile = files.find((f) => f.name === INFO_NAME);
  if (!infoFile || infoFile.entry.type !== 'raw' || infoFile.entry.node.length > 4096) throw new ObjectStoreError(`the CAR file has no ${INFO_NAME}: it was not exported by dsg`, { code: 'CAR_INVALID' });
  let info: { format?: unknown; did?: unknown; encrypted?: unknown; key_check?: unknown };
  try {
    info = JSON.parse(new TextDecoder().decode(infoFile.entry.node));
  } catch {
    info = {};
  }
  if (info.format !== INFO_FORMAT) throw new ObjectStoreError(`${INFO_NAME} in the CAR file is not a dsg CAR description (${INFO_FORMAT})`, { code: 'CAR_INVALID' });
  if (info.did !== did) throw new ObjectStoreError(`the CAR file holds a snapshot of ${String(info.did)}, not of this project's repository ${did}; import it into a project whose repository.did is ${String(info.did)}`, { code: 'CAR_INVALID' });
  if (info.encrypted !== encrypted) throw new ObjectStoreError(`the CAR file was exported from a repository with encrypted: ${String(info.encrypted)}; this project says encrypted: ${encrypted}`, { code: 'CAR_INVALID' });
  if (encrypted && info.key_check !== keyCheck) throw new ObjectStoreError(`the passphrase does not open the CAR file's repository ${did}: check DSG_IPFS_PASSPHRASE or ipfs.passphrase_file; nothing was named`, { code: 'WRONG_PASSPHRASE' });

  await beforeNaming();
  const records: { key: string; cid: CID; size: number }[] = [];
  for (const f of files) {
    if (f.name === INFO_NAME) continue;
    const key = await store.keyOfRecordName(f.name);
    if (key === null) throw new ObjectStoreError(`the CAR file names ${f.name}, which is not a key of this repository: the file is damaged or from another repository`, { code: 'CAR_INVALID' });
    const stored = f.entry.type === 'file' ? Number(f.entry.unixfs.fileSize()) : f.entry.type === 'raw' ? f.entry.node.length : -1;
    if (stored < 0) throw new ObjectStoreError(`${key} in the CAR file is not a file`, { code: 'CAR_INVALID' });
    records.push({ key, cid: f.entry.cid, size: encrypted ? plainSize(stored) : stored });
  }
  const isSnapshot = (k: string) => /^\.dsg\/snapshots\/s[1-9]\d*\.json$/.test(k);
  let named = 0;
  const adopt = async (r: { key: string; cid: CID; size: number }) => {
    if (await store.adopt(r.key, r.cid, r.size)) return void named++;
    const have = await store.cidOf(r.key);
    if (have === null || !have.cid.equals(r.cid)) {
      throw new ObjectStoreError(`${r.key} already exists in ${store.description} with other content than the CAR file's: the repository and the CAR file have diverged; import into a fresh blockstore`, { code: 'CAR_CONFLICT' });
    }
  };
  for (const r of records.filter((r) => !isSnapshot(r.key))) await adopt(r);
  const snaps = records.filter((r) => isSnapshot(r.key)).sort((a, b) => Number(/s(\d+)/.exec(a.key)![1]) - Number(/s(\d+)/.exec(b.key)![1]));
  for (const r of snaps) await adopt(r);
  return { root, blocks, named, snapshots: snaps.map((r) => /s\d+/.exec(r.key)![0]) };
}
