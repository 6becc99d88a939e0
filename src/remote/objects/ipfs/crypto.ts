/**
 * Encryption of an IPFS repository (`encrypted: true`): everything dsg stores — content,
 * manifests, journals, locks and the names of keys — is sealed before it becomes a block or a
 * file name, with keys derived from the repository's passphrase.
 *
 * Deterministic on purpose: the same plaintext sealed twice under one repository's key gives
 * the same ciphertext, so identical content is one block set (deduplication works on
 * ciphertext). The construction is a synthetic IV (SIV): the 96-bit IV of AES-256-GCM is an
 * HMAC-SHA256 of the associated data and the plaintext, so an IV repeats only with the same
 * (position, plaintext) pair, which then gives the same ciphertext and reveals nothing more
 * than that equality. What it reveals, to anyone who can read the blockstore folder: which
 * objects are equal (and which 1 MiB chunks at the same position of two objects are equal),
 * object sizes, and how many objects and keys there are. Never the bytes, the file paths of the
 * manifest, or the hashes that name objects (key names are sealed too).
 *
 * Content is sealed in chunks of 1 MiB so that any size streams in constant memory and a range
 * can be read without the rest. Each sealed chunk is IV (12) ‖ ciphertext ‖ tag (16); its
 * associated data is its index and whether it is the last chunk, so chunks cannot be reordered,
 * dropped or an object truncated without the tag failing.
 */
import { createCipheriv, createDecipheriv, createHmac, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { base32 } from 'multiformats/bases/base32';

/** Plaintext bytes per sealed chunk. */
export const CHUNK = 1 << 20;
const IV = 12;
const TAG = 16;
/** Bytes a sealed chunk adds to its plaintext. */
export const OVERHEAD = IV + TAG;

/** The keys of one repository, derived from its passphrase and its DID. */
export interface RepositoryKeys {
  readonly enc: Buffer;
  readonly iv: Buffer;
  /** Stored in the clear beside the repository: tells a wrong passphrase from damage. */
  readonly check: string;
}

// scrypt cost: about 0.1 s and 32 MiB per derivation, once per command.
const SCRYPT: ScryptOptions = { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 };

/** Derive a repository's keys; the DID is the salt (unique per repository, known to every member). */
export async function deriveKeys(passphrase: string, did: string): Promise<RepositoryKeys> {
  const master = await new Promise<Buffer>((resolve, reject) =>
    scryptCb(passphrase.normalize('NFC'), `dsg-ipfs-v1\0${did}`, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
  const sub = (label: string) => createHmac('sha256', master).update(label).digest();
  return { enc: sub('enc'), iv: sub('iv'), check: sub('check').subarray(0, 16).toString('hex') };
}

/** The authentication tag did not match: wrong key, or the bytes were changed. */
export class SealError extends Error {}

function seal(keys: RepositoryKeys, plain: Uint8Array, aad: Buffer): Buffer {
  const iv = createHmac('sha256', keys.iv).update(aad).update(plain).digest().subarray(0, IV);
  const c = createCipheriv('aes-256-gcm', keys.enc, iv);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

function unseal(keys: RepositoryKeys, sealed: Uint8Array, aad: Buffer): Buffer {
  if (sealed.length < OVERHEAD) throw new SealError('sealed data is shorter than its IV and tag');
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const d = createDecipheriv('aes-256-gcm', keys.enc, b.subarray(0, IV));
  d.setAAD(aad);
  d.setAuthTag(b.subarray(b.length - TAG));
  try {
    return Buffer.concat([d.update(b.subarray(IV, b.length - TAG)), d.final()]);
  } catch {
    throw new SealError('authentication failed');
  }
}

function chunkAad(index: number, last: boolean): Buffer {
  const a = Buffer.alloc(10);
  a.write('C', 0);
  a.writeBigUInt64BE(BigInt(index), 1);
  a[9] = last ? 1 : 0;
  return a;
}

/** Number of sealed chunks of a plaintext of `size` bytes (an empty one is one empty chunk). */
export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK));
}

/** Size of the sealed form of a plaintext of `size` bytes. */
export function sealedSize(size: number): number {
  return size + OVERHEAD * chunkCount(size);
}

/** Size of the plaintext whose sealed form has `stored` bytes (the inverse of sealedSize). */
export function plainSize(stored: number): number {
  return stored - OVERHEAD * Math.max(1, Math.ceil(stored / (CHUNK + OVERHEAD)));
}

/** Seal a stream chunk by chunk (holds at most two chunks). */
export async function* sealStream(keys: RepositoryKeys, source: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  for await (const piece of source) {
    pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
    pendingBytes += piece.length;
    // A full chunk is known not to be the last only once a byte after it has arrived.
    while (pendingBytes > CHUNK) {
      const all = Buffer.concat(pending);
      yield seal(keys, all.subarray(0, CHUNK), chunkAad(index++, false));
      pending = [all.subarray(CHUNK)];
      pendingBytes = all.length - CHUNK;
    }
  }
  yield seal(keys, Buffer.concat(pending), chunkAad(index, true));
}

/**
 * Open the sealed chunks `first`… of an object of `total` chunks, from a stream of their
 * bytes (which starts at chunk `first`'s first byte); yields plaintext.
 */
export async function* unsealStream(keys: RepositoryKeys, source: AsyncIterable<Uint8Array>, first: number, total: number): AsyncIterable<Buffer> {
  let buf = Buffer.alloc(0);
  let index = first;
  const full = CHUNK + OVERHEAD;
  for await (const piece of source) {
    buf = buf.length === 0 ? Buffer.from(piece) : Buffer.concat([buf, piece]);
    while (buf.length >= full && index < total - 1) {
      yield unseal(keys, buf.subarray(0, full), chunkAad(index++, false));
      buf = buf.subarray(full);
    }
    if (buf.length > full) throw new SealError('more sealed bytes than the object holds');
  }
  if (buf.length === 0) return;
  yield unseal(keys, buf, chunkAad(index, index === total - 1));
}

/** Seal one short value (a key name's component, a small record): the same rules, one chunk. */
export function sealValue(keys: RepositoryKeys, plain: Uint8Array, label: string): Buffer {
  return seal(keys, plain, Buffer.from(`V${label}`));
}

export function unsealValue(keys: RepositoryKeys, sealed: Uint8Array, label: string): Buffer {
  return unseal(keys, sealed, Buffer.from(`V${label}`));
}

/** A key's path component as a file name: sealed, base32 (safe on case-insensitive disks). */
export function sealName(keys: RepositoryKeys, component: string): string {
  return base32.baseEncode(sealValue(keys, Buffer.from(component, 'utf8'), 'name'));
}

/** The component a sealed file name stands for; null when it was not sealed with these keys. */
export function unsealName(keys: RepositoryKeys, name: string): string | null {
  try {
    return unsealValue(keys, base32.baseDecode(name), 'name').toString('utf8');
  } catch {
    return null;
  }
}
