/**
 * Conflicts through the built CLI: all four conflict rows block the sync (exit 3) and are
 * written to conflicts.txt; `sync --continue` applies R, L or C for real; backups exist
 * exactly where a local file was overwritten or deleted; the other copy receives the result.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupAll, dsg, put, Sandbox } from '../helpers/cli.js';
import { conflictScene } from '../helpers/conflictScene.js';
import { treeState } from '../helpers/trees.js';

const BACKUP = /~\d{8}T\d{6}[+-]\d{4}~$/;

function withoutBackups(t: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(t).filter(([p]) => !BACKUP.test(p)));
}

const setUp = conflictScene;

/** Keep one choice line per block: `pick(path)` says which. */
function choose(file: string, pick: (path: string, offered: string[]) => string): void {
  const out: string[] = [];
  let blocks: { path: string; offered: string[] }[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let current: { path: string; offered: string[] } | null = null;
  for (const line of lines) {
    const m = /^# File: (.*)$/.exec(line);
    if (m) {
      current = { path: m[1], offered: [] };
      blocks.push(current);
    } else if (/^_[RLC]/.test(line) && current) current.offered.push(line[1]);
  }
  current = null;
  for (const line of lines) {
    const m = /^# File: (.*)$/.exec(line);
    if (m) current = blocks.find((b) => b.path === m[1])!;
    if (/^_[RLC]/.test(line) && current) {
      if (line[1] === pick(current.path, current.offered)) out.push(line);
      continue;
    }
    out.push(line);
  }
  writeFileSync(file, out.join('\n'));
  blocks = [];
}

const content = (root: string, p: string): string | null => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : null);
const backups = (root: string): string[] => Object.keys(treeState(root)).filter((p) => BACKUP.test(p)).map((p) => p.replace(BACKUP, '')).sort();

describe('conflicts and sync --continue', () => {
  const boxes: Sandbox[] = [];
  after(() => cleanupAll(boxes));

  it('all four conflict rows block the sync with exit 3 and are listed with their choices', () => {
    const box = new Sandbox('dsg-conf');
    boxes.push(box);
    const { A, envA } = setUp(box);
    const before = treeState(join(box.repos, 'proj'));
    const r = dsg(A, envA, 'sync', '--json');
    assert.equal(r.code, 3);
    assert.deepEqual(r.json.error.details.map((d: any) => d.path).sort(), ['input/add', 'input/all', 'input/del_local', 'input/del_remote']);
    assert.deepEqual(treeState(join(box.repos, 'proj')), before, 'nothing was transferred');
    const text = readFileSync(join(A, 'conflicts.txt'), 'utf8');
    assert.match(text, /# File: input\/all\n# Conflict: changed locally and on remote, differently\n_R/);
    assert.match(text, /# File: input\/add\n# Conflict: added locally and on remote, differently\n_R.*\n_L/);
    assert.doesNotMatch(text, /# File: input\/add\n[^#]*_C/);
    const status = dsg(A, envA, 'status', '--json');
    assert.equal(status.code, 3);
    assert.deepEqual(status.json.conflicts.map((c: any) => c.description).sort(), [
      'added locally and on remote, differently',
      'changed locally and on remote, differently',
      'changed locally, deleted on remote',
      'deleted locally, changed on remote',
    ]);
  });

  const expectations: Record<string, { files: Record<string, string | null>; backups: string[] }> = {
    R: {
      files: { 'input/all': 'all from ben', 'input/del_local': 'del_local from ben', 'input/add': 'add from ben', 'input/del_remote': null },
      backups: ['input/add', 'input/all', 'input/del_remote'],
    },
    L: {
      files: { 'input/all': 'all from ana', 'input/del_local': null, 'input/add': 'add from ana', 'input/del_remote': 'del_remote from ana' },
      backups: [],
    },
    C: {
      files: { 'input/all': 'all v1', 'input/del_local': 'del_local v1', 'input/add': 'add from ben', 'input/del_remote': 'del_remote v1' },
      backups: ['input/add', 'input/all', 'input/del_remote'],
    },
  };

  for (const [choice, expected] of Object.entries(expectations)) {
    it(`resolving every conflict with _${choice} applies it on both sides; the other copy receives it`, () => {
      const box = new Sandbox(`dsg-conf-${choice}`);
      boxes.push(box);
      const { A, B, envA, envB } = setUp(box);
      assert.equal(dsg(A, envA, 'sync').code, 3);
      // input/add offers no _C (there is no cached version): take _R there.
      choose(join(A, 'conflicts.txt'), (_p, offered) => (offered.includes(choice) ? choice : 'R'));
      const r = dsg(A, envA, 'sync', '--continue', '--json', '-m', `resolved ${choice}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(join(A, 'conflicts.txt')), false, 'conflicts.txt is removed');
      const repo = join(box.repos, 'proj');
      for (const [p, want] of Object.entries(expected.files)) {
        assert.equal(content(A, p), want, `local ${p}`);
        assert.equal(content(repo, p), want, `remote ${p}`);
      }
      assert.deepEqual(backups(A), expected.backups);
      // --json names the version each conflict took and every backup made.
      const action = { R: 'remote', L: 'local', C: 'cache' }[choice];
      const want = ['input/add', 'input/all', 'input/del_local', 'input/del_remote'].map((p) => [p, p === 'input/add' && choice === 'C' ? 'remote' : action]);
      assert.deepEqual(r.json.resolved.map((x: any) => [x.path, x.action]).sort(), want);
      assert.deepEqual(r.json.backups.map((b: any) => b.path).sort(), expected.backups);
      for (const b of r.json.backups) assert.equal(existsSync(join(A, b.backup)), true, `backup ${b.backup} reported but absent`);
      if (expected.backups.includes('input/all')) {
        const name = Object.keys(treeState(A)).find((p) => p.startsWith('input/all~'))!;
        assert.equal(readFileSync(join(A, name), 'utf8'), 'all from ana', 'the backup holds the overwritten local version');
      }
      assert.equal(dsg(A, envA, 'status', '--json').json.upToDate, true);
      assert.equal(dsg(B, envB, 'sync').code, 0);
      assert.deepEqual(withoutBackups(treeState(B)), withoutBackups(treeState(A)));
      assert.deepEqual(withoutBackups(treeState(repo)), withoutBackups(treeState(A)));
    });
  }

  it('an edited conflicts.txt with a mistake is refused with the line named; a stale one is removed', () => {
    const box = new Sandbox('dsg-conf-bad');
    boxes.push(box);
    const { A, envA } = setUp(box);
    assert.equal(dsg(A, envA, 'sync').code, 3);
    const file = join(A, 'conflicts.txt');
    const original = readFileSync(file, 'utf8');
    // Untouched: every file still has several choices.
    let r = dsg(A, envA, 'sync', '--continue');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflicts\.txt line \d+: more than one choice left for input\/\w+/);
    writeFileSync(file, original.replace(/^_R.*$/m, 'maybe remote?'));
    r = dsg(A, envA, 'sync', '--continue');
    assert.match(r.stderr, /line \d+: "maybe remote\?" is not a choice/);
    writeFileSync(file, original);
    choose(file, (_p, offered) => offered[0]);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# File: input/unknown\n_R\n`);
    r = dsg(A, envA, 'sync', '--continue');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not in conflict: input\/unknown/);
    // The user resolves by hand instead: the conflicts disappear, conflicts.txt is stale.
    for (const p of ['input/all', 'input/add']) put(A, p, readFileSync(join(box.repos, 'proj', p)));
    put(A, 'input/del_local', readFileSync(join(box.repos, 'proj', 'input/del_local')));
    unlinkSync(join(A, 'input/del_remote'));
    r = dsg(A, envA, 'sync', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /conflicts\.txt removed/);
    assert.equal(existsSync(file), false);
    assert.equal(dsg(A, envA, 'sync', '--continue').code, 1, 'nothing left to continue');
  });
});
