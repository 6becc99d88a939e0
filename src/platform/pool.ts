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
