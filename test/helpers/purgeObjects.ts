/**
 * Remove every object under a prefix of the test bucket (a sandbox's repositories), so the
 * in-memory S3 server does not fill up: `node purgeObjects.js '{"bucket","prefix","endpoint"}'`.
 * A script, not a function, because sandbox cleanup is synchronous.
 */
import { S3Store } from '../../src/remote/objects/s3/S3Store.js';
import { ResilientStore } from '../../src/remote/objects/resilient.js';
import { forEachLimited } from '../../src/platform/pool.js';

const opts = JSON.parse(process.argv[2]) as { bucket: string; prefix: string; endpoint: string };
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
