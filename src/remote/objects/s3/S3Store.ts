/**
 * The ObjectStore of an S3 bucket under a key prefix (AWS S3, Ceph RGW, MinIO, …), on
 * `@aws-sdk/client-s3`. Credentials come from the standard AWS chain (environment, shared
 * config/profile); nothing secret is ever in dsg's config files.
 *
 * Choices that come from engines we tested (see README "Object stores"):
 * - the only condition used is `If-None-Match: *` on a single PutObject (Ceph RGW 16 rejects a
 *   quoted `If-Match` and ignores conditions on CompleteMultipartUpload);
 * - checksums only when required (`WHEN_REQUIRED`): streamed bodies otherwise fail on RGW;
 * - path-style addressing whenever an endpoint is given (a hostname endpoint has no bucket DNS);
 * - the SDK's own retries are off: ResilientStore retries once for every store, and the part
 *   uploads here use the same policy.
 * Large objects go up as multipart uploads, one part in memory per request in flight, so any
 * size streams in bounded memory; the upload id is recorded under the caller's resume key, so
 * a killed upload resumes: parts the store already holds (same size and MD5 as the part read
 * again from the source) are not sent again.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type * as sdkTypes from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

type Sdk = typeof sdkTypes;
import { FileReadError } from '../../../errors/FileReadError.js';
import { boundedBody, checkKey, ObjectStoreError, type ObjectInfo, type ObjectStore, type ObjectTail, type PutStreamOptions } from '../ObjectStore.js';
import { logStoreRequest, withRetries } from '../resilient.js';
import { ByteBudget } from '../../../platform/pool.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix of the repository inside the bucket ("" for the bucket's top). */
  prefix: string;
  endpoint?: string;
  region?: string;
}

/** Objects up to this size are sent with one PutObject (read whole, then sent). */
const SINGLE_PUT_MAX = 32 << 20;
/**
 * Smallest part: S3's minimum, 5 MiB (a 2 GiB file is 410 parts); 4 in flight + 1 filling =
 * 25 MiB in memory. 8 MiB parts kept a 2 GiB upload at 161 MB peak RSS on Node 20 but 205 MB
 * on Node 24, whose runtime takes ~40 MB more for the same work; 5 MiB parts: 194 MB there
 * (3 in flight instead of 4 gave the same peak: the rest is the runtime's, not the parts').
 */
const MIN_PART = 5 << 20;
/** S3 allows 10,000 parts; stay below. */
const MAX_PARTS = 9_000;
const PARTS_IN_FLIGHT = 4;
/**
 * Bytes of upload buffers (single-put bodies and part buffers) all uploads of this process
 * hold at once. A transaction sends 8 files at a time: each holding up to 32 MiB (one put) or
 * 5 part buffers of 5 MiB, many mid-size files took 200–400 MB. Over the budget, a multipart
 * upload goes on with the buffers it has (its next part waits for one of its own to be sent)
 * and a new upload waits for room.
 */
const UPLOAD_MEMORY = 64 << 20;
const uploadBudget = new ByteBudget(UPLOAD_MEMORY);
/** Bound of a resume record read back from the store. */
const RESUME_RECORD_MAX = 4 << 10;

interface ResumeRecord {
  key: string;
  upload_id: string;
  size: number;
  part_size: number;
}

function partSizeFor(size: number): number {
  const mib = 1 << 20;
  return Math.max(MIN_PART, Math.ceil(size / MAX_PARTS / mib) * mib);
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  return String((err as { name?: unknown }).name ?? (err as { Code?: unknown }).Code ?? '');
}

function isNotFound(err: unknown): boolean {
  const n = nameOf(err);
  return n === 'NoSuchKey' || n === 'NotFound' || (statusOf(err) === 404 && n !== 'NoSuchBucket');
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'TimeoutError', 'RequestTimeout', 'RequestTimeTooSkewed']);

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly createIsAtomic = true;
  private clientPromise: Promise<{ client: S3Client; sdk: Sdk }> | null = null;
  private readonly clientConfig: S3ClientConfig;
  private readonly bucket: string;
  /** "" or "<prefix>/": prepended to every key. */
  private readonly root: string;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    const prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
    this.root = prefix === '' ? '' : `${prefix}/`;
    this.description = `s3://${opts.bucket}/${prefix}${opts.endpoint ? ` (endpoint ${opts.endpoint})` : ''}`;
    this.clientConfig = {
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
    };
  }

  /** The SDK is loaded on first use (0.4 s): commands on other repositories never pay for it. */
  private connect(): Promise<{ client: S3Client; sdk: Sdk }> {
    this.clientPromise ??= import('@aws-sdk/client-s3').then((sdk) => {
      // The pinned SDK supports Node 20; its notice that *later* releases will not is no news for a dsg user.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      return { client: new sdk.S3Client(this.clientConfig), sdk };
    });
    return this.clientPromise;
  }

  /** Send the command `make` builds from the SDK's command classes. */
  private async send<T>(make: (sdk: Sdk) => object): Promise<T> {
    const { client, sdk } = await this.connect();
    // Each command class has its own input/output types; the caller names the output it expects.
    return (await client.send(make(sdk) as never)) as T;
  }

  private k(key: string): string {
    checkKey(key);
    return this.root + key;
  }

  /** An SDK failure as an ObjectStoreError that names the key, the store and what to do. */
  private fail(op: string, key: string, err: unknown): ObjectStoreError {
    if (err instanceof ObjectStoreError || err instanceof FileReadError) return err as ObjectStoreError;
    const name = nameOf(err);
    const status = statusOf(err);
    const code = (err as { code?: string }).code ?? '';
    const where = `${key} in ${this.description}`;
    const detail = (err as Error).message || name || `HTTP ${status}`;
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(detail)) {
      return new ObjectStoreError(
        `No S3 credentials found for ${this.description}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in ~/.aws/credentials (never in .dsgconfig.yml).`,
        { code: 'REMOTE_CREDENTIALS', cause: err },
      );
    }
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new ObjectStoreError(`Access denied to ${where} (${op}: ${detail}). Check the S3 credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and the bucket's policy.`, {
        code: 'REMOTE_ACCESS_DENIED',
        cause: err,
      });
    }
    if (name === 'NoSuchBucket') {
      return new ObjectStoreError(`The bucket of ${this.description} does not exist. Check "repository" in .dsgconfig.yml, or run "dsg init" to create it.`, {
        code: 'REMOTE_NOT_FOUND',
        cause: err,
      });
    }
    if (NETWORK.has(code) || NETWORK.has(name)) {
      return new ObjectStoreError(`Cannot reach ${this.description} (${op} ${key}: ${detail}). Check the endpoint and the network.`, { retryable: true, cause: err });
    }
    const retry = status === undefined || status >= 500 || status === 429 || name === 'SlowDown' || name === 'InternalError';
    return new ObjectStoreError(`S3 ${op} of ${where} failed: ${detail}${status ? ` (HTTP ${status})` : ''}.`, { retryable: retry, cause: err });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.send<sdkTypes.HeadObjectOutput>((s) => new s.HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
      return { key, size: r.ContentLength ?? 0, modifiedMs: r.LastModified?.getTime() ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail('stat', key, err);
    }
  }

  async get(key: string, maxBytes: number): Promise<Buffer | null> {
    const stream = await this.open('get', key, undefined, maxBytes);
    if (stream === null) return null;
    try {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      throw this.fail('get', key, err);
    }
  }

  async getTail(key: string, maxBytes: number): Promise<ObjectTail | null> {
    let r;
    try {
      r = await this.send<sdkTypes.GetObjectOutput>((s) => new s.GetObjectCommand({ Bucket: this.bucket, Key: this.k(key), Range: `bytes=-${maxBytes}` }));
    } catch (err) {
      if (isNotFound(err)) return null;
      // An empty object has no satisfiable suffix range.
      if (statusOf(err) === 416) return { bytes: Buffer.alloc(0), size: 0, modifiedMs: 0 };
      throw this.fail('get', key, err);
    }
    // "bytes a-b/total": the whole object's size; without a range answer, the object is the body.
    const total = /\/(\d+)$/.exec(r.ContentRange ?? '')?.[1];
    const bytes = await this.readBody(key, r.Body as Readable | undefined, maxBytes);
    return { bytes, size: total !== undefined ? Number(total) : bytes.length, modifiedMs: r.LastModified?.getTime() ?? 0 };
  }

  async getStream(key: string, size: number): Promise<Readable | null> {
    return this.open('get', key, size, size);
  }

  /** The object's body as a stream that fails once it yields more than `bound` bytes (or other than `exact`). */
  private async open(op: string, key: string, exact: number | undefined, bound: number): Promise<Readable | null> {
    let r;
    try {
      r = await this.send<sdkTypes.GetObjectOutput>((s) => new s.GetObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.fail(op, key, err);
    }
    const body = r.Body as Readable | undefined;
    const tooLarge = () =>
      new FileReadError('FILE_TOO_LARGE', key, `${key} in ${this.description} holds more than the ${bound} bytes expected; the repository may have been tampered with. Run "dsg validate-snapshot --deep".`);
    if (r.ContentLength !== undefined && r.ContentLength > bound) {
      body?.destroy();
      throw tooLarge();
    }
    return boundedBody(body ?? Readable.from([]), {
      bound,
      exact: exact === undefined ? undefined : { size: exact, short: (got) => new ObjectStoreError(`${key} in ${this.description} ended after ${got} of ${exact} bytes.`, { retryable: true }) },
      tooLarge,
      fail: (err) => this.fail(op, key, err),
    });
  }

  private async readBody(key: string, body: Readable | undefined, bound: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const stream = boundedBody(body ?? Readable.from([]), {
      bound,
      tooLarge: () => new FileReadError('FILE_TOO_LARGE', key, `${key} in ${this.description} answered more than the ${bound} bytes asked for; the repository may have been tampered with.`),
      fail: (err) => this.fail('get', key, err),
    });
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    try {
      await this.send<sdkTypes.PutObjectOutput>((s) => new s.PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: data, ContentLength: data.length }));
    } catch (err) {
      throw this.fail('put', key, err);
    }
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    try {
      await this.send<sdkTypes.PutObjectOutput>((s) => new s.PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: data, ContentLength: data.length, IfNoneMatch: '*' }));
      return true;
    } catch (err) {
      if (statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed') return false;
      // AWS answers 409 while another conditional write of the key is in flight: try again.
      if (statusOf(err) === 409 || nameOf(err) === 'ConditionalRequestConflict') throw new ObjectStoreError(`A concurrent write of ${key} in ${this.description} is in flight.`, { retryable: true, cause: err });
      throw this.fail('put-if-absent', key, err);
    }
  }

  async putStream(key: string, source: AsyncIterable<Uint8Array>, size: number, opts: PutStreamOptions): Promise<void> {
    if (size <= SINGLE_PUT_MAX) {
      // Read into one buffer of the stated size (not a list of chunks, then a copy of them).
      await uploadBudget.take(size);
      try {
        const data = Buffer.allocUnsafe(size);
        let n = 0;
        for await (const c of source) {
          if (n + c.length > size) break; // verify() names the file and what changed
          data.set(c, n);
          n += c.length;
        }
        opts.verify();
        await withRetries(() => this.put(key, data));
        opts.onBytes?.(data.length);
      } finally {
        uploadBudget.give(size);
      }
      return;
    }
    await this.putMultipart(key, source, size, opts);
  }

  private async putMultipart(key: string, source: AsyncIterable<Uint8Array>, size: number, opts: PutStreamOptions): Promise<void> {
    const partSize = partSizeFor(size);
    const { uploadId, done } = await this.startOrResume(key, size, partSize, opts.resumeKey);
    const etags = new Map<number, string>();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    const send = (n: number, part: Buffer): Promise<void> => {
      const md5 = `"${createHash('md5').update(part).digest('hex')}"`;
      const have = done.get(n);
      if (have && have.size === part.length && have.etag === md5) {
        etags.set(n, have.etag); // the store holds this very part: not sent again
        return Promise.resolve();
      }
      return withRetries(async () => {
        const t0 = performance.now();
        try {
          const r = await this.send<sdkTypes.UploadPartOutput>((s) => new s.UploadPartCommand({ Bucket: this.bucket, Key: this.k(key), UploadId: uploadId, PartNumber: n, Body: part, ContentLength: part.length }));
          etags.set(n, r.ETag ?? md5);
        } catch (err) {
          throw this.fail('upload-part', key, err);
        }
        logStoreRequest(`upload-part ${key} #${n}`, t0, part.length);
        opts.onBytes?.(part.length);
      });
    };
    let n = 0;
    // Part buffers are reused: at most PARTS_IN_FLIGHT being sent and one being filled, so
    // memory stays fixed (fresh 16 MiB buffers per part left the GC holding several dead ones).
    // A new buffer needs room in the process's upload budget; without it, the next part waits
    // for one of this upload's parts to be sent (only the first buffer waits for the budget).
    const pool: Buffer[] = [];
    const bufferSize = Math.min(partSize, size);
    let held = 0;
    const takeBuffer = async (): Promise<Buffer> => {
      for (;;) {
        const reused = pool.pop();
        if (reused) return reused;
        if (inFlight.size === 0) await uploadBudget.take(bufferSize);
        else if (!uploadBudget.tryTake(bufferSize)) {
          await Promise.race(inFlight);
          continue;
        }
        held += bufferSize;
        return Buffer.allocUnsafe(bufferSize);
      }
    };
    try {
      await this.fillAndSendParts(source, size, partSize, takeBuffer, async (part, fill) => {
        const p = send(++n, part.subarray(0, fill))
          .catch((err) => {
            failure ??= err;
          })
          .finally(() => pool.push(part));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
        if (failure !== null) throw failure;
      });
      await Promise.all(inFlight);
    } finally {
      // After a failure parts may still be on their way: their buffers are in use until then.
      await Promise.allSettled(inFlight);
      uploadBudget.give(held);
    }
    if (failure !== null) throw failure;
    await this.completeMultipart(key, uploadId, size, etags, opts);
  }

  /**
   * Read `source` into part buffers from `takeBuffer`, handing each full one (and the last) to
   * `flush`. Bytes past `size` are counted, not stored: verify() then refuses the content.
   */
  private async fillAndSendParts(source: AsyncIterable<Uint8Array>, size: number, partSize: number, takeBuffer: () => Promise<Buffer>, flush: (part: Buffer, fill: number) => Promise<void>): Promise<void> {
    let part = await takeBuffer();
    let limit = Math.min(partSize, size);
    let fill = 0;
    let total = 0;
    const flushPart = async (): Promise<void> => {
      await flush(part, fill);
      // The last part is on its way: no buffer for bytes that must not come (they are only counted).
      if (total < size) part = await takeBuffer();
      limit = Math.min(partSize, Math.max(1, size - total));
      fill = 0;
    };
    for await (const chunk of source) {
      let off = 0;
      while (off < chunk.length) {
        if (total >= size) break;
        const take = Math.min(chunk.length - off, limit - fill, size - total);
        Buffer.from(chunk.buffer, chunk.byteOffset + off, take).copy(part, fill);
        fill += take;
        off += take;
        total += take;
        if (fill === limit) await flushPart();
      }
      if (total >= size && off < chunk.length) {
        total += chunk.length - off; // more than stated: verify() refuses it
        break;
      }
    }
    if (fill > 0) await flush(part, fill);
  }

  /** Verify what was sent, then complete the upload (or abort it: wrong content never appears under its key). */
  private async completeMultipart(key: string, uploadId: string, size: number, etags: Map<number, string>, opts: PutStreamOptions): Promise<void> {
    try {
      opts.verify();
    } catch (err) {
      // Content that is not what the manifest says must never appear under its hash.
      await this.abort(key, uploadId).catch(() => undefined);
      if (opts.resumeKey) await this.delete(opts.resumeKey).catch(() => undefined);
      throw err;
    }
    const parts = [...etags.entries()].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    await withRetries(async () => {
      try {
        await this.send<sdkTypes.CompleteMultipartUploadOutput>((s) => new s.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.k(key), UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      } catch (err) {
        // A retry after a lost answer: the upload is complete already when the object is there with the size.
        if (nameOf(err) === 'NoSuchUpload' && (await this.stat(key))?.size === size) return;
        throw this.fail('complete-upload', key, err);
      }
    });
    if (opts.resumeKey) await withRetries(() => this.delete(opts.resumeKey!));
  }

  /** The multipart upload to use: the one recorded under `resumeKey` when it still exists and fits, else a new one. */
  private async startOrResume(key: string, size: number, partSize: number, resumeKey?: string): Promise<{ uploadId: string; done: Map<number, { etag: string; size: number }> }> {
    if (resumeKey) {
      const rec = await this.readResumeRecord(resumeKey);
      if (rec && rec.key === key && rec.size === size && rec.part_size === partSize) {
        const done = await this.listParts(key, rec.upload_id);
        if (done !== null) return { uploadId: rec.upload_id, done };
      }
      // A record of another size or part size: that upload cannot be continued.
      if (rec) await this.abort(rec.key, rec.upload_id).catch(() => undefined);
    }
    const uploadId = await withRetries(async () => {
      try {
        const r = await this.send<sdkTypes.CreateMultipartUploadOutput>((s) => new s.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.k(key) }));
        if (!r.UploadId) throw new ObjectStoreError(`${this.description} started no multipart upload for ${key} (no upload id).`);
        return r.UploadId;
      } catch (err) {
        throw this.fail('create-upload', key, err);
      }
    });
    if (resumeKey) {
      const rec: ResumeRecord = { key, upload_id: uploadId, size, part_size: partSize };
      await withRetries(() => this.put(resumeKey, Buffer.from(JSON.stringify(rec))));
    }
    return { uploadId, done: new Map() };
  }

  private async readResumeRecord(resumeKey: string): Promise<ResumeRecord | null> {
    const bytes = await withRetries(() => this.get(resumeKey, RESUME_RECORD_MAX)).catch(() => null);
    if (bytes === null) return null;
    try {
      const r = JSON.parse(bytes.toString('utf8')) as Partial<ResumeRecord>;
      if (typeof r.key === 'string' && typeof r.upload_id === 'string' && r.upload_id.length < 1024 && Number.isSafeInteger(r.size) && Number.isSafeInteger(r.part_size)) return r as ResumeRecord;
    } catch {
      /* not a record dsg wrote: start afresh */
    }
    return null;
  }

  /** The parts an upload holds (number → ETag and size); null when the upload no longer exists. */
  private async listParts(key: string, uploadId: string): Promise<Map<number, { etag: string; size: number }> | null> {
    const done = new Map<number, { etag: string; size: number }>();
    let marker: string | undefined;
    for (;;) {
      let r;
      try {
        r = await withRetries(async () => {
          try {
            return await this.send<sdkTypes.ListPartsOutput>((s) => new s.ListPartsCommand({ Bucket: this.bucket, Key: this.k(key), UploadId: uploadId, PartNumberMarker: marker }));
          } catch (err) {
            if (nameOf(err) === 'NoSuchUpload' || statusOf(err) === 404) return null;
            throw this.fail('list-parts', key, err);
          }
        });
      } catch {
        return null;
      }
      if (r === null) return null;
      for (const p of r.Parts ?? []) {
        if (Number.isSafeInteger(p.PartNumber) && typeof p.ETag === 'string' && Number.isSafeInteger(p.Size)) done.set(p.PartNumber!, { etag: p.ETag, size: p.Size! });
      }
      if (!r.IsTruncated || !r.NextPartNumberMarker) return done;
      marker = r.NextPartNumberMarker;
    }
  }

  private async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.send<sdkTypes.AbortMultipartUploadOutput>((s) => new s.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.k(key), UploadId: uploadId }));
    } catch (err) {
      if (nameOf(err) === 'NoSuchUpload' || statusOf(err) === 404) return;
      throw this.fail('abort-upload', key, err);
    }
  }

  async abandonUpload(resumeKey: string): Promise<void> {
    const rec = await this.readResumeRecord(resumeKey);
    if (rec) {
      try {
        checkKey(rec.key);
        await this.abort(rec.key, rec.upload_id);
      } catch {
        /* a record naming a key dsg would not write: only the record goes */
      }
    }
    await this.delete(resumeKey);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.send<sdkTypes.DeleteObjectOutput>((s) => new s.DeleteObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.fail('delete', key, err);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.send<sdkTypes.ListObjectsV2Output>((s) => new s.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.root + prefix, ContinuationToken: token }));
      } catch (err) {
        throw this.fail('list', prefix, err);
      }
      for (const o of r.Contents ?? []) {
        // A listing is hostile input too: only keys under the root, and clean ones.
        if (typeof o.Key !== 'string' || !o.Key.startsWith(this.root + prefix)) continue;
        const key = o.Key.slice(this.root.length);
        try {
          checkKey(key);
        } catch {
          continue;
        }
        out.push({ key, size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async ensureContainer(): Promise<'created' | 'existed'> {
    try {
      await this.send<sdkTypes.HeadBucketOutput>((s) => new s.HeadBucketCommand({ Bucket: this.bucket }));
      return 'existed';
    } catch (err) {
      if (statusOf(err) !== 404 && nameOf(err) !== 'NotFound' && nameOf(err) !== 'NoSuchBucket') throw this.fail('head-bucket', '(bucket)', err);
    }
    try {
      await this.send<sdkTypes.CreateBucketOutput>((s) => new s.CreateBucketCommand({ Bucket: this.bucket }));
      return 'created';
    } catch (err) {
      if (nameOf(err) === 'BucketAlreadyOwnedByYou') return 'existed';
      throw this.fail('create-bucket', '(bucket)', err);
    }
  }

  async close(): Promise<void> {
    if (this.clientPromise) (await this.clientPromise).client.destroy();
  }
}
