/**
 * Remove every object under a prefix of the test bucket (a sandbox's repositories), so the
 * in-memory S3 server does not fill up. `purge` for async callers; as a script
 * (`node purgeObjects.js '{"bucket","prefix","endpoint"}'`) for the synchronous sandbox cleanup.
 */
import { fileURLToPath } from 'node:url';
import { forEachLimited } from '../../src/platform/pool.js';
import { ResilientStore } from '../../src/remote/objects/resilient.js';
import { S3Store, type S3StoreOptions } from '../../src/remote/objects/s3/S3Store.js';

export async function purge(opts: S3StoreOptions): Promise<void> {
  const store = new ResilientStore(new S3Store(opts));
  try {
    const keys = await store.list('');
    await forEachLimited(keys, 32, (o) => store.delete(o.key));
  } catch (err) {
    // No bucket yet (nothing was ever written): nothing to remove.
    if ((err as { code?: string }).code !== 'REMOTE_NOT_FOUND') throw err;
  } finally {
    await store.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await purge(JSON.parse(process.argv[2]) as S3StoreOptions);
