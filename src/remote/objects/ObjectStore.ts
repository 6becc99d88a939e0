/**
 * ObjectStore: a flat namespace of keys holding byte objects (an S3 bucket under a prefix, an
 * rclone remote path, …), the small contract the content-addressed repository (ObjectRemote)
 * is written on, once, for every store. restic's backend interface is the model.
 *
 * Keys are relative, "/"-separated, with no empty, "." or ".." component; a store maps them
 * under its own root (bucket prefix, remote path). Every implementation MUST:
 * - report "does not exist" as `null`/`false` (stat, get, getTail, getStream) or by ignoring it
 *   (delete), never as an exception; every other failure throws an ObjectStoreError that names
 *   the key and the store and says whether retrying may help (`retryable`);
 * - treat every object it reads as hostile: `get` and `getTail` never return more than the
 *   bound asked for (an object larger than `maxBytes` is a FileReadError FILE_TOO_LARGE
 *   naming the key), and `getStream` fails as soon as the object yields more than `size`;
 * - make `put`, `putIfAbsent` and `putStream` all-or-nothing: a reader sees the old object (or
 *   none) or the whole new one, never a part;
 * - in `putStream`, call `verify()` after the last byte of `source` was consumed and before
 *   the object can become visible at `key`; when it throws, nothing is created at `key`;
 * - in `putIfAbsent`, create the object only if no object exists at `key`, atomically where
 *   `createIsAtomic` is true (S3 `If-None-Match: *`); where false the store can only check
 *   then write, and concurrent writers are not safe (ObjectRemote says so and refuses them);
 * - list keys with their size and modification time (the store's clock), every page.
 * Retries, concurrency limits and logging are not the store's business: `resilient.ts` wraps
 * any store once.
 */
import { Readable } from 'node:stream';
import { FileReadError } from '../../errors/FileReadError.js';
import { RemoteError } from '../../errors/RemoteError.js';

export interface ObjectInfo {
  /** Relative to the store's root. */
  key: string;
  size: number;
  /** Modification time in epoch milliseconds, by the store's clock. */
  modifiedMs: number;
}

/** The end of an object and what the store said of the whole object. */
export interface ObjectTail {
  bytes: Buffer;
  size: number;
  modifiedMs: number;
}

export interface PutStreamOptions {
  /** Called after the whole source was consumed, before the object becomes visible; throw to cancel. */
  verify: () => void;
  /** Bytes of the source actually sent to the store (resumed parts are read but not sent). */
  onBytes?: (n: number) => void;
  /**
   * A key under which a store that can resume a large upload keeps its progress (S3: the
   * multipart upload id). A later `putStream` of the same key and size with the same resume key
   * sends only the parts the store lacks. The record is removed when the upload completes.
   */
  resumeKey?: string;
}

export interface ObjectStore {
  /** For messages: "s3://bucket/prefix (endpoint …)", "rclone remote:path". */
  readonly description: string;
  /** True when `putIfAbsent` is enforced by the store itself (one atomic conditional create). */
  readonly createIsAtomic: boolean;
  stat(key: string): Promise<ObjectInfo | null>;
  /** The whole object, at most `maxBytes` bytes (else FILE_TOO_LARGE); null when absent. */
  get(key: string, maxBytes: number): Promise<Buffer | null>;
  /** The last `maxBytes` bytes of an object (all of it when smaller); null when absent. */
  getTail(key: string, maxBytes: number): Promise<ObjectTail | null>;
  /** A stream of an object that must hold exactly `size` bytes; null when absent. */
  getStream(key: string, size: number): Promise<Readable | null>;
  put(key: string, data: Uint8Array): Promise<void>;
  /** Create the object only when no object exists at `key`: true when created, false when one existed. */
  putIfAbsent(key: string, data: Uint8Array): Promise<boolean>;
  /** Stream `size` bytes into `key` in bounded memory (see PutStreamOptions). */
  putStream(key: string, source: AsyncIterable<Uint8Array>, size: number, opts: PutStreamOptions): Promise<void>;
  /** Give up a resumable upload recorded at `resumeKey` (S3: abort the multipart upload) and remove the record. */
  abandonUpload(resumeKey: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix` (all pages). */
  list(prefix: string): Promise<ObjectInfo[]>;
  /**
   * Make sure the container exists (S3: the bucket): 'created' when this call created it,
   * 'existed' otherwise. Called by `init` only.
   */
  ensureContainer(): Promise<'created' | 'existed'>;
  close(): Promise<void>;
}

/** A store operation failed for a reason other than "does not exist"; the message names the key and the store. */
export class ObjectStoreError extends RemoteError {
  /** True when the same request may succeed later (network, throttling, a 5xx answer). */
  readonly retryable: boolean;
  constructor(message: string, opts: { code?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { code: opts.code ?? 'OBJECT_STORE_ERROR', cause: opts.cause });
    this.retryable = opts.retryable ?? false;
  }
}

const BAD_COMPONENT = /^(|\.|\.\.)$/;

/** Refuse a key that is not relative and clean (a programming error, or a hostile listing). */
export function checkKey(key: string): void {
  if (key.startsWith('/') || key.includes('\0') || key.split('/').some((c) => BAD_COMPONENT.test(c))) {
    throw new Error(`object key ${JSON.stringify(key)} is not a clean relative key`);
  }
}

/** How a store names the failures of one bounded read (see boundedBody). */
export interface BoundedRead {
  /** Most bytes the body may hold. */
  bound: number;
  /** The exact size the body must have, when known, and the error for a body that ends short of it. */
  exact?: { size: number; short: (got: number) => Error };
  /** The error for a body longer than `bound` (FILE_TOO_LARGE naming the key). */
  tooLarge: () => Error;
  /** Any other failure while reading, as the store reports it. */
  fail: (err: unknown) => Error;
}

/**
 * An object's body as a stream that fails as soon as it yields more than `bound` bytes (and
 * at its end when it is short of `exact`), releasing the body either way: every store's reads
 * are bounded the same way, whatever the store says the size is.
 */
export function boundedBody(body: AsyncIterable<Uint8Array> & { destroy?: () => void }, read: BoundedRead): Readable {
  async function* bounded(): AsyncIterable<Buffer> {
    let n = 0;
    try {
      for await (const c of body) {
        n += c.length;
        if (n > read.bound) throw read.tooLarge();
        yield Buffer.from(c.buffer, c.byteOffset, c.length);
      }
    } catch (err) {
      throw err instanceof FileReadError ? err : read.fail(err);
    } finally {
      body.destroy?.();
    }
    if (read.exact !== undefined && n !== read.exact.size) throw read.exact.short(n);
  }
  return Readable.from(bounded(), { objectMode: false });
}
