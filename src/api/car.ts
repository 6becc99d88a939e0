/**
 * CAR files of an IPFS repository (remote/objects/ipfs/car.ts): `carExport` writes a snapshot
 * (its data, the snapshot manifests up to it, the repository marker) as one CAR file that any
 * IPFS node can import or pin; `carImport` puts a CAR's blocks into this project's blockstore
 * and names its snapshot, so a fresh blockstore serves snapfetch, snapmount, clone and log.
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { DsgError } from '../errors/DsgError.js';
import { parseSnapshotId, requireKnownSnapshot, resolveSnapshotId, snapshotNumber } from '../history/snapshotId.js';
import { exportCar, importCar } from '../remote/objects/ipfs/car.js';
import { ObjectRemote, objectKey, snapshotKey } from '../remote/objects/ObjectRemote.js';
import { openIpfsStore } from '../remote/open.js';
import { withProject, type CommonOptions } from './project.js';

export interface CarExportOptions extends CommonOptions {
  /** "s3" or "3"; default the repository's current snapshot. */
  snapshot?: string;
  out: string;
  force?: boolean;
}

export interface CarExportResult {
  snapshot: string;
  out: string;
  root: string;
  blocks: number;
  bytes: number;
  objects: number;
}

export async function carExport(opts: CarExportOptions): Promise<CarExportResult> {
  return withProject(opts, async (p) => {
    const r = p.config.repository;
    const store = openIpfsStore(p.config, p.user);
    if (r.type !== 'ipfs') throw new Error('unreachable');
    const remote = new ObjectRemote(store, `ipfs ${r.did}`);
    const head = await remote.readManifestHead();
    if (head === null) throw new DsgError('SNAPSHOT_NOT_FOUND', `The IPFS repository ${r.did} has no snapshot yet: nothing to export.`);
    const top = snapshotNumber(head.metadata.snapshot_id);
    const known = Array.from({ length: top }, (_, i) => `s${i + 1}`);
    const id = opts.snapshot === undefined ? head.metadata.snapshot_id : resolveSnapshotId(parseSnapshotId(opts.snapshot, 'car export'), known, remote.location);
    requireKnownSnapshot(id, known, remote.location);
    const manifest = await remote.readArchive(id);
    const hashes = new Set<string>();
    for (const e of manifest.entries.values()) if (e.type === 'file') hashes.add(e.hash);
    const snapshots = known.slice(0, snapshotNumber(id)).map(snapshotKey);
    const present = [];
    for (const k of snapshots) if ((await store.stat(k)) !== null) present.push(k);
    const keys = ['.dsg/repository.json', ...[...hashes].sort().map(objectKey), ...present];

    const out = resolve(opts.cwd ?? process.cwd(), opts.out);
    if (existsSync(out) && !opts.force) throw new DsgError('OUTPUT_EXISTS', `${out} exists; choose another file or pass --overwrite to replace it.`, { exitCode: 2 });
    // Written beside its final name, renamed when complete: a killed export leaves no partial CAR.
    const tmp = join(dirname(out), `.${Date.now()}-${process.pid}.car.tmp`);
    const file = createWriteStream(tmp, { flags: 'wx' });
    try {
      const sink = async (b: Uint8Array) => {
        if (!file.write(b)) await once(file, 'drain');
      };
      const done = await exportCar(store, r.did, r.encrypted, await store.keyCheck(), keys, sink);
      file.end();
      await once(file, 'finish');
      renameSync(tmp, out);
      return { snapshot: id, out, root: done.root.toString(), blocks: done.blocks, bytes: done.bytes, objects: hashes.size };
    } catch (err) {
      file.destroy();
      rmSync(tmp, { force: true });
      throw err;
    }
  });
}

export interface CarImportOptions extends CommonOptions {
  file: string;
}

export interface CarImportResult {
  file: string;
  root: string;
  blocks: number;
  named: number;
  snapshots: string[];
}

export async function carImport(opts: CarImportOptions): Promise<CarImportResult> {
  return withProject(opts, async (p) => {
    const r = p.config.repository;
    const store = openIpfsStore(p.config, p.user);
    if (r.type !== 'ipfs') throw new Error('unreachable');
    const file = resolve(opts.cwd ?? process.cwd(), opts.file);
    if (!existsSync(file)) throw new DsgError('USAGE', `${file} does not exist.`, { exitCode: 2 });
    const done = await importCar(store, r.did, r.encrypted, await store.keyCheck(), createReadStream(file), () => store.ensureContainer());
    return { file, root: done.root.toString(), blocks: done.blocks, named: done.named, snapshots: done.snapshots };
  });
}
