/**
 * Two working copies of one local repository taking turns reach every non-conflict row of
 * the state table (SPEC §4), through the built CLI, and end identical to each other and to
 * the remote.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync, unlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { treeState } from '../helpers/trees.js';

describe('two working copies taking turns', () => {
  const box = new Sandbox('dsg-two');
  const envA = box.userEnv('Ana', 'ana@example.org');
  const envB = box.userEnv('Ben', 'ben@example.org');
  let A = '';
  let B = '';
  const repo = () => join(box.repos, 'proj');

  const syncOk = (dir: string, env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = dsg(dir, env, 'sync', '--json', ...args);
    assert.equal(r.code, 0, `sync failed: ${r.stderr}`);
    return r.json;
  };
  const states = (result: any): Record<string, string> => Object.fromEntries(result.rows.map((row: any) => [row.path, row.state]));

  before(() => {
    A = box.project('a');
    B = box.project('b');
    for (let i = 0; i < 10; i++) put(A, `t/input/f${i}.csv`, `row ${i}\n`);
    put(A, 't/output/result.txt', 'result v1\n');
    put(A, 't/src/code.R', 'not data\n');
    const init = dsg(A, envA, 'init', '--json', '-m', 'first');
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.json.snapshot, 's1');
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    const clone = dsg(B, envB, 'clone', '--json');
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(clone.json.downloaded.length, 11);
  });
  after(() => box.cleanup());

  it('local_added on one side is remote_added on the other (new folders too)', () => {
    put(A, 'new/deep/input/n1.csv', 'n1\n');
    assert.equal(states(syncOk(A, envA, '-m', 'add n1'))['new/deep/input/n1.csv'], 'local_added');
    const r = syncOk(B, envB);
    assert.equal(states(r)['new/deep/input/n1.csv'], 'remote_added');
    assert.equal(readFileSync(join(B, 'new/deep/input/n1.csv'), 'utf8'), 'n1\n');
  });

  it('local_changed uploads; remote_changed downloads', () => {
    put(A, 't/input/f1.csv', 'row 1 changed\n');
    assert.equal(states(syncOk(A, envA))['t/input/f1.csv'], 'local_changed');
    assert.equal(states(syncOk(B, envB))['t/input/f1.csv'], 'remote_changed');
    assert.equal(readFileSync(join(B, 't/input/f1.csv'), 'utf8'), 'row 1 changed\n');
  });

  it('local_deleted deletes on the remote; remote_deleted deletes locally', () => {
    unlinkSync(join(B, 't/input/f2.csv'));
    assert.equal(states(syncOk(B, envB))['t/input/f2.csv'], 'local_deleted');
    assert.equal(states(syncOk(A, envA))['t/input/f2.csv'], 'remote_deleted');
    assert.throws(() => readFileSync(join(A, 't/input/f2.csv')));
  });

  it('both_changed_equal and added_both_equal only refresh the cache', () => {
    put(A, 't/input/f3.csv', 'same edit\n');
    put(B, 't/input/f3.csv', 'same edit\n');
    put(A, 't/input/both.csv', 'both\n');
    put(B, 't/input/both.csv', 'both\n');
    syncOk(A, envA);
    const r = states(syncOk(B, envB));
    assert.equal(r['t/input/f3.csv'], 'both_changed_equal');
    assert.equal(r['t/input/both.csv'], 'added_both_equal');
  });

  it('gone_both drops the path from the cache', () => {
    unlinkSync(join(A, 't/input/f4.csv'));
    unlinkSync(join(B, 't/input/f4.csv'));
    syncOk(A, envA);
    assert.equal(states(syncOk(B, envB))['t/input/f4.csv'], 'gone_both');
  });

  it('a file replaced by a symlink travels as a link', () => {
    rmSync(join(A, 't/output/result.txt'));
    symlinkSync('../input/f0.csv', join(A, 't/output/result.txt'));
    assert.equal(states(syncOk(A, envA))['t/output/result.txt'], 'local_changed');
    syncOk(B, envB);
  });

  it('an unchanged tree is "Everything up to date" and makes no snapshot', () => {
    const before = dsg(A, envA, 'log', '--json').json.length;
    const r = dsg(A, envA, 'sync');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Everything up to date/);
    assert.equal(dsg(A, envA, 'log', '--json').json.length, before);
    const s = dsg(B, envB, 'status', '--json');
    assert.equal(s.json.upToDate, true);
  });

  it('both copies end identical to each other and to the remote tree', () => {
    const a = treeState(A);
    // Code is not data: it stays in A only.
    assert.ok(a['t/src/code.R']);
    delete a['t/src/code.R'];
    assert.deepEqual(treeState(B), a);
    assert.deepEqual(treeState(repo()), a);
    assert.equal(a['t/output/result.txt'], 'link:../input/f0.csv');
    // Both caches hold the remote manifest byte for byte.
    const remoteManifest = readFileSync(join(repo(), '.dsg/last-sync.json'), 'utf8');
    assert.equal(readFileSync(join(A, '.dsg/last-sync.json'), 'utf8'), remoteManifest);
    assert.equal(readFileSync(join(B, '.dsg/last-sync.json'), 'utf8'), remoteManifest);
  });

  it('unchanged files keep their user; changed ones get the syncing user', () => {
    const m = JSON.parse(readFileSync(join(repo(), '.dsg/last-sync.json'), 'utf8'));
    assert.equal(m.entries['t/input/f0.csv'].user, 'ana@example.org');
    assert.equal(m.entries['t/input/f1.csv'].user, 'ana@example.org');
    assert.equal(m.entries['t/input/f3.csv'].user, 'ana@example.org');
    const log = dsg(B, envB, 'log', '--json').json;
    assert.ok(log.some((e: any) => e.user === 'ben@example.org'));
  });
});
