/**
 * The client journal `.dsg/transactions/<tx>.json` is checked before recovery acts on it:
 * paths like manifest paths, target entries, tx_id, phase (issue 7 §2).
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JournalError } from '../../src/errors/JournalError.js';
import { parseClientJournal } from '../../src/transaction/journalValidation.js';
import { dsg, put, Sandbox } from '../helpers/cli.js';

const TX = '20250101T000000000Z-abcd1234';

function journal(over: Record<string, unknown> = {}, change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tx_id: TX,
    kind: 'sync',
    phase: 'committed',
    started_at: '2025-01-01T00:00:00-08:00',
    pid: 1,
    host: 'h',
    base_snapshot: 's1',
    target_snapshot: 's2',
    target_snapshot_hash: '0123456789abcdef',
    remote_changes: true,
    changes: [
      {
        path: 'input/a.csv',
        pre: { kind: 'file', size: 3, mtime_ns: '1', ino: '2' },
        target: { type: 'file', path: 'input/a.csv', user: 'a@b', filesize: 1, mtime: '2025-01-01T00:00:00-08:00', hash: '0123456789abcdef' },
        ...change,
      },
    ],
    ...over,
  };
}

const parse = (j: unknown, name = `${TX}.json`) => parseClientJournal(JSON.stringify(j), `/wc/.dsg/transactions/${name}`, name);

describe('client journal validation', () => {
  it('accepts a journal as dsg writes it, keeping every field', () => {
    const j = journal({ kept: [{ path: 'input/b.csv', cache: null }], later_field: 1 }, { backup: 'input/a.csv~20250101T000000-0800~' });
    assert.deepEqual(parse(j), j);
    assert.equal(parse(journal({}, { pre: { kind: 'file', size: -1, mtime_ns: '-5', ino: '-1' } })).phase, 'committed');
    assert.equal(parse(journal({}, { target: { type: 'link', path: 'input/a.csv', user: 'u', reference: 'b.csv' } })).changes.length, 1);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a path with ..', journal({}, { path: '../../outside.txt', target: null }), /changes\[0\]\.path "\.\.\/\.\.\/outside\.txt" contains "\.\."/],
    ['an absolute path', journal({}, { path: '/etc/passwd', target: null }), /is absolute/],
    ['a path inside .DSG', journal({}, { path: '.DSG/x', target: null }), /inside \.dsg/],
    ['a backup outside', journal({}, { backup: '../x~' }), /changes\[0\]\.backup/],
    ['a target for another path', journal({}, { target: { type: 'file', path: 'input/b.csv', user: 'u', filesize: 1, mtime: 'm', hash: '0123456789abcdef' } }), /target has path/],
    ['a link target escaping', journal({}, { target: { type: 'link', path: 'input/a.csv', user: 'u', reference: '../../../etc' } }), /points outside the project/],
    ['a bad hash', journal({}, { target: { type: 'file', path: 'input/a.csv', user: 'u', filesize: 1, mtime: 'm', hash: '../x' } }), /invalid hash/],
    ['a tx_id with a slash', journal({ tx_id: '../../x' }, {}), /tx_id/],
    ['a tx_id that is not the file name', journal({ tx_id: 'other-id' }, {}), /does not match the file name/],
    ['an unknown phase', journal({ phase: 'done' }), /"phase"/],
    ['changes that are not a list', journal({ changes: {} }), /"changes" is not a list/],
    ['a kept path escaping', journal({ kept: [{ path: '../k', cache: null }] }), /kept\[0\]\.path/],
    ['not an object', [1, 2], /not an object/],
  ];
  for (const [what, j, why] of bad) {
    it(`refuses ${what}, naming the journal file and what to do`, () => {
      assert.throws(
        () => parse(j),
        (err: unknown) => {
          assert.ok(err instanceof JournalError);
          assert.equal(err.code, 'JOURNAL_INVALID');
          assert.match(err.message, why);
          assert.match(err.message, /\/wc\/\.dsg\/transactions\/20250101T000000000Z-abcd1234\.json/);
          assert.match(err.message, /dsg recover/);
          return true;
        },
      );
    });
  }

  it('refuses text that is not JSON', () => {
    assert.throws(() => parseClientJournal('{"tx_id": ', '/wc/j.json', 'j.json'), /\/wc\/j\.json, is damaged.*not valid JSON/);
  });
});

describe('a planted client journal (CLI)', () => {
  const box = new Sandbox('dsg-journal');
  after(() => box.cleanup());

  it('recovery refuses a committed journal whose path leaves the working copy; the outside file is untouched', () => {
    const env = box.userEnv('Ana', 'ana@example.org');
    const P = box.project('wc/p');
    put(P, 'input/a.csv', 'abc');
    assert.equal(dsg(P, env, 'init').code, 0);
    const outside = join(box.base, 'outside.txt');
    writeFileSync(outside, 'precious');
    const st = lstatSync(outside, { bigint: true });
    // Its pre-state matches the outside file exactly, so a trusting recovery would delete it.
    const j = journal({}, { path: '../../outside.txt', pre: { kind: 'file', size: Number(st.size), mtime_ns: String(st.mtimeNs), ino: String(st.ino) }, target: null });
    mkdirSync(join(P, '.dsg', 'transactions'), { recursive: true });
    const file = join(P, '.dsg', 'transactions', `${TX}.json`);
    writeFileSync(file, JSON.stringify(j));
    for (const cmd of ['status', 'recover']) {
      const r = dsg(P, env, cmd);
      assert.equal(readFileSync(outside, 'utf8'), 'precious');
      assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
      assert.ok(r.stderr.includes(file), r.stderr);
      assert.match(r.stderr, /contains "\.\."/);
    }
  });
});
