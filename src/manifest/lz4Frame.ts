/**
 * Decoding LZ4 frames (the archive format) with a bound on the output. The native frame
 * decoder grows its output without limit (a small hostile frame can claim gigabytes); here
 * the frame is walked block by block in JS and each block is decoded natively into a buffer
 * no larger than the block size the frame declares and the bytes still allowed.
 * Frame format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md
 */
import { createRequire } from 'node:module';

// The native lz4 module loads when an archive is first written or read, not with every dsg
// command (start-up time: design/performance.md P4).
let lz4Module: typeof import('lz4-napi') | undefined;
export function lz4(): typeof import('lz4-napi') {
  return (lz4Module ??= createRequire(import.meta.url)('lz4-napi') as typeof import('lz4-napi'));
}

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Linked blocks may refer back this far into the output already decoded. */
const WINDOW = 64 << 10;

export class Lz4FrameError extends Error {}

/** The output exceeded the caller's bound. */
export class Lz4TooLargeError extends Lz4FrameError {}

/** All frames of `data`, decoded; Lz4TooLargeError as soon as the output would pass `maxOutput`. */
export function decompressFramesBounded(data: Buffer, maxOutput: number): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > data.length) throw new Lz4FrameError(`truncated at byte ${data.length}`);
  };
  const tooLarge = (): never => {
    throw new Lz4TooLargeError(`decompresses to more than ${maxOutput} bytes`);
  };
  const push = (chunk: Buffer): void => {
    total += chunk.length;
    if (total > maxOutput) tooLarge();
    out.push(chunk);
  };
  do {
    need(8);
    const magic = data.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      pos += 8 + data.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Lz4FrameError(`no LZ4 frame at byte ${pos}`);
    const start = total;
    const frame = readFrameHeader(data, pos + 4, maxOutput);
    pos = frame.end;
    for (;;) {
      need(4);
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > frame.blockMax) throw new Lz4FrameError(`a block of ${size} bytes exceeds the frame's block size`);
      need(size + (frame.blockChecksums ? 4 : 0));
      const block = data.subarray(pos, pos + size);
      pos += size + (frame.blockChecksums ? 4 : 0);
      if (word & 0x80000000) push(Buffer.from(block));
      else push(decodeBlock(block, frame.blockMax, maxOutput - total + 1, frame.linked ? tail(out, WINDOW) : null) ?? tooLarge());
    }
    if (frame.contentChecksum) pos += 4;
    if (frame.contentSize !== null && total - start !== frame.contentSize) {
      throw new Lz4FrameError(`the frame holds ${total - start} bytes but its header says ${frame.contentSize}`);
    }
  } while (pos < data.length);
  return out.length === 1 ? out[0] : Buffer.concat(out, total);
}

interface FrameHeader {
  end: number;
  blockMax: number;
  linked: boolean;
  blockChecksums: boolean;
  contentChecksum: boolean;
  contentSize: number | null;
}

function readFrameHeader(data: Buffer, at: number, maxOutput: number): FrameHeader {
  if (at + 3 > data.length) throw new Lz4FrameError('truncated frame header');
  const flg = data[at];
  const bd = data[at + 1];
  if (flg >> 6 !== 1) throw new Lz4FrameError(`unsupported frame version ${flg >> 6}`);
  if (flg & 0x01) throw new Lz4FrameError('frames with a dictionary id are not supported');
  const blockMaxId = (bd >> 4) & 0x07;
  if (blockMaxId < 4) throw new Lz4FrameError(`invalid block size id ${blockMaxId}`);
  let end = at + 2;
  let contentSize: number | null = null;
  if (flg & 0x08) {
    if (end + 8 > data.length) throw new Lz4FrameError('truncated frame header');
    const declared = data.readBigUInt64LE(end);
    // The content size field, when present, settles the bound before anything is decoded.
    if (declared > BigInt(maxOutput)) throw new Lz4TooLargeError(`declares ${declared} bytes of content, more than the ${maxOutput} allowed`);
    contentSize = Number(declared);
    end += 8;
  }
  end += 1; // header checksum
  return {
    end,
    blockMax: 1 << (8 + 2 * blockMaxId),
    linked: (flg & 0x20) === 0,
    blockChecksums: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    contentSize,
  };
}

/**
 * One compressed block into at most min(blockMax, allowed) bytes (the native call takes a
 * size prefix as its output capacity); null when it needs more than `allowed`.
 */
function decodeBlock(block: Buffer, blockMax: number, allowed: number, dict: Buffer | null): Buffer | null {
  const capacity = Math.min(blockMax, allowed);
  const input = Buffer.allocUnsafe(4 + block.length);
  input.writeUInt32LE(capacity, 0);
  block.copy(input, 4);
  const { uncompressSync } = lz4();
  try {
    return dict ? uncompressSync(input, dict) : uncompressSync(input);
  } catch (err) {
    const msg = (err as Error).message;
    if (capacity < blockMax && /too small/i.test(msg)) return null;
    throw new Lz4FrameError(msg);
  }
}

/** The last `n` bytes of the output so far (the window linked blocks refer to). */
function tail(chunks: Buffer[], n: number): Buffer {
  const parts: Buffer[] = [];
  let have = 0;
  for (let i = chunks.length - 1; i >= 0 && have < n; i--) {
    const c = chunks[i];
    const take = Math.min(c.length, n - have);
    parts.unshift(c.subarray(c.length - take));
    have += take;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
}
