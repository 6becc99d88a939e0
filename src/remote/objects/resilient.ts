/**
 * What every ObjectStore gets once, instead of each store doing it its own way: retries with
 * exponential backoff for failures the store calls retryable, a limit on requests in flight,
 * and a request log (DSG_LOG_STORE=1: one line per request on stderr, with its time and size).
 *
 * Not retried: `putStream` (its source can be read once; a store that sends parts retries each
 * part itself with `withRetries`), and `putIfAbsent` only while the answer is unknown — a retry
 * may then answer "exists" for the very object the lost attempt created, which the caller
 * tells apart by reading the object back (ObjectRemote.commit does).
 */
import type { Readable } from 'node:stream';
import { ObjectStoreError, type ObjectInfo, type ObjectStore, type ObjectTail, type PutStreamOptions } from './ObjectStore.js';

export interface RetryPolicy {
  /** Tries in all (the first one included). */
  attempts: number;
  /** Delay before the first retry; doubled each time, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200 };

/** Requests in flight per store: S3 engines serve many at once; more only queue on the server. */
export const STORE_CONCURRENCY = 32;

function retryable(err: unknown): boolean {
  return err instanceof ObjectStoreError && err.retryable;
}

/** Run `fn`, trying again after a backoff while it fails with a retryable error. */
export async function withRetries<T>(fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.attempts || !retryable(err)) throw err;
      const delay = policy.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** A counting semaphore: at most `limit` holders at once, the others wait in order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export function storeLogEnabled(): boolean {
  return process.env.DSG_LOG_STORE === '1';
}

/** One request-log line (DSG_LOG_STORE=1), shared by the wrapper and the stores' own part logs. */
export function logStoreRequest(what: string, startedMs: number, bytes?: number): void {
  if (!storeLogEnabled()) return;
  process.stderr.write(`store: ${what} ${Math.round(performance.now() - startedMs)} ms${bytes === undefined ? '' : ` ${bytes} bytes`}\n`);
}

export class ResilientStore implements ObjectStore {
  private readonly limiter: Limiter;

  constructor(
    private readonly inner: ObjectStore,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
    concurrency = STORE_CONCURRENCY,
  ) {
    this.limiter = new Limiter(concurrency);
  }

  get description(): string {
    return this.inner.description;
  }

  get createIsAtomic(): boolean {
    return this.inner.createIsAtomic;
  }

  private call<T>(what: string, fn: () => Promise<T>, size?: (r: T) => number | undefined): Promise<T> {
    return this.limiter.run(async () => {
      const t0 = performance.now();
      const r = await withRetries(fn, this.policy);
      logStoreRequest(what, t0, size?.(r));
      return r;
    });
  }

  stat(key: string): Promise<ObjectInfo | null> {
    return this.call(`stat ${key}`, () => this.inner.stat(key));
  }
  get(key: string, maxBytes: number): Promise<Buffer | null> {
    return this.call(`get ${key}`, () => this.inner.get(key, maxBytes), (b) => b?.length);
  }
  getTail(key: string, maxBytes: number): Promise<ObjectTail | null> {
    return this.call(`get-tail ${key}`, () => this.inner.getTail(key, maxBytes), (t) => t?.bytes.length);
  }
  getStream(key: string, size: number): Promise<Readable | null> {
    // Only the opening is retried; a failure while reading surfaces on the stream.
    return this.call(`get-stream ${key}`, () => this.inner.getStream(key, size));
  }
  put(key: string, data: Uint8Array): Promise<void> {
    return this.call(`put ${key}`, () => this.inner.put(key, data), () => data.length);
  }
  putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    return this.call(`put-if-absent ${key}`, () => this.inner.putIfAbsent(key, data), () => data.length);
  }
  putStream(key: string, source: AsyncIterable<Uint8Array>, size: number, opts: PutStreamOptions): Promise<void> {
    return this.limiter.run(async () => {
      const t0 = performance.now();
      await this.inner.putStream(key, source, size, opts);
      logStoreRequest(`put-stream ${key}`, t0, size);
    });
  }
  abandonUpload(resumeKey: string): Promise<void> {
    return this.call(`abandon-upload ${resumeKey}`, () => this.inner.abandonUpload(resumeKey));
  }
  delete(key: string): Promise<void> {
    return this.call(`delete ${key}`, () => this.inner.delete(key));
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.call(`list ${prefix}`, () => this.inner.list(prefix), (l) => l.length);
  }
  ensureContainer(): Promise<'created' | 'existed'> {
    return this.call('ensure-container', () => this.inner.ensureContainer());
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
