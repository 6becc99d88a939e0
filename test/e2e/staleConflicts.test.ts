/**
 * Stale conflict choices through the built CLI (issue 7 §1): `sync --continue` refuses a choice
 * made against versions that changed since conflicts.txt was written, naming the file, and
 * changes nothing on either side; unchanged choices still apply.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupAll, dsg, put, Sandbox } from '../helpers/cli.js';
import { fullState } from '../helpers/trees.js';

/** Ana and Ben both changed input/all after syncing it; Ana's sync stopped on the conflict. */
function conflicted(label: string) {
  const box = new Sandbox(label);
  const envA = box.userEnv('Ana', 'ana@example.org');
  const envB = box.userEnv('Ben', 'ben@example.org');
  const A = box.project('a');
  const B = box.project('b');
  put(A, 'input/all', 'all v1');
  put(A, 'input/other', 'other v1');
  assert.equal(dsg(A, envA, 'init').code, 0);
  copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
  assert.equal(dsg(B, envB, 'clone').code, 0);
  put(B, 'input/all', 'all from ben');
  assert.equal(dsg(B, envB, 'sync', '-m', 'ben').code, 0);
  put(A, 'input/all', 'all from ana');
  assert.equal(dsg(A, envA, 'sync').code, 3);
  return { box, A, B, envA, envB, repo: join(box.repos, 'proj'), file: join(A, 'conflicts.txt') };
}

/** Keep only the `_<pick>` choice line of every block. */
function keep(file: string, pick: 'R' | 'L' | 'C'): void {
  writeFileSync(file, readFileSync(file, 'utf8').replace(new RegExp(`^_[^${pick}].*\\n`, 'gm'), ''));
}

describe('stale conflict choices', () => {
  const boxes: Sandbox[] = [];
  after(() => cleanupAll(boxes));

  it('a teammate synced a newer version after conflicts.txt was written: _L is refused, naming the file; nothing changes', () => {
    const s = conflicted('dsg-stale-r');
    boxes.push(s.box);
    keep(s.file, 'L');
    put(s.B, 'input/all', 'all from ben, newer');
    assert.equal(dsg(s.B, s.envB, 'sync', '-m', 'ben again').code, 0);
    const repoBefore = fullState(s.repo);
    const localBefore = fullState(s.A);
    const r = dsg(s.A, s.envA, 'sync', '--continue', '-m', 'resolved');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /input\/all: the repository's version changed since conflicts\.txt was written/);
    assert.doesNotMatch(r.stderr, /input\/other/);
    assert.match(r.stderr, /Run "dsg sync" to write a fresh conflicts\.txt/);
    assert.deepEqual(fullState(s.repo), repoBefore, 'the repository is unchanged');
    assert.deepEqual(fullState(s.A), localBefore, 'the working copy is unchanged, conflicts.txt included');
    assert.equal(readFileSync(join(s.repo, 'input/all'), 'utf8'), 'all from ben, newer');
    // The way out the message names: a fresh conflicts.txt, a new choice, and it applies.
    assert.equal(dsg(s.A, s.envA, 'sync').code, 3);
    keep(s.file, 'L');
    assert.equal(dsg(s.A, s.envA, 'sync', '--continue', '-m', 'resolved').code, 0);
    assert.equal(readFileSync(join(s.repo, 'input/all'), 'utf8'), 'all from ana');
  });

  it('the local file changed after conflicts.txt was written: _R is refused, naming the file', () => {
    const s = conflicted('dsg-stale-l');
    boxes.push(s.box);
    keep(s.file, 'R');
    put(s.A, 'input/all', 'all from ana, edited again');
    const repoBefore = fullState(s.repo);
    const r = dsg(s.A, s.envA, 'sync', '--continue', '--json');
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.json.error.code, 'CONFLICTS_STALE');
    assert.deepEqual(r.json.error.details, [{ path: 'input/all', changed: ['the local file changed'] }]);
    assert.deepEqual(fullState(s.repo), repoBefore);
    assert.equal(readFileSync(join(s.A, 'input/all'), 'utf8'), 'all from ana, edited again');
  });

  it('nothing changed since conflicts.txt was written: _L applies on both sides', () => {
    const s = conflicted('dsg-stale-ok');
    boxes.push(s.box);
    assert.match(readFileSync(s.file, 'utf8'), /^# File: input\/all\n(?:.*\n)*# State: L=[0-9a-f]{16} C=[0-9a-f]{16} R=[0-9a-f]{16}$/m);
    keep(s.file, 'L');
    const r = dsg(s.A, s.envA, 'sync', '--continue', '-m', 'resolved');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.repo, 'input/all'), 'utf8'), 'all from ana');
    assert.equal(dsg(s.B, s.envB, 'sync').code, 0);
    assert.equal(readFileSync(join(s.B, 'input/all'), 'utf8'), 'all from ana');
  });

  it('a conflicts.txt without recorded versions (Python tool) is accepted, with a notice', () => {
    const s = conflicted('dsg-stale-py');
    boxes.push(s.box);
    writeFileSync(s.file, '# File: input/all\n# Conflict: changed locally and on remote, differently\n_L  use local\n');
    const r = dsg(s.A, s.envA, 'sync', '--continue', '-m', 'resolved');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /conflicts\.txt records no versions for input\/all/);
    assert.equal(readFileSync(join(s.repo, 'input/all'), 'utf8'), 'all from ana');
  });
});
