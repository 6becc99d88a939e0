/**
 * The zfs command runner's pure parts, with the exact texts zfs-fuse 0.7 prints (verified on
 * a real pool, docs/design/zfs.md), and the rules the backend's source must keep.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { classify, displayCommand, parseZfsList, zfsName } from '../../src/remote/zfs/zfsCommand.js';

describe('zfs command runner', () => {
  it('parses -H -o output: one line per dataset, tab-separated fields', () => {
    const out = 'P/proj@s1\t0123456789abcdef\nP/proj@s2\t-\n';
    assert.deepEqual(parseZfsList(out, 2), [
      ['P/proj@s1', '0123456789abcdef'],
      ['P/proj@s2', '-'],
    ]);
    assert.deepEqual(parseZfsList('', 1), []);
    assert.throws(() => parseZfsList('P/proj@s1 0123\n', 2), /expected 2 tab-separated fields/);
  });

  it('classifies zfs-fuse error texts into stable codes, with the command and its stderr', () => {
    const cases: [string, string][] = [
      ["cannot create 'P/proj': dataset already exists\n", 'ZFS_EXISTS'],
      ["cannot open 'P/nope': dataset does not exist\n", 'ZFS_NOT_FOUND'],
      ["cannot create 'P/nope/child': parent does not exist\n", 'ZFS_NO_PARENT'],
      ["cannot destroy 'P/c': dataset is busy\n", 'ZFS_BUSY'],
      ["umount: /m/cw: target is busy.\ncannot unmount '/m/cw': umount failed\n", 'ZFS_IN_USE'],
      ['connect: Permission denied\ninternal error: failed to initialize ZFS library\n', 'ZFS_PERMISSION'],
      ['something else\n', 'ZFS_FAILED'],
    ];
    for (const [stderr, code] of cases) {
      const e = classify(['zfs', 'destroy', 'P/c'], stderr, 'localhost');
      assert.equal(e.code, code, stderr);
      assert.equal(e.command, 'zfs destroy P/c');
      assert.match(e.message, /^`zfs destroy P\/c` on localhost failed: /);
      assert.ok(e.message.includes(stderr.trim().split('\n')[0]), e.message);
    }
    assert.match(classify(['zfs', 'list'], 'connect: Permission denied', 'localhost').message, /root .*zfs allow <user> create,mount,snapshot,destroy,clone,userprop <pool>/);
  });

  it('accepts ZFS names and refuses option-like or odd ones', () => {
    for (const ok of ['tank', 'tank/repos', 'dsgtest1_2', 'a.b:c-d']) assert.equal(zfsName(ok, 'pool'), ok);
    for (const bad of ['-f', 'tank/-r', 'tank//x', '/tank', 'tank/', 'a b', 'x;rm', 'ta$(x)', '']) {
      assert.throws(() => zfsName(bad, 'The pool'), (e: any) => e.code === 'ZFS_NAME_INVALID' && e.message.includes('The pool'), bad);
    }
  });

  it('shows commands so they can be pasted into a shell', () => {
    assert.equal(displayCommand(['zfs', 'snapshot', '-o', 'dsg:snapshot_hash=ab', 'P/x@s1']), 'zfs snapshot -o dsg:snapshot_hash=ab P/x@s1');
    assert.equal(displayCommand(['zfs', 'get', "it's"]), "zfs get 'it'\\''s'");
  });

  it('the backend never rolls a dataset back, promotes or renames one, nor forces an unmount or destroy', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const srcDir = here.includes(join('dist', 'test')) ? resolve(here, '..', '..', '..', 'src', 'remote', 'zfs') : resolve(here, '..', '..', 'src', 'remote', 'zfs');
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 2, `found the sources in ${srcDir}`);
    for (const f of files) {
      // Argv arrays only: each argument is a quoted string, so the check reads the code, not its comments.
      const code = readFileSync(join(srcDir, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const forbidden of ["'rollback'", "'promote'", "'rename'", "'-f'"]) assert.equal(code.includes(forbidden), false, `${f} uses ${forbidden}`);
    }
  });
});
