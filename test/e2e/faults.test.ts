/**
 * Failures in the middle of a sync: corrupted content, permission denied, an interrupted
 * clone (resumes without fetching verified files again), and a local edit made while a sync
 * was interrupted after its commit point (kept, reported as a conflict).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { xxh3Hex } from '../../src/manifest/hash.js';
import { CLI, dsg, put, Sandbox, sandboxes } from '../helpers/cli.js';
import { fullState, treeState } from '../helpers/trees.js';

function pair(box: Sandbox, files = 10) {
  const envA = box.userEnv('Ana', 'ana@example.org');
  const envB = box.userEnv('Ben', 'ben@example.org');
  const A = box.project('a');
  const B = box.project('b');
  for (let i = 0; i < files; i++) put(A, `input/f${i}`, `content of file ${i}\n`.repeat(i + 1));
  assert.equal(dsg(A, envA, 'init').code, 0);
  copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
  return { A, B, envA, envB, repo: join(box.repos, 'proj') };
}

describe('faults', () => {
  const box = sandboxes();

  it('content that does not match its hash is refused on download, naming the file; nothing changes', () => {
    const { A, B, envA, envB, repo } = pair(box('dsg-corrupt'));
    assert.equal(dsg(B, envB, 'clone').code, 0);
    put(A, 'input/f3', 'new content for f3\n');
    assert.equal(dsg(A, envA, 'sync').code, 0);
    // Someone edits the stored object in place (same length): the bytes no longer match.
    const h = xxh3Hex('new content for f3\n');
    const obj = join(repo, '.dsg/objects', h.slice(0, 2), h);
    writeFileSync(obj, 'NEW content for f3\n');
    const before = fullState(B);
    const r = dsg(B, envB, 'sync');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /input\/f3 arrived with other content/);
    assert.deepEqual(fullState(B), before);
  });

  it('permission denied on the repository rolls back with a message naming the cause', (t) => {
    const { A, envA, repo } = pair(box('dsg-perm'));
    put(A, 'input/new', 'new');
    // Root ignores mode bits; an immutable folder refuses even root.
    const lock = spawnSync('chattr', ['+i', join(repo, '.dsg/tmp')], { encoding: 'utf8' });
    assert.equal(lock.status, 0, `chattr is needed for this test: ${lock.stderr}`);
    try {
      const before = fullState(repo);
      const r = dsg(A, envA, 'sync');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /input\/new/);
      assert.match(r.stderr, /[Pp]ermission denied|not permitted/);
      assert.deepEqual(fullState(repo), before);
      t.diagnostic(r.stderr.trim());
    } finally {
      spawnSync('chattr', ['-i', join(repo, '.dsg/tmp')]);
    }
    assert.equal(dsg(A, envA, 'sync').code, 0, 'works again once the folder is writable');
  });

  it('a repository the user may not write to can still be read: status and log take no lock', () => {
    const { A, envA, repo } = pair(box('dsg-readonly'));
    const ro = spawnSync('chattr', ['+i', join(repo, '.dsg')], { encoding: 'utf8' });
    assert.equal(ro.status, 0, `chattr is needed for this test: ${ro.stderr}`);
    try {
      const s = dsg(A, envA, 'status', '--json');
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.json.upToDate, true);
      assert.equal(dsg(A, envA, 'log', '--json').json.snapshots.length, 1);
    } finally {
      spawnSync('chattr', ['-i', join(repo, '.dsg')]);
    }
  });

  it('an interrupted clone resumes without fetching verified files again', () => {
    const { A, B, envB } = pair(box('dsg-resume'), 30);
    const killed = spawnSync(process.execPath, [CLI, 'clone'], { cwd: B, env: { ...envB, DSG_TEST_CRASH_AT: 'download-file-done', DSG_TEST_CRASH_SKIP: '12' }, encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL');
    const r = dsg(B, envB, 'clone', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.json.resumed >= 13, `files reused from the interrupted clone: ${r.json.resumed}`);
    assert.equal(r.json.downloaded.length, 30);
    assert.deepEqual(treeState(B), treeState(A));
    assert.equal(existsSync(join(B, '.dsg/resume')), false);
  });

  it('a local edit made while a committed sync was interrupted is kept and reported as a conflict', () => {
    const { A, B, envA, envB } = pair(box('dsg-kept'));
    assert.equal(dsg(B, envB, 'clone').code, 0);
    put(B, 'input/f1', 'ben changed f1\n');
    put(B, 'input/f2', 'ben changed f2\n');
    assert.equal(dsg(B, envB, 'sync').code, 0);
    put(A, 'input/f9', 'ana changed f9\n');
    const killed = spawnSync(process.execPath, [CLI, 'sync'], { cwd: A, env: { ...envA, DSG_TEST_CRASH_AT: 'journal-committed' }, encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL');
    // The user edits a file the interrupted sync was about to replace.
    put(A, 'input/f1', 'ana edited f1 meanwhile\n');
    const r = dsg(A, envA, 'status', '--json');
    assert.match(r.stderr, /input\/f1/);
    assert.equal(readFileSync(join(A, 'input/f1'), 'utf8'), 'ana edited f1 meanwhile\n', 'the edit survived recovery');
    assert.equal(readFileSync(join(A, 'input/f2'), 'utf8'), 'ben changed f2\n', 'the rest was rolled forward');
    assert.deepEqual(r.json.conflicts.map((c: any) => c.path), ['input/f1']);
    assert.deepEqual(readdirSync(join(A, '.dsg/transactions')), []);
  });
});
