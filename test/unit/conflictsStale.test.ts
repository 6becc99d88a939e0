/**
 * Stale conflict choices (issue 7 §1): conflicts.txt records the L, C and R versions each
 * choice was offered against; resolving refuses, naming the path and the side, when they changed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyncBlockedError } from '../../src/errors/SyncBlockedError.js';
import type { Entry } from '../../src/manifest/types.js';
import { parseConflictsFile, renderConflictsFile } from '../../src/sync/conflictsFile.js';
import { planSync } from '../../src/sync/plan.js';
import { resolveConflicts } from '../../src/sync/resolve.js';

const f = (path: string, hash: string): Entry => ({ type: 'file', path, user: 'u@x.org', filesize: 1, mtime: 't', hash: hash.padStart(16, '0') });
const l = (path: string, reference: string): Entry => ({ type: 'link', path, user: 'u@x.org', reference });
const m = (...entries: Entry[]): Map<string, Entry> => new Map(entries.map((e) => [e.path, e]));

/** The rendered conflicts.txt of a plan, with `pick` kept for every file. */
function chosen(L: Map<string, Entry>, C: Map<string, Entry>, R: Map<string, Entry>, pick: 'R' | 'L' | 'C'): string {
  const text = renderConflictsFile(planSync(L, C, R).conflicts);
  return text.replace(new RegExp(`^_[^${pick}].*\\n`, 'gm'), '');
}

describe('conflicts.txt records what each choice was made against', () => {
  const L = m(f('a', '1'), l('b', 'x y\nz'));
  const C = m(f('a', '2'));
  const R = m(f('a', '3'), l('b', 'other'));

  it('each file block has one "# State:" line with the L, C and R versions; a link target stays on one line', () => {
    const text = renderConflictsFile(planSync(L, C, R).conflicts);
    assert.match(text, /# File: a\n# Conflict: .*\n_R.*\n_L.*\n_C.*\n# State: L=0000000000000001 C=0000000000000002 R=0000000000000003\n/);
    assert.match(text, /# File: b\n(?:.*\n)*?# State: L=link:x%20y%0Az C=- R=link:other\n/);
    const parsed = parseConflictsFile(text.replace(/^_[LC].*\n/gm, ''));
    assert.deepEqual([...parsed.recorded!], [
      ['a', { L: '0000000000000001', C: '0000000000000002', R: '0000000000000003' }],
      ['b', { L: 'link:x%20y%0Az', C: '-', R: 'link:other' }],
    ]);
  });

  it('unchanged versions: the choices apply', () => {
    const r = resolveConflicts(planSync(L, C, R), parseConflictsFile(chosen(L, C, R, 'L')));
    assert.deepEqual(r.upload.map((e) => e.path), ['a', 'b']);
  });

  it('the repository version changed since: refused with CONFLICTS_STALE (exit 3) naming the file and the side', () => {
    const choices = parseConflictsFile(chosen(L, C, R, 'L'));
    const newer = m(f('a', '4'), l('b', 'other'));
    assert.throws(
      () => resolveConflicts(planSync(L, C, newer), choices),
      (e: unknown) => {
        assert.ok(e instanceof SyncBlockedError);
        assert.equal(e.code, 'CONFLICTS_STALE');
        assert.equal(e.exitCode, 3);
        assert.match(e.message, /^ {2}a: the repository's version changed since conflicts\.txt was written$/m);
        assert.doesNotMatch(e.message, /^ {2}b:/m);
        assert.match(e.message, /Run "dsg sync" to write a fresh conflicts\.txt/);
        assert.deepEqual(e.details, [{ path: 'a', changed: ["the repository's version changed"] }]);
        return true;
      },
    );
  });

  it('the local file or the cached version changed since: refused, naming each', () => {
    const choices = parseConflictsFile(chosen(L, C, R, 'R'));
    assert.throws(() => resolveConflicts(planSync(m(f('a', '5'), l('b', 'x y\nz')), C, R), choices), /a: the local file changed since/);
    assert.throws(() => resolveConflicts(planSync(L, m(f('a', '6')), R), choices), /a: the last synced version changed since/);
    assert.throws(() => resolveConflicts(planSync(m(f('a', '1'), l('b', 'new')), C, R), choices), /b: the local file changed since/);
  });

  it('a conflicts.txt without "# State:" lines (Python tool, older dsg) is accepted as before', () => {
    const old = '# File: a\n# Conflict: changed locally and on remote, differently\n_L  use local\n';
    const choices = parseConflictsFile(old);
    assert.equal(choices.recorded!.size, 0);
    const r = resolveConflicts(planSync(m(f('a', '1')), C, m(f('a', '9'))), choices);
    assert.deepEqual(r.upload.map((e) => e.path), ['a']);
  });

  it('a damaged "# State:" line is an error naming the line', () => {
    assert.throws(() => parseConflictsFile('# File: a\n_R\n# State: L=1 C=2\n'), /line 3: "# State: L=1 C=2" is not a state line/);
    assert.throws(() => parseConflictsFile('# State: L=1 C=2 R=3\n# File: a\n_R\n'), /line 1: a "# State:" line before any "# File:" line/);
    assert.throws(() => parseConflictsFile('# File: a\n_R\n# State: L=1 C=2 R=3\n# State: L=1 C=2 R=3\n'), /line 4: more than one "# State:" line for a/);
  });
});
