/**
 * The smallest tar writer `writeFiles` needs: POSIX ustar members for plain files with short
 * names, as every tar of a stock server reads them (GNU tar, bsdtar, busybox). One header block
 * per file, the data padded to 512 bytes, two zero blocks at the end. Memory: the caller's
 * buffers plus one header at a time.
 */
import type { NamedData } from '../Transport.js';

const BLOCK = 512;
const ZERO_BLOCKS = Buffer.alloc(2 * BLOCK);

/** `value` as `width - 1` octal digits and a NUL, as ustar numeric fields are written. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: ${value} does not fit a ${width}-byte field`);
  header.write(digits.padStart(width - 1, '0'), offset, width - 1, 'ascii');
  header[offset + width - 1] = 0;
}

/** The 512-byte ustar header of a regular file (mode 0666: the server's umask applies). */
export function tarHeader(name: string, size: number, mtimeS: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) throw new Error(`tar: the name ${JSON.stringify(name)} is longer than 100 bytes`);
  const h = Buffer.alloc(BLOCK);
  nameBytes.copy(h, 0);
  octal(h, 100, 8, 0o666); // mode
  octal(h, 108, 8, 0); // uid (ignored: extracted with --no-same-owner)
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtimeS);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = 0x30; // typeflag '0': regular file
  h.write('ustar\u000000', 257, 8, 'latin1'); // magic "ustar\0", version "00"
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return h;
}

/** Bytes per chunk handed to the channel: each write is at least one SSH packet, so few large ones. */
const OUT_CHUNK = 128 << 10;

/**
 * The archive of `files` in chunks of OUT_CHUNK bytes (the last one shorter): headers, data and
 * padding copied together, since a write per header or small file costs a packet each (2,000
 * small files took 15 s that way, 1 s like this).
 */
export function* tarChunks(files: readonly NamedData[], mtimeS = Math.floor(Date.now() / 1000)): Generator<Uint8Array> {
  let out = Buffer.allocUnsafe(OUT_CHUNK);
  let used = 0;
  function* put(bytes: Uint8Array): Generator<Uint8Array> {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, OUT_CHUNK - used);
      out.set(bytes.subarray(off, off + n), used);
      used += n;
      off += n;
      if (used === OUT_CHUNK) {
        yield out;
        out = Buffer.allocUnsafe(OUT_CHUNK); // the channel may still hold the previous one
        used = 0;
      }
    }
  }
  for (const f of files) {
    yield* put(tarHeader(f.name, f.data.length, mtimeS));
    yield* put(f.data);
    const pad = (BLOCK - (f.data.length % BLOCK)) % BLOCK;
    if (pad > 0) yield* put(ZERO_BLOCKS.subarray(0, pad));
  }
  yield* put(ZERO_BLOCKS);
  if (used > 0) yield out.subarray(0, used);
}
