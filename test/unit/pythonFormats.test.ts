/**
 * Byte-level agreement with what dsg 0.4.4 (Python) writes: LZ4 frame headers of archives and
 * the second recorded as a file's mtime.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressArchive, decompressArchive } from '../../src/manifest/archive.js';
import { formatMtimeNs, mtimeSecondsNs } from '../../src/manifest/time.js';
import { blameEvents } from '../../src/history/blame.js';
import { checkChain, type HistoryNote } from '../../src/history/chain.js';
import { parseManifest } from '../../src/manifest/codec.js';
import { writtenByOldTool } from '../../src/manifest/oldTool.js';
import { parseSyncMessages } from '../../src/manifest/syncMessages.js';
import { WRITER_VERSION } from '../../src/manifest/types.js';
import { fixtureBytes, fixtureText } from '../helpers/fixtures.js';

/** Magic, FLG, BD, 8-byte content size and header checksum. */
const HEADER_WITH_SIZE = 4 + 2 + 8 + 1;

describe('LZ4 archive frames as Python writes them', () => {
  for (const n of [1, 2, 3]) {
    it(`s${n}: our frame header equals the Python archive's header (FLG 0x68, content size, HC)`, () => {
      const python = fixtureBytes(`archive/s${n}-sync.json.lz4`);
      const ours = compressArchive(fixtureText(`s${n}-last-sync.json`));
      assert.equal(python[4], 0x68);
      assert.equal(ours[4], 0x68);
      assert.deepEqual(ours.subarray(0, HEADER_WITH_SIZE), python.subarray(0, HEADER_WITH_SIZE));
      assert.equal(ours.readBigUInt64LE(6), BigInt(Buffer.byteLength(fixtureText(`s${n}-last-sync.json`))));
      assert.equal(decompressArchive(ours, 'ours'), fixtureText(`s${n}-last-sync.json`));
    });
  }

  it('a manifest larger than one 64 KiB block keeps the content size and round-trips', () => {
    const json = JSON.stringify({ entries: Array.from({ length: 5000 }, (_, i) => ({ path: `input/f${i}.csv`, hash: i.toString(16).padStart(16, '0') })) }, null, 2);
    const frame = compressArchive(json);
    assert.ok(json.length > 200_000);
    assert.equal(frame[4] & 0x08, 0x08);
    assert.equal(frame.readBigUInt64LE(6), BigInt(json.length));
    assert.equal(decompressArchive(frame, 'large'), json);
  });
});

const S = 1749915559n; // 2025-06-14T08:39:19-07:00
const ns = (sec: bigint, frac: bigint) => sec * 1_000_000_000n + frac;

describe('mtime seconds as Python records them', () => {
  it('a fraction of 0.9999996 s becomes the next second; 0.9999994 s stays', () => {
    assert.equal(formatMtimeNs(ns(S, 999_999_600n)), '2025-06-14T08:39:20-07:00');
    assert.equal(formatMtimeNs(ns(S, 999_999_400n)), '2025-06-14T08:39:19-07:00');
    assert.equal(formatMtimeNs(ns(S, 999_999_999n)), '2025-06-14T08:39:20-07:00');
    assert.equal(formatMtimeNs(ns(S, 123_456_789n)), '2025-06-14T08:39:19-07:00');
  });

  it('follows the float arithmetic of os.stat + datetime.fromtimestamp near the boundary', () => {
    // Small numbers: the float is nearly exact, so the microsecond rounding decides.
    assert.equal(mtimeSecondsNs(ns(100n, 999_999_500n)), 101n);
    assert.equal(mtimeSecondsNs(ns(100n, 999_999_499n)), 100n);
    // 2025: the double sec + nsec*1e-9 has ~0.24 µs steps; .99999945 lands on .99999952 and rounds up.
    assert.equal(mtimeSecondsNs(ns(S, 999_999_450n)), S + 1n);
    assert.equal(mtimeSecondsNs(ns(S, 999_999_300n)), S);
  });

  it('before 1970: floors to the second (not toward zero), and rounds the fraction first', () => {
    const t1965 = -152_640_000n; // 1965-03-01T00:00:00-08:00
    assert.equal(formatMtimeNs(t1965 * 1_000_000_000n), '1965-03-01T00:00:00-08:00');
    assert.equal(formatMtimeNs(-1_500_000_000n), '1969-12-31T15:59:58-08:00');
    // 0.4 µs before the second: Python rounds to the second itself.
    assert.equal(formatMtimeNs(t1965 * 1_000_000_000n - 400n), '1965-03-01T00:00:00-08:00');
    assert.equal(mtimeSecondsNs(-400n), 0n);
    // Half a second before: the previous second.
    assert.equal(formatMtimeNs(t1965 * 1_000_000_000n - 500_000_000n), '1965-02-28T23:59:59-08:00');
  });
});

describe('history of a repository written by dsg 0.4.4 (no archives)', () => {
  it('tells the old tool\'s snapshots from ours by manifest_version', () => {
    for (const v of ['0.4.4', '0.4', '0.3.1']) assert.equal(writtenByOldTool({ manifest_version: v }), true, v);
    for (const v of [WRITER_VERSION, '0.5.0', '1.0.0', '']) assert.equal(writtenByOldTool({ manifest_version: v }), false, v);
  });

  it('checkChain: missing archives of old snapshots are notes; the metadata hash chain is still verified', async () => {
    const sm = parseSyncMessages(fixtureText('sync-messages.json'), 'sm');
    const current = parseManifest(fixtureText('s3-last-sync.json'), 's3');
    const notes: HistoryNote[] = [];
    const missing = async () => ({ status: 'missing' as const, error: 'absent' });
    assert.deepEqual(await checkChain({ snapshots: sm.snapshots, current, readArchive: missing, onNote: (n) => notes.push(n) }), []);
    assert.deepEqual(notes.map((n) => n.snapshot), ['s1', 's2', 's3']);
    assert.match(notes[0].message, /no archived manifest \(written by dsg 0\.4\.4\)/);
    const edited = new Map(sm.snapshots);
    edited.set('s2', { ...sm.snapshots.get('s2')!, snapshot_message: 'rewritten' });
    const problems = await checkChain({ snapshots: edited, current, readArchive: missing });
    assert.deepEqual(problems.map((p) => [p.snapshot, p.kind]), [['s2', 'snapshot-hash']]);
    // A snapshot we wrote with no archive is still damage.
    const ours = new Map(sm.snapshots);
    ours.set('s1', { ...sm.snapshots.get('s1')!, manifest_version: WRITER_VERSION });
    const p2 = await checkChain({ snapshots: ours, current, readArchive: missing });
    assert.deepEqual(p2.map((p) => [p.snapshot, p.kind]), [['s1', 'archive-missing']]);
  });

  it('blame after unavailable snapshots reports the first appearance as present, not added', () => {
    const sm = parseSyncMessages(fixtureText('sync-messages.json'), 'sm');
    const s3 = parseManifest(fixtureText('s3-last-sync.json'), 's3');
    const views = [
      { metadata: sm.snapshots.get('s1')!, entries: null },
      { metadata: sm.snapshots.get('s2')!, entries: null },
      { metadata: s3.metadata, entries: s3.entries },
    ];
    assert.deepEqual(blameEvents('task1/import/input/dt1.csv', views).map((e) => [e.snapshot, e.change]), [['s3', 'present']]);
    assert.deepEqual(blameEvents('task1/import/input/dt1.csv', [views[2]]).map((e) => e.change), ['added']);
  });
});
