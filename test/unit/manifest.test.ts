import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decompressArchive, compressArchive, snapshotIdOfArchive, archiveNameCandidates } from '../../src/manifest/archive.js';
import { buildManifest, computeEntriesHash, computeSnapshotHash, parseManifest, serializeManifest, sortEntries } from '../../src/manifest/codec.js';
import { parseSyncMessages, serializeSyncMessages } from '../../src/manifest/syncMessages.js';
import { formatLosAngeles, formatMtimeNs } from '../../src/manifest/time.js';
import { xxh3Hex, StreamingHash } from '../../src/manifest/hash.js';
import type { Entry } from '../../src/manifest/types.js';
import { ManifestError } from '../../src/errors/ManifestError.js';
import { fixtureBytes, fixtureText } from '../helpers/fixtures.js';
import { gzipSync } from 'node:zlib';

describe('manifest codec against the Python fixtures', () => {
  for (const n of [1, 2, 3]) {
    it(`s${n}: parse then serialize gives identical bytes`, () => {
      const text = fixtureText(`s${n}-last-sync.json`);
      const m = parseManifest(text, `s${n}`);
      assert.equal(serializeManifest(m), text);
    });
    it(`s${n}: a manifest built from its entries and metadata values serializes to the same bytes`, () => {
      const text = fixtureText(`s${n}-last-sync.json`);
      const m = parseManifest(text, `s${n}`);
      const prev = n === 1 ? null : parseManifest(fixtureText(`s${n - 1}-last-sync.json`), 'prev').metadata.snapshot_hash;
      const rebuilt = buildManifest([...m.entries.values()].reverse(), { ...m.metadata }, prev);
      assert.equal(serializeManifest(rebuilt), text);
    });
    it(`s${n}: the archive decompresses to the manifest, and our frames round-trip`, () => {
      const json = decompressArchive(fixtureBytes(`archive/s${n}-sync.json.lz4`), 'archive');
      assert.equal(json, fixtureText(`s${n}-last-sync.json`));
      assert.equal(decompressArchive(compressArchive(json), 'ours'), json);
      assert.equal(decompressArchive(gzipSync(json), 'gz'), json);
    });
  }

  it('sync-messages round-trips byte for byte and chains snapshot hashes', () => {
    const text = fixtureText('sync-messages.json');
    const sm = parseSyncMessages(text, 'sm');
    assert.equal(serializeSyncMessages(sm), text);
    let prev: string | null = null;
    for (const m of sm.snapshots.values()) {
      const h = computeSnapshotHash(m.entries_hash, m.snapshot_message, m.project_config, prev);
      assert.equal(h, m.snapshot_hash);
      prev = h;
    }
  });

  it('converts a legacy messages array, keeping it', () => {
    const sm = parseSyncMessages('{"metadata_version": "0.1", "messages": [{"snapshot_id": "s1", "message": "x"}]}', 'old');
    assert.equal(sm.snapshots.size, 0);
    assert.deepEqual(sm.legacy_messages, [{ snapshot_id: 's1', message: 'x' }]);
    assert.match(serializeSyncMessages(sm), /"legacy_messages"/);
  });

  it('empty file hash and streaming hash agree with the fixtures', () => {
    assert.equal(xxh3Hex(''), '2d06800538d394c2');
    const h = new StreamingHash();
    h.update(Buffer.from('id,value\n'));
    h.update(Buffer.from('1,10\n2,20\n'));
    assert.equal(h.digest(), xxh3Hex('id,value\n1,10\n2,20\n'));
  });

  it('archive name variants', () => {
    assert.deepEqual(archiveNameCandidates('s7').slice(0, 2), ['s7-sync.json.lz4', 's7-sync.json.gz']);
    assert.equal(snapshotIdOfArchive('12-sync.json.gz'), 's12');
    assert.equal(snapshotIdOfArchive('s3.json.lz4'), 's3');
    assert.equal(snapshotIdOfArchive('notes.txt'), null);
  });
});

describe('Los Angeles times', () => {
  it('uses the daylight-saving offset in summer and standard time in winter, truncating fractions', () => {
    assert.equal(formatMtimeNs(1749829219123456789n), '2025-06-13T08:40:19-07:00');
    assert.equal(formatMtimeNs(1736956800000000000n), '2025-01-15T08:00:00-08:00');
    assert.equal(formatMtimeNs(1736956800999999000n), '2025-01-15T08:00:00-08:00');
  });
  it('crosses the spring-forward boundary correctly', () => {
    // 2025-03-09 10:00:00Z is 02:00 PST → 03:00 PDT.
    assert.equal(formatLosAngeles(Date.UTC(2025, 2, 9, 9, 59, 59) / 1000), '2025-03-09T01:59:59-08:00');
    assert.equal(formatLosAngeles(Date.UTC(2025, 2, 9, 10, 0, 0) / 1000), '2025-03-09T03:00:00-07:00');
  });
});

function file(path: string, hash = '0000000000000001'): Entry {
  return { type: 'file', path, user: 'a@b.org', filesize: 1, mtime: '2025-01-01T00:00:00-08:00', hash };
}

function manifestText(entries: Entry[], tamper?: (o: any) => void): string {
  const m = buildManifest(entries, {
    manifest_version: 'test',
    snapshot_id: 's1',
    created_at: '2025-01-01T00:00:00-08:00',
    created_by: 'a@b.org',
    snapshot_message: 'm',
    snapshot_previous: null,
    snapshot_notes: 'sync',
    project_config: null,
  }, null);
  let text = serializeManifest(m);
  if (tamper) {
    const o = JSON.parse(text);
    tamper(o);
    text = JSON.stringify(o, null, 2);
  }
  return text;
}

describe('key order and hostile manifests', () => {
  it('keeps integer-like keys (a top-level file "2023") in file order', () => {
    const entries = [file('b/x'), file('2023'), file('a')];
    // Written in this (unsorted, as the old tool might) order by hand:
    const m = buildManifest(entries, { manifest_version: 't', snapshot_id: 's1', created_at: 'x', created_by: null, snapshot_message: '', snapshot_previous: null, snapshot_notes: '', project_config: null }, null);
    const unsorted = { entries: new Map(entries.map((e) => [e.path, e])), metadata: { ...m.metadata, entries_hash: computeEntriesHash(entries) } };
    const text = serializeManifest(unsorted);
    assert.ok(text.indexOf('"b/x"') < text.indexOf('"2023"'));
    const back = parseManifest(text, 't');
    assert.deepEqual([...back.entries.keys()], ['b/x', '2023', 'a']);
    assert.equal(serializeManifest(back), text);
  });

  const hostile: [string, (o: any) => void, RegExp][] = [
    ['a path with ..', (o) => { const e = o.entries['in/a']; delete o.entries['in/a']; e.path = '../x'; o.entries['../x'] = e; }, /\.\./],
    ['an absolute path', (o) => { const e = o.entries['in/a']; delete o.entries['in/a']; e.path = '/etc/passwd'; o.entries['/etc/passwd'] = e; }, /absolute/],
    ['a path that differs from its key', (o) => { o.entries['in/a'].path = 'in/b'; }, /differs from its key/],
    ['a mismatched entries_hash', (o) => { o.metadata.entries_hash = '0123456789abcdef'; }, /entries_hash/],
    ['a wrong entry_count', (o) => { o.metadata.entry_count = 5; }, /entry_count/],
    ['a bad hash', (o) => { o.entries['in/a'].hash = 'zz'; }, /invalid hash/],
    ['an unknown type', (o) => { o.entries['in/a'].type = 'dir'; }, /unknown type/],
    ['no metadata', (o) => { delete o.metadata; }, /metadata/],
  ];
  for (const [what, tamper, re] of hostile) {
    it(`rejects ${what}`, () => {
      const text = manifestText([file('in/a'), file('in/c')], tamper);
      assert.throws(() => parseManifest(text, 'hostile'), (err: unknown) => err instanceof ManifestError && re.test(err.message));
    });
  }

  it('rejects a link that escapes the project or points absolutely', () => {
    for (const reference of ['../../../etc', '/etc/passwd', '../.dsg/last-sync.json']) {
      const text = manifestText([{ type: 'link', path: 'in/l', user: 'u', reference }]);
      assert.throws(() => parseManifest(text, 'hostile'), ManifestError);
    }
  });

  it('sorts entries by code point, the last of a duplicated path winning, whether they come sorted or not', () => {
    // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 unit (a surrogate pair).
    const paths = ['a-c', 'a/b', 'b', '\uFF5E', '\u{1F600}'];
    assert.deepEqual([...sortEntries(paths.map((p) => file(p))).keys()], paths);
    assert.deepEqual([...sortEntries([...paths].reverse().map((p) => file(p))).keys()], paths);
    const twice = sortEntries([file('a'), file('b'), { ...file('a'), user: 'last' }]);
    assert.deepEqual([...twice.keys()], ['a', 'b']);
    assert.equal(twice.get('a')!.user, 'last');
  });

  it('gives entries their fields in the canonical order, whatever the order in the file', () => {
    const text = manifestText([file('in/a'), file('in/c')]).replace(/"type": "file",\n(\s*)"path": ("in\/a"),/, '"path": $2,\n$1"type": "file",');
    assert.match(text, /"path": "in\/a",\n\s*"type": "file"/);
    const m = parseManifest(text, 'field order');
    assert.deepEqual(Object.keys(m.entries.get('in/a')!), ['type', 'path', 'user', 'filesize', 'mtime', 'hash']);
  });

  it('keeps only the fields of an entry: extra ones in the file are dropped, in either parser', () => {
    const link: Entry = { type: 'link', path: 'in/l', user: 'u', reference: 'a' };
    for (const key of ['in/a', '2023']) {
      const text = manifestText([file(key), file('in/c'), link], (o) => {
        o.entries[key].extra = 'x';
      }).replace('"reference": "a"', '"reference": "a", "__proto__": {"polluted": true}');
      assert.match(text, /__proto__/);
      const m = parseManifest(text, 'extra fields');
      assert.deepEqual(Object.keys(m.entries.get(key)!), ['type', 'path', 'user', 'filesize', 'mtime', 'hash']);
      assert.deepEqual(Object.keys(m.entries.get('in/c')!), ['type', 'path', 'user', 'filesize', 'mtime', 'hash']);
      assert.deepEqual(Object.keys(m.entries.get('in/l')!), ['type', 'path', 'user', 'reference']);
      assert.equal((m.entries.get('in/l') as unknown as { polluted?: boolean }).polluted, undefined);
    }
  });

  it('rejects an entry nested under another entry', () => {
    assert.throws(() => parseManifest(manifestText([file('in/a'), file('in/a/b')]), 'nested'), /lies under/);
  });

  it('rejects truncated JSON, naming the file', () => {
    const text = fixtureText('s1-last-sync.json');
    assert.throws(() => parseManifest(text.slice(0, text.length / 2), 'remote manifest X'), /remote manifest X: not valid JSON/);
    assert.throws(() => parseManifest('', 'empty'), ManifestError);
  });
});
