/**
 * The binary working-copy index `.dsg/index` (issue 10, P2): round trip, the racy rule, a torn
 * or forged file read as empty (hash everything), and the JSON stat cache of earlier versions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StatCache } from '../../src/scan/statCache.js';
import { WorkingIndex, type IndexRow } from '../../src/scan/workingIndex.js';

const dir = mkdtempSync(join(tmpdir(), 'dsg-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OLD = BigInt(Date.now() - 60_000) * 1_000_000n;
const rows: [string, IndexRow][] = [
  ['input/a.csv', { size: 3, mtimeNs: OLD + 123n, ino: 42n, hash: '0123456789abcdef' }],
  ['input/Grüße 𝄞.bin', { size: 2 ** 40, mtimeNs: -5_000_000_123n, ino: 2n ** 63n + 7n, hash: 'ffffffffffffffff' }],
  ['input/sub/b', { size: 0, mtimeNs: OLD, ino: 1n, hash: '0000000000000000' }],
];

describe('WorkingIndex', () => {
  it('round-trips every row; lookups need size, mtime and inode to match', () => {
    const f = join(dir, 'index');
    WorkingIndex.save(f, rows);
    const ix = WorkingIndex.load(f)!;
    assert.equal(ix.rowCount, 3);
    assert.equal(ix.legacy, false);
    for (const [p, r] of rows) assert.equal(ix.lookup(p, r.size, r.mtimeNs, r.ino), r.hash, p);
    const [p, r] = rows[0];
    assert.equal(ix.lookup(p, r.size + 1, r.mtimeNs, r.ino), undefined);
    assert.equal(ix.lookup(p, r.size, r.mtimeNs + 1n, r.ino), undefined);
    assert.equal(ix.lookup(p, r.size, r.mtimeNs, r.ino + 1n), undefined);
    assert.equal(ix.lookup('input/other', r.size, r.mtimeNs, r.ino), undefined);
    assert.equal(ix.clean, null);
  });

  it('racy rule: a file modified within 2 s before the index was written is hashed again', () => {
    const f = join(dir, 'index-racy');
    const now = BigInt(Date.now()) * 1_000_000n;
    WorkingIndex.save(f, [['x', { size: 1, mtimeNs: now - 1_000_000_000n, ino: 5n, hash: '1111111111111111' }], ['y', { size: 1, mtimeNs: now - 3_000_000_000n, ino: 6n, hash: '2222222222222222' }]]);
    const ix = WorkingIndex.load(f)!;
    assert.equal(ix.lookup('x', 1, now - 1_000_000_000n, 5n), undefined);
    assert.equal(ix.lookup('y', 1, now - 3_000_000_000n, 6n), '2222222222222222');
  });

  it('missing: null; torn, forged, or another file: empty (every file is hashed)', () => {
    assert.equal(WorkingIndex.load(join(dir, 'absent')), null);
    const f = join(dir, 'index-bad');
    WorkingIndex.save(f, rows);
    const good = readFileSync(f);
    const variants: [string, Buffer][] = [
      ['truncated', good.subarray(0, good.length - 1)],
      ['one bit flipped in a row', Buffer.from(good.map((b, i) => (i === good.length - 20 ? b ^ 1 : b)))],
      ['wrong magic', Buffer.concat([Buffer.from('XSGINDEX'), good.subarray(8)])],
      ['empty', Buffer.alloc(0)],
      ['JSON', Buffer.from('{"version":1,"rows":[]}')],
      ['longer than it says', Buffer.concat([good, Buffer.from('x')])],
    ];
    for (const [what, bytes] of variants) {
      writeFileSync(f, bytes);
      const ix = WorkingIndex.load(f)!;
      assert.equal(ix.rowCount, 0, what);
      assert.equal(ix.clean, null, what);
      assert.equal(ix.lookup(rows[0][0], rows[0][1].size, rows[0][1].mtimeNs, rows[0][1].ino), undefined, what);
    }
  });

  it('an empty index and a clean state round-trip', () => {
    const f = join(dir, 'index-clean');
    const clean = { cache: { size: 10, mtime_ns: '123', ino: '9', snapshot_id: 's2', snapshot_hash: 'a'.repeat(16), entries_hash: 'b'.repeat(16), entry_count: 0 }, rules: 'c'.repeat(16), links: 'd'.repeat(16), unchanged: 0, outside: 4 };
    WorkingIndex.save(f, [], clean);
    const ix = WorkingIndex.load(f)!;
    assert.equal(ix.rowCount, 0);
    assert.deepEqual(ix.clean, clean);
  });

  it('the JSON stat cache of an earlier dsg converts with its own write time', () => {
    const f = join(dir, 'stat-cache.json');
    StatCache.save(f, rows.filter(([, r]) => r.mtimeNs > 0n));
    const ix = StatCache.load(f).toIndex();
    assert.equal(ix.legacy, true);
    const [p, r] = rows[0];
    assert.equal(ix.lookup(p, r.size, r.mtimeNs, r.ino), r.hash);
  });
});
