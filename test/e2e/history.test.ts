/** History lives on the remote: a clone made after 3 snapshots sees all of them. */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { xxh3Hex } from '../../src/manifest/hash.js';

describe('history', () => {
  const box = new Sandbox('dsg-hist');
  after(() => box.cleanup());

  it('a clone made after 3 snapshots shows all 3 in log --json, with messages and users', () => {
    const ana = box.userEnv('Ana', 'ana@example.org');
    const ben = box.userEnv('Ben', 'ben@example.org');
    const A = box.project('a');
    const B = box.project('b');
    for (let i = 0; i < 4; i++) put(A, `input/f${i}`, `v${i}`);
    assert.equal(dsg(A, ana, 'init', '-m', 'one').code, 0);
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    const cloned = dsg(B, ben, 'clone');
    assert.equal(cloned.code, 0, cloned.stderr);
    // A clone says what it did (not "nothing to upload").
    assert.match(cloned.stdout, /^Cloned s\d+: \d+ files? downloaded \(/m);
    assert.doesNotMatch(cloned.stdout, /upload/);
    put(B, 'input/f9', 'ben adds');
    assert.equal(dsg(B, ben, 'sync', '-m', 'two').code, 0);
    assert.equal(dsg(A, ana, 'sync').code, 0);
    put(A, 'input/f0', 'ana edits');
    assert.equal(dsg(A, ana, 'sync', '-m', 'three').code, 0);

    const C = box.project('c');
    const carl = box.userEnv('Carl', 'carl@example.org');
    const clone = dsg(C, carl, 'clone', '--json');
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(clone.json.previousSnapshot, 's3');
    const log = dsg(C, carl, 'log', '--json');
    assert.equal(log.code, 0);
    assert.deepEqual(
      log.json.snapshots.map((e: any) => [e.id, e.message, e.user, e.files]),
      [
        ['s3', 'three', 'ana@example.org', 5],
        ['s2', 'two', 'ben@example.org', 5],
        ['s1', 'one', 'ana@example.org', 4],
      ],
    );
    // The clone holds the history too: sync-messages and every archive.
    const sm = JSON.parse(readFileSync(join(C, '.dsg/sync-messages.json'), 'utf8'));
    assert.deepEqual(Object.keys(sm.snapshots), ['s1', 's2', 's3']);
    for (const id of ['s1', 's2', 's3']) assert.ok(existsSync(join(C, `.dsg/archive/${id}-sync.json.lz4`)));
    assert.equal(readFileSync(join(C, 'input/f0'), 'utf8'), 'ana edits');
    // The chain links each snapshot to the one before.
    assert.equal(sm.snapshots.s3.snapshot_previous, 's2');
    assert.equal(sm.snapshots.s2.snapshot_previous, 's1');

    assert.deepEqual(dsg(C, carl, 'log', '--json', '-n', '1').json.snapshots.map((e: any) => e.id), ['s3']);
    assert.deepEqual(dsg(C, carl, 'log', '--json', '--author', 'ben').json.snapshots.map((e: any) => e.id), ['s2']);
    assert.equal(dsg(C, carl, 'log', '--since', 'not a date').code, 2);
    // -n 0 prints nothing (as git); a filter that matches nothing says so.
    const none = dsg(C, carl, 'log', '-n', '0');
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    assert.match(dsg(C, carl, 'log', '--author', 'nobody-at-all').stdout, /^No snapshots match\.$/m);
  });

  it('the remote keeps every version of every file under .dsg/objects', () => {
    const repo = join(box.repos, 'proj');
    // f0 had "v0" in s1 and "ana edits" in s3: both contents are stored, once each.
    for (const content of ['v0', 'ana edits']) {
      const h = xxh3Hex(content);
      assert.equal(readFileSync(join(repo, '.dsg/objects', h.slice(0, 2), h), 'utf8'), content);
    }
    assert.equal(readFileSync(join(repo, 'input/f0'), 'utf8'), 'ana edits');
  });
});
