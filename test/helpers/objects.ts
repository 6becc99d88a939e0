/**
 * Test backends for the content-addressed repository on object stores: S3 on the throwaway
 * Ceph RADOS Gateway that scripts/s3.sh starts (DSG_TEST_S3_ENDPOINT, DSG_TEST_S3_ACCESS_KEY,
 * DSG_TEST_S3_SECRET_KEY), and rclone to a local folder and to that gateway. Without the
 * gateway the S3 suites fail with a message saying how to run them: never skipped. Each
 * sandbox gets its own key prefix in one test bucket.
 */
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xxh3Hex } from '../../src/manifest/hash.js';
import type { ObjectStore } from '../../src/remote/objects/ObjectStore.js';
import { RcloneStore } from '../../src/remote/objects/rclone/RcloneStore.js';
import { S3Store, type S3StoreOptions } from '../../src/remote/objects/s3/S3Store.js';
import type { RepoInspector, Sandbox, TestBackend } from './cli.js';
import { purge } from './purgeObjects.js';

export const TEST_BUCKET = 'dsg-test';

/** The S3 server of the test run; sets the AWS credentials of this process (and of the dsg it runs). */
export function testS3(): { endpoint: string } {
  const endpoint = process.env.DSG_TEST_S3_ENDPOINT;
  const key = process.env.DSG_TEST_S3_ACCESS_KEY;
  const secret = process.env.DSG_TEST_S3_SECRET_KEY;
  if (!endpoint || !key || !secret) {
    throw new Error('The S3 suites need the test S3 server: run them through "npm test" (scripts/test.sh starts Ceph RGW), or source scripts/s3.sh and run s3_start first.');
  }
  process.env.AWS_ACCESS_KEY_ID = key;
  process.env.AWS_SECRET_ACCESS_KEY = secret;
  return { endpoint };
}

/** Key prefix of a sandbox (unique: its temp folder's name). */
function sandboxPrefix(box: Sandbox): string {
  return `t/${basename(box.base)}`;
}

export function s3StoreOptions(box: Sandbox, name: string, endpoint: string): S3StoreOptions {
  return { bucket: TEST_BUCKET, prefix: `${sandboxPrefix(box)}/${name}`, endpoint };
}

/** A repository on an object store as the suites see it (see RepoInspector). */
export function objectInspector(open: () => ObjectStore): RepoInspector {
  const withStore = async <T>(fn: (s: ObjectStore) => Promise<T>): Promise<T> => {
    const s = open();
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  const read = (rel: string) => withStore(async (s) => (await s.get(rel, 1 << 30))?.toString('utf8') ?? null);
  return {
    read,
    exists: (rel) => withStore(async (s) => (await s.stat(rel)) !== null),
    list: (rel) =>
      withStore(async (s) => {
        const names = new Set((await s.list(`${rel}/`)).map((o) => o.key.slice(rel.length + 1).split('/')[0]));
        return [...names].sort();
      }),
    full: () =>
      withStore(async (s) => {
        const out: Record<string, string> = {};
        for (const o of await s.list('')) out[o.key] = `file:${xxh3Hex((await s.get(o.key, 1 << 30)) ?? Buffer.alloc(0))}`;
        return out;
      }),
    tree: () =>
      withStore(async (s) => {
        // The current snapshot's entries, each file's stored object hashed: what a reader would get.
        const snaps = (await s.list('.dsg/snapshots/')).map((o) => /^\.dsg\/snapshots\/s(\d+)\.json$/.exec(o.key)).filter((m) => m !== null);
        if (snaps.length === 0) return {};
        const top = Math.max(...snaps.map((m) => Number(m![1])));
        const manifest = JSON.parse((await s.get(`.dsg/snapshots/s${top}.json`, 1 << 30))!.toString('utf8'));
        const out: Record<string, string> = {};
        for (const e of Object.values(manifest.entries) as { path: string; type: string; hash: string; reference: string }[]) {
          if (e.type === 'link') out[e.path] = `link:${e.reference}`;
          else {
            const data = await s.get(`objects/${e.hash.slice(0, 2)}/${e.hash}`, 1 << 30);
            out[e.path] = data === null ? 'missing' : `file:${xxh3Hex(data)}`;
          }
        }
        return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
      }),
  };
}

const PURGE = join(fileURLToPath(new URL('.', import.meta.url)), 'purgeObjects.js');

export function s3Backend(): TestBackend {
  const { endpoint } = testS3();
  return {
    name: 's3, Ceph RGW',
    projectName: () => 'proj',
    repositoryYaml: (box) => `{type: s3, bucket: ${TEST_BUCKET}, prefix: ${JSON.stringify(sandboxPrefix(box))}, endpoint: ${JSON.stringify(endpoint)}}`,
    repositoryRoot: () => {
      throw new Error('an S3 repository has no folder: use box.inspect()');
    },
    inspect: (box, name) => objectInspector(() => new S3Store(s3StoreOptions(box, name, endpoint))),
    disposeAsync: (box) => purge({ bucket: TEST_BUCKET, prefix: sandboxPrefix(box), endpoint }),
    dispose: (box) => {
      // memstore keeps every byte in RAM: remove what the sandbox wrote.
      const r = spawnSync(process.execPath, [PURGE, JSON.stringify({ bucket: TEST_BUCKET, prefix: sandboxPrefix(box), endpoint })], { encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`removing the sandbox's objects failed: ${r.stderr}`);
    },
  };
}

/** The rclone remote `dsgs3:` on the test gateway, configured by environment (inherited by the dsg runs). */
function rcloneS3Remote(): string {
  const { endpoint } = testS3();
  Object.assign(process.env, {
    RCLONE_CONFIG_DSGS3_TYPE: 's3',
    RCLONE_CONFIG_DSGS3_PROVIDER: 'Ceph',
    RCLONE_CONFIG_DSGS3_ENDPOINT: endpoint,
    RCLONE_CONFIG_DSGS3_ACCESS_KEY_ID: process.env.DSG_TEST_S3_ACCESS_KEY,
    RCLONE_CONFIG_DSGS3_SECRET_ACCESS_KEY: process.env.DSG_TEST_S3_SECRET_KEY,
  });
  return `dsgs3:${TEST_BUCKET}`;
}

/** rclone to a folder of the sandbox (`where: 'local'`) or to the test gateway (`'s3'`). */
export function rcloneBackend(where: 'local' | 's3'): TestBackend {
  const endpoint = where === 's3' ? testS3().endpoint : '';
  // Set before any sandbox copies the environment for its users.
  const s3Remote = where === 's3' ? rcloneS3Remote() : '';
  const remote = (box: Sandbox) => (where === 's3' ? s3Remote : box.repos);
  const path = (box: Sandbox) => (where === 's3' ? sandboxPrefix(box) : 'r');
  return {
    name: `rclone, ${where === 's3' ? 'S3 remote on Ceph RGW' : 'local path'}`,
    projectName: () => 'proj',
    repositoryYaml: (box) => `{type: rclone, remote: ${JSON.stringify(remote(box))}, path: ${JSON.stringify(path(box))}}`,
    repositoryRoot: () => {
      throw new Error('an rclone repository is read through rclone: use box.inspect()');
    },
    inspect: (box, name) => objectInspector(() => new RcloneStore({ remote: remote(box), path: `${path(box)}/${name}` })),
    disposeAsync: async (box) => {
      if (where === 's3') await purge({ bucket: TEST_BUCKET, prefix: sandboxPrefix(box), endpoint });
    },
    dispose: (box) => {
      if (where !== 's3') return; // the folder goes with the sandbox
      const r = spawnSync(process.execPath, [PURGE, JSON.stringify({ bucket: TEST_BUCKET, prefix: sandboxPrefix(box), endpoint })], { encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`removing the sandbox's objects failed: ${r.stderr}`);
    },
  };
}
