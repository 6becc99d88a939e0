/**
 * Run an async function over items with at most `limit` in flight: keeps the file system's
 * thread pool busy on trees of many small files, where one-at-a-time awaits leave it idle.
 * The first failure stops new work and is rethrown once the in-flight calls have settled.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

/** In-flight transfers: enough to overlap I/O latency, few enough to keep memory constant. */
export const TRANSFER_CONCURRENCY = 8;

/**
 * Small metadata requests in flight (stat, rename, link, mkdir): over SSH each is one SFTP
 * request, so depth hides the round trip; locally they are thread-pool calls.
 */
export const METADATA_CONCURRENCY = 64;

/**
 * A budget of bytes shared by concurrent transfers for their buffers: `take` waits until the
 * bytes are free, first come first served. A request larger than the whole budget is granted
 * when nothing else is held, so it never waits for ever.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { n: number; go: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Takes `n` bytes if they are free now (and nobody waits before), else false. */
  tryTake(n: number): boolean {
    if (this.waiting.length > 0 || !this.fits(n)) return false;
    this.used += n;
    return true;
  }

  async take(n: number): Promise<void> {
    if (this.tryTake(n)) return;
    await new Promise<void>((go) => this.waiting.push({ n, go }));
  }

  give(n: number): void {
    this.used -= n;
    while (this.waiting.length > 0 && this.fits(this.waiting[0].n)) {
      const w = this.waiting.shift()!;
      this.used += w.n;
      w.go();
    }
  }

  /** Bytes taken and not given back (for tests). */
  get inUse(): number {
    return this.used;
  }

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.capacity;
  }
}
