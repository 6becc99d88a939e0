/**
 * A repository on a full disk rolls back with a clear "no space" error. (Concurrent writers
 * and lease takeover are in the team suite, test/conformance/teamSuite.ts, run by every backend.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { fullState } from '../helpers/trees.js';

describe('a full disk', () => {
  it('rolls back cleanly with a clear "no space" error', (t) => {
    const box = new Sandbox('dsg-full');
    const mnt = join(box.base, 'small');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `this test needs root to mount a 1 MiB tmpfs: ${mount.stderr}`);
    try {
      const env = box.userEnv('Ana', 'ana@example.org');
      const W = join(box.base, 'w');
      mkdirSync(W);
      put(W, '.dsgconfig.yml', `name: proj\nrepository: {type: xfs, host: localhost, mountpoint: ${JSON.stringify(mnt)}}\n`);
      put(W, 'input/small.csv', 'small');
      assert.equal(dsg(W, env, 'init').code, 0);
      put(W, 'input/big.bin', Buffer.alloc(3 << 20, 7));
      const repo = join(mnt, 'proj');
      const beforeRemote = fullState(repo);
      const beforeLocal = fullState(W);
      const r = dsg(W, env, 'sync');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /[Nn]o space left/);
      assert.match(r.stderr, /input\/big\.bin/);
      assert.deepEqual(fullState(repo), beforeRemote);
      assert.deepEqual(readdirSync(join(repo, '.dsg/tmp')), []);
      assert.deepEqual(fullState(W), beforeLocal);
      t.diagnostic(r.stderr.trim());
    } finally {
      spawnSync('umount', [mnt]);
      box.cleanup();
    }
  });
});
