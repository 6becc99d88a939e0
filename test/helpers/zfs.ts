/**
 * The ZFS test backend: each sandbox project is a dataset `<pool>/<name>` of the test pool that
 * scripts/test.sh creates (zfs-fuse, file-backed; DSG_TEST_ZFS_POOL and DSG_TEST_ZFS_MOUNT).
 * Without that pool the ZFS suites fail with a message saying how to run them: never skipped.
 * Every zfs call here runs under a timeout (a sick zfs-fuse can hang any call).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Sandbox, TestBackend } from './cli.js';

export function testPool(): { pool: string; mount: string } {
  const pool = process.env.DSG_TEST_ZFS_POOL;
  const mount = process.env.DSG_TEST_ZFS_MOUNT;
  if (!pool || !mount) {
    throw new Error('The ZFS suites need the test pool: run them through "npm test" (scripts/test.sh creates it), or set DSG_TEST_ZFS_POOL and DSG_TEST_ZFS_MOUNT (see scripts/zfs-pool.sh).');
  }
  return { pool, mount };
}

/** Run zfs with a timeout; stdout, or an assertion error with the command and its stderr. */
export function zfs(...args: string[]): string {
  const r = spawnSync('zfs', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`zfs ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Names under `dataset` (itself, children, snapshots), from `zfs list -t all -r`. */
export function listAll(dataset: string): string[] {
  const r = spawnSync('zfs', ['list', '-H', '-o', 'name', '-t', 'all', '-r', dataset], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return [];
  return r.stdout.split('\n').filter(Boolean);
}

/** `zfs destroy -r`, retried while zfs-fuse says "busy" (never forced). */
export function destroyDataset(dataset: string): void {
  if (listAll(dataset).length === 0) return;
  spawnSync('zfs', ['umount', dataset], { timeout: 60_000 });
  let last = '';
  for (let i = 0; i < 40; i++) {
    const r = spawnSync('zfs', ['destroy', '-r', dataset], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0 || listAll(dataset).length === 0) return;
    last = r.stderr;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`cannot destroy the test dataset ${dataset}: ${last}`);
}

/** Views and mounts dsg made of a project (siblings named dsg-view-<name>-… / dsg-mount-<name>-…). */
export function viewsOf(pool: string, name: string): string[] {
  return listAll(pool).filter((n) => n.startsWith(`${pool}/dsg-view-${name}-`) || n.startsWith(`${pool}/dsg-mount-${name}-`));
}

export function zfsBackend(): TestBackend {
  const { pool, mount } = testPool();
  return {
    name: 'zfs dataset (zfs-fuse), localhost',
    projectName: () => `t${randomBytes(5).toString('hex')}`,
    repositoryYaml: () => `{type: zfs, host: localhost, pool: ${pool}, mountpoint: ${JSON.stringify(mount)}}`,
    repositoryRoot: (_box: Sandbox, name: string) => join(mount, name),
    dispose: (_box, names) => {
      for (const name of names) {
        for (const v of viewsOf(pool, name)) destroyDataset(v);
        destroyDataset(`${pool}/${name}`);
      }
    },
    nativeSnapshots: (_box, name) => {
      const ds = `${pool}/${name}`;
      return zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-s', 'createtxg', '-r', ds)
        .split('\n')
        .filter((n) => n.startsWith(`${ds}@`))
        .map((n) => n.slice(ds.length + 1));
    },
    assertClean: (_box, name) => {
      const ds = `${pool}/${name}`;
      const all = listAll(ds);
      assert.equal(all[0], ds, `${ds} exists`);
      const extra = all.slice(1).filter((n) => !/@s[1-9]\d*$/.test(n) || !n.startsWith(`${ds}@`));
      assert.deepEqual(extra, [], 'only the dataset and its @sN snapshots');
      const ids = all.slice(1).map((n) => Number(n.slice(ds.length + 2)));
      assert.deepEqual(ids, ids.map((_, i) => i + 1), '@s1 … @sN with no gap');
      assert.deepEqual(viewsOf(pool, name), [], 'no view or clone left');
      const origins = zfs('get', '-H', '-o', 'value', 'origin', ds).trim();
      assert.equal(origins, '-', 'the dataset is not a clone');
    },
  };
}
