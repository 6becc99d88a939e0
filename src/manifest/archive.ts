/**
 * Archived manifests `.dsg/archive/<sN>-sync.json.lz4` (SPEC §2.5): a standard LZ4 frame.
 * Readers also accept gzip and the old name variants.
 */
import { gunzipSync } from 'node:zlib';
import { xxh32 } from '@node-rs/xxhash';
import { ManifestError } from '../errors/ManifestError.js';
import { MANIFEST_MAX_BYTES } from './limits.js';
import { parseManifest } from './codec.js';
import { decompressFramesBounded, lz4, Lz4TooLargeError } from './lz4Frame.js';
import type { Manifest } from './types.js';

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

const LZ4_MAGIC = 0x184d2204;
/** FLG bits (LZ4 frame format 1.6.x): content size present, dictionary id present. */
const FLG_CONTENT_SIZE = 0x08;
const FLG_DICT_ID = 0x01;

/**
 * The frame of `data` as Python's lz4.frame.compress writes it (dsg 0.4.4): the descriptor
 * carries the content size (FLG 0x68), so both tools write the same header for an archive.
 */
export function compressArchive(json: string): Buffer {
  const data = Buffer.from(json, 'utf8');
  return withContentSize(lz4().compressFrameSync(data), data.length);
}

/** Rewrite a frame's descriptor to state the content size, with its header checksum recomputed. */
function withContentSize(frame: Buffer, contentSize: number): Buffer {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('the LZ4 compressor returned no frame');
  const flg = frame[4];
  if (flg & FLG_CONTENT_SIZE) return frame;
  if (flg & FLG_DICT_ID) throw new Error('the LZ4 compressor wrote a dictionary id');
  const rest = frame.subarray(7); // blocks, end mark, optional content checksum
  const descriptor = Buffer.alloc(10);
  descriptor[0] = flg | FLG_CONTENT_SIZE;
  descriptor[1] = frame[5];
  descriptor.writeBigUInt64LE(BigInt(contentSize), 2);
  // HC: second byte of xxh32 (seed 0) over the descriptor from FLG on.
  const hc = (xxh32(descriptor, 0) >>> 8) & 0xff;
  return Buffer.concat([frame.subarray(0, 4), descriptor, Buffer.from([hc]), rest]);
}


/** The manifest text of an archive, never more than `maxBytes` (a small hostile archive can expand to gigabytes). */
export function decompressArchive(data: Buffer, label: string, maxBytes = MANIFEST_MAX_BYTES): string {
  let raw: Buffer;
  try {
    const gzip = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
    raw = gzip ? gunzipSync(data, { maxOutputLength: maxBytes }) : decompressFramesBounded(data, maxBytes);
  } catch (err) {
    if (err instanceof Lz4TooLargeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ManifestError(
        `${label}: decompresses to more than ${maxBytes} bytes, the largest manifest dsg reads; the archive is corrupt or was tampered with. Restore it from a backup ("dsg validate-chain" lists the damaged archives).`,
        { cause: err },
      );
    }
    throw new ManifestError(`${label}: cannot be decompressed (${(err as Error).message}); the archive is corrupt.`, { cause: err });
  }
  return raw.toString('utf8');
}

/** The manifest an archive holds, verified like any manifest; `label` names the archive in errors. */
export function parseArchive(data: Buffer, label: string): Manifest {
  return parseManifest(decompressArchive(data, label), label);
}
