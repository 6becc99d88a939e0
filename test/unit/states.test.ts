import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entry } from '../../src/manifest/types.js';
import { classifyPath } from '../../src/sync/states.js';
import { checkSafetyRails, planSync } from '../../src/sync/plan.js';
import { SyncBlockedError } from '../../src/errors/SyncBlockedError.js';
import { renderConflictsFile } from '../../src/sync/conflictsFile.js';

const f = (hash: string, user = 'a@x.org'): Entry => ({ type: 'file', path: 'p', user, filesize: 1, mtime: 't', hash: hash.padStart(16, '0') });
const l = (reference: string): Entry => ({ type: 'link', path: 'p', user: 'a@x.org', reference });
const A = f('a');
const B = f('b');
const Cx = f('c');

// Every row of SPEC §4, in table order: [L, C, R, state, action].
const TABLE: [Entry | undefined, Entry | undefined, Entry | undefined, string, string][] = [
  [A, A, A, 'unchanged', 'none'],
  [A, A, B, 'remote_changed', 'download'],
  [B, A, B, 'both_changed_equal', 'cache_only'],
  [B, A, A, 'local_changed', 'upload'],
  [A, B, Cx, 'conflict_all_differ', 'conflict'],
  [undefined, A, A, 'local_deleted', 'delete_remote'],
  [undefined, A, B, 'conflict_local_deleted_remote_changed', 'conflict'],
  [A, undefined, A, 'added_both_equal', 'cache_only'],
  [A, undefined, B, 'conflict_added_both_differ', 'conflict'],
  [A, A, undefined, 'remote_deleted', 'delete_local'],
  [B, A, undefined, 'conflict_local_changed_remote_deleted', 'conflict'],
  [undefined, undefined, A, 'remote_added', 'download'],
  [undefined, A, undefined, 'gone_both', 'drop_from_cache'],
  [A, undefined, undefined, 'local_added', 'upload'],
];

describe('three-way state table (SPEC §4)', () => {
  for (const [L, C, R, state, action] of TABLE) {
    const name = `${L ? 'L' : '-'}${C ? 'C' : '-'}${R ? 'R' : '-'} → ${state}`;
    it(name, () => {
      assert.deepEqual(classifyPath(L, C, R), { state, action });
    });
  }

  it('ignores user when comparing, and never equates a file with a link', () => {
    assert.equal(classifyPath(f('a', 'x@y.org'), f('a', 'z@y.org'), f('a')).state, 'unchanged');
    assert.equal(classifyPath(l('t'), A, A).state, 'local_changed');
    assert.equal(classifyPath(l('t'), l('t'), l('u')).state, 'remote_changed');
  });

  it('rejects a path present nowhere', () => {
    assert.throws(() => classifyPath(undefined, undefined, undefined));
  });
});

function map(entries: [string, Entry][]): Map<string, Entry> {
  return new Map(entries.map(([p, e]) => [p, { ...e, path: p }]));
}

describe('planSync', () => {
  it('turns the rows into transfers and the resulting entries', () => {
    const L = map([['up', B], ['same', A], ['new', A], ['dl', A]]);
    const C = map([['up', A], ['same', A], ['gone', A], ['dl', A], ['rdel', A]]);
    const R = map([['up', A], ['same', A], ['gone', A], ['dl', B], ['rnew', Cx]]);
    // rdel: L absent, C present, R absent → gone on both; gone: -CR, C=R → delete remote
    const plan = planSync(L, C, R);
    assert.deepEqual(plan.upload.map((e) => e.path).sort(), ['new', 'up']);
    assert.deepEqual(plan.download.map((e) => e.path).sort(), ['dl', 'rnew']);
    assert.deepEqual(plan.deleteRemote, ['gone']);
    assert.deepEqual([...plan.result.keys()], ['dl', 'new', 'rnew', 'same', 'up']);
    assert.equal(plan.changesRemote, true);
    assert.equal(plan.empty, false);
  });

  it('an unchanged tree is an empty plan', () => {
    const M = map([['a', A]]);
    const plan = planSync(M, M, M);
    assert.equal(plan.empty, true);
    assert.equal(plan.changesRemote, false);
  });
});

describe('safety rails', () => {
  const many = (n: number) => map(Array.from({ length: n }, (_, i) => [`f${i}`, A] as [string, Entry]));

  it('conflicts block with exit code 3 and list the paths', () => {
    const plan = planSync(map([['x', A]]), map([['x', B]]), map([['x', Cx]]));
    assert.throws(
      () => checkSafetyRails({ plan, localCount: 1, cacheCount: 1, remoteCount: 1, force: true }),
      (e: unknown) => e instanceof SyncBlockedError && e.exitCode === 3 && e.code === 'CONFLICTS' && /x/.test(e.message),
    );
    assert.match(renderConflictsFile(plan.conflicts), /# File: x\n# Conflict: .*\n_R  use remote/);
  });

  it('an empty scan with a non-empty cache is refused unless forced', () => {
    const C = many(4);
    const plan = planSync(new Map(), C, C);
    assert.throws(() => checkSafetyRails({ plan, localCount: 0, cacheCount: 4, remoteCount: 4, force: false }), /no tracked files/);
    checkSafetyRails({ plan, localCount: 0, cacheCount: 4, remoteCount: 4, force: true });
  });

  it('deleting more than half the files on either side is refused unless forced', () => {
    const C = many(10);
    const L = many(4);
    const plan = planSync(L, C, C);
    assert.throws(() => checkSafetyRails({ plan, localCount: 4, cacheCount: 10, remoteCount: 10, force: false }), /delete 6 of the 10/);
    const plan2 = planSync(C, C, many(4));
    assert.throws(() => checkSafetyRails({ plan: plan2, localCount: 10, cacheCount: 10, remoteCount: 4, force: false }), /delete 6 of your 10/);
    const plan3 = planSync(many(6), C, C);
    checkSafetyRails({ plan: plan3, localCount: 6, cacheCount: 10, remoteCount: 10, force: false });
  });

  it('a file on one side and a folder with the same name on the other is refused', () => {
    const plan = planSync(map([['d', A]]), new Map(), map([['d/x', B]]));
    assert.throws(() => checkSafetyRails({ plan, localCount: 1, cacheCount: 0, remoteCount: 1, force: true }), /folder/);
  });
});
