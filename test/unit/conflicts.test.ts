import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entry } from '../../src/manifest/types.js';
import { parseConflictsFile, renderConflictsFile } from '../../src/sync/conflictsFile.js';
import { planSync } from '../../src/sync/plan.js';
import { resolveConflicts } from '../../src/sync/resolve.js';

const f = (path: string, hash: string): Entry => ({ type: 'file', path, user: 'u@x.org', filesize: 1, mtime: 't', hash: hash.padStart(16, '0') });

describe('conflicts.txt', () => {
  const plan = planSync(new Map([['a', f('a', '1')]]), new Map([['a', f('a', '2')]]), new Map([['a', f('a', '3')]]));

  it('round-trips: the rendered file, reduced to one choice, parses to that choice', () => {
    const text = renderConflictsFile(plan.conflicts).replace(/^_[LC].*\n/gm, '');
    assert.deepEqual([...parseConflictsFile(text)], [['a', 'R']]);
  });

  it('accepts choices without the underscore and in lower case', () => {
    assert.deepEqual([...parseConflictsFile('# File: a\nl\n# File: b\n_c keep it\n')], [['a', 'L'], ['b', 'C']]);
  });

  it('names the line of every mistake', () => {
    assert.throws(() => parseConflictsFile('# File: a\n_R\n_L\n'), /line 3: more than one choice/);
    assert.throws(() => parseConflictsFile('# File: a\n# File: b\n_R\n'), /line 1: no choice left for a/);
    assert.throws(() => parseConflictsFile('_R\n'), /line 1: a choice before any/);
    assert.throws(() => parseConflictsFile('# File: a\n_X\n'), /line 2: "_X" is not a choice/);
    assert.throws(() => parseConflictsFile('# File: a\n_R\n# File: a\n_L\n'), /line 3: a is listed twice/);
  });

  it('resolution: R downloads, L uploads, C restores the cached version on both sides', () => {
    const r = resolveConflicts(plan, new Map([['a', 'R']]));
    assert.deepEqual([r.download.map((e) => e.path), r.upload.length, r.backups], [['a'], 0, ['a']]);
    const l = resolveConflicts(plan, new Map([['a', 'L']]));
    assert.deepEqual([l.download.length, l.upload.map((e) => e.path), l.backups], [0, ['a'], []]);
    const c = resolveConflicts(plan, new Map([['a', 'C']]));
    assert.equal((c.result.get('a') as any).hash, '0000000000000002');
    assert.deepEqual([...c.fromHistory], ['a']);
    assert.throws(() => resolveConflicts(plan, new Map([['b', 'R']])), /not in conflict: b.*lacks: a/);
  });
});
