/**
 * `sync --prefer local|remote|newer` through the built CLI: every conflict of the four rows is
 * resolved in the same run (exit 0), reported one line per path, with the backups `--continue`
 * makes; the repository and the working copy end as the choice says.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dsg, sandboxes } from '../helpers/cli.js';
import { conflictScene } from '../helpers/conflictScene.js';
import { treeState } from '../helpers/trees.js';

const BACKUP = /~\d{8}T\d{6}[+-]\d{4}~$/;
const box = sandboxes();

const setUp = conflictScene;

const content = (root: string, p: string): string | null => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : null);
const backupsOf = (root: string): string[] => Object.keys(treeState(root)).filter((p) => BACKUP.test(p)).map((p) => p.replace(BACKUP, '')).sort();

const expectations: Record<string, { actions: Record<string, string>; files: Record<string, string | null>; backups: string[] }> = {
  local: {
    actions: { 'input/add': 'local', 'input/all': 'local', 'input/del_local': 'local', 'input/del_remote': 'local' },
    files: { 'input/all': 'all from ana', 'input/del_local': null, 'input/add': 'add from ana', 'input/del_remote': 'del_remote from ana' },
    backups: [],
  },
  remote: {
    actions: { 'input/add': 'remote', 'input/all': 'remote', 'input/del_local': 'remote', 'input/del_remote': 'remote' },
    files: { 'input/all': 'all from ben', 'input/del_local': 'del_local from ben', 'input/add': 'add from ben', 'input/del_remote': null },
    backups: ['input/add', 'input/all', 'input/del_remote'],
  },
  // Ana's input/all is dated later than Ben's, her input/add earlier; a deletion never wins over an edit.
  newer: {
    actions: { 'input/add': 'remote', 'input/all': 'local', 'input/del_local': 'remote', 'input/del_remote': 'local' },
    files: { 'input/all': 'all from ana', 'input/del_local': 'del_local from ben', 'input/add': 'add from ben', 'input/del_remote': 'del_remote from ana' },
    backups: ['input/add'],
  },
};

describe('sync --prefer', () => {
  for (const [prefer, expected] of Object.entries(expectations)) {
    it(`--prefer ${prefer} resolves every conflict in one run, with backups, on both sides`, () => {
      const { A, B, envA, envB, repo } = setUp(box(`dsg-prefer-${prefer}`));
      const now = Date.now() / 1000;
      utimesSync(join(A, 'input/all'), now + 3600, now + 3600);
      utimesSync(join(A, 'input/add'), now - 3600, now - 3600);
      const r = dsg(A, envA, 'sync', '--prefer', prefer, '--json', '-m', `prefer ${prefer}`);
      assert.equal(r.code, 0, r.stderr);
      const resolved = r.json.resolved as { path: string; action: string }[];
      assert.deepEqual(Object.fromEntries(resolved.map((c) => [c.path, c.action])), expected.actions);
      const reported = r.json.backups as { path: string; backup: string }[];
      assert.deepEqual(reported.map((b) => b.path).sort(), [...expected.backups].sort(), 'backups reported');
      for (const [p, want] of Object.entries(expected.files)) {
        assert.equal(content(A, p), want, `local ${p}`);
        assert.equal(content(repo, p), want, `repository ${p}`);
      }
      assert.deepEqual(backupsOf(A), expected.backups);
      if (expected.backups.includes('input/all')) {
        const name = reported.find((b) => b.path === 'input/all')!.backup;
        assert.equal(readFileSync(join(A, name), 'utf8'), 'all from ana', 'the backup holds the local version that lost');
      }
      assert.equal(existsSync(join(A, 'conflicts.txt')), false);
      assert.equal(dsg(A, envA, 'status', '--json').json.upToDate, true);
      assert.equal(dsg(B, envB, 'sync').code, 0);
      assert.equal(content(B, 'input/all'), expected.files['input/all']);
    });
  }

  it('--prefer newer: a tie (the same second) goes to the repository, the local version kept as a backup', () => {
    const { A, B, envA } = setUp(box('dsg-prefer-tie'));
    for (const p of ['input/all', 'input/add']) {
      const t = statSync(join(B, p)).mtime; // Ben's synced version keeps its mtime in the manifest
      utimesSync(join(A, p), t, t);
    }
    const r = dsg(A, envA, 'sync', '--prefer', 'newer', '--json');
    assert.equal(r.code, 0, r.stderr);
    const actions = Object.fromEntries((r.json.resolved as { path: string; action: string }[]).map((c) => [c.path, c.action]));
    assert.equal(actions['input/all'], 'remote');
    assert.equal(actions['input/add'], 'remote');
    assert.equal(content(A, 'input/all'), 'all from ben');
    assert.deepEqual(backupsOf(A), ['input/add', 'input/all']);
  });

  it('prints one line per resolved path, removes a stale conflicts.txt, and refuses --prefer with --continue or an unknown side', () => {
    const { A, envA } = setUp(box('dsg-prefer-human'));
    assert.equal(dsg(A, envA, 'sync').code, 3);
    assert.equal(existsSync(join(A, 'conflicts.txt')), true);
    const bad = dsg(A, envA, 'sync', '--prefer', 'mine');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^dsg: .*local, remote, newer/m);
    const both = dsg(A, envA, 'sync', '--prefer', 'local', '--continue');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^dsg: .*cannot be combined/m);
    const dry = dsg(A, envA, 'sync', '--prefer', 'remote', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr + dry.stdout, /would resolve input\/all: use remote/);
    const r = dsg(A, envA, 'sync', '--prefer', 'remote');
    assert.equal(r.code, 0, r.stderr);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('resolved '));
    assert.equal(lines.length, 4, r.stdout + r.stderr);
    assert.match(lines.join('\n'), /^resolved input\/all: use remote \(your version kept as input\/all~\d{8}T\d{6}[+-]\d{4}~\)$/m);
    assert.equal(existsSync(join(A, 'conflicts.txt')), false);
  });
});
