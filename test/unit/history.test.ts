/** History logic without I/O: blame events, chain checks, snapshot ids, FILE arguments, leftovers. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { classifyTreeName, txIdOfTmpName } from '../../src/api/clean.js';
import { DsgError } from '../../src/errors/DsgError.js';
import { blameEvents, viewOf } from '../../src/history/blame.js';
import { checkChain, checkCurrent, checkSequence, metadataDifferences, type ArchiveRead } from '../../src/history/chain.js';
import { pathCandidates, pickPath } from '../../src/history/projectPath.js';
import { describeRange, parseSnapshotId, requireKnownSnapshot, resolveSnapshotId, sortSnapshotIds } from '../../src/history/snapshotId.js';
import { decompressArchive } from '../../src/manifest/archive.js';
import { buildManifest, parseManifest } from '../../src/manifest/codec.js';
import { parseSyncMessages } from '../../src/manifest/syncMessages.js';
import type { Entry, Manifest, ManifestMetadata } from '../../src/manifest/types.js';
import { fixtureBytes, fixtureText } from '../helpers/fixtures.js';

const file = (path: string, hash: string, user = 'ana@example.org'): Entry => ({ type: 'file', path, user, filesize: 3, mtime: '2025-06-02T09:30:00-07:00', hash });
const link = (path: string, reference: string): Entry => ({ type: 'link', path, user: 'ana@example.org', reference });
const H = (n: number): string => n.toString(16).padStart(16, '0');

/** A chain of manifests built like a writer builds them: s1…sN, each linked and hashed. */
function history(steps: { by: string; message: string; entries: Entry[] }[]): Manifest[] {
  const out: Manifest[] = [];
  for (const [i, s] of steps.entries()) {
    const prev = out[i - 1];
    out.push(
      buildManifest(
        s.entries,
        {
          manifest_version: '0.5.0',
          snapshot_id: `s${i + 1}`,
          created_at: `2025-06-0${i + 1}T10:00:00-07:00`,
          created_by: s.by,
          snapshot_message: s.message,
          snapshot_previous: prev ? prev.metadata.snapshot_id : null,
          snapshot_notes: 'sync',
          project_config: null,
        },
        prev ? prev.metadata.snapshot_hash : null,
      ),
    );
  }
  return out;
}

const STEPS = [
  { by: 'ana@example.org', message: 'one', entries: [file('input/a', H(1)), file('input/b', H(2))] },
  { by: 'ben@example.org', message: 'two', entries: [file('input/a', H(1)), file('input/b', H(3), 'ben@example.org')] },
  { by: 'carl@example.org', message: 'three', entries: [file('input/a', H(1))] },
  { by: 'ana@example.org', message: 'four', entries: [file('input/a', H(1)), link('input/b', 'a')] },
  { by: 'ben@example.org', message: 'five', entries: [file('input/a', H(1)), link('input/b', 'a')] },
];

describe('blame', () => {
  const manifests = history(STEPS);

  it('lists added, modified, deleted, re-added (as a link) with the snapshot, user and message', () => {
    const events = blameEvents('input/b', manifests);
    assert.deepEqual(
      events.map((e) => [e.snapshot, e.change, e.user, e.message]),
      [
        ['s1', 'added', 'ana@example.org', 'one'],
        ['s2', 'modified', 'ben@example.org', 'two'],
        ['s3', 'deleted', 'carl@example.org', 'three'],
        ['s4', 'added', 'ana@example.org', 'four'],
      ],
    );
    assert.equal(events[2].entry, null);
    assert.equal((events[2].previous as { hash: string }).hash, H(3));
    assert.deepEqual(events[3].entry, link('input/b', 'a'));
  });

  it('an unchanged file has one event; a change of user alone is no change', () => {
    const m = history([
      { by: 'ana@example.org', message: 'x', entries: [file('input/a', H(1))] },
      { by: 'ben@example.org', message: 'y', entries: [file('input/a', H(1), 'ben@example.org')] },
    ]);
    assert.deepEqual(blameEvents('input/a', m).map((e) => e.change), ['added']);
  });

  it('file ↔ link and a changed link target are modifications', () => {
    const m = history([
      { by: 'a@x.org', message: '1', entries: [file('input/a', H(1))] },
      { by: 'a@x.org', message: '2', entries: [link('input/a', 'x')] },
      { by: 'a@x.org', message: '3', entries: [link('input/a', 'y')] },
    ]);
    assert.deepEqual(blameEvents('input/a', m).map((e) => e.change), ['added', 'modified', 'modified']);
  });

  it('works on one-path views and on an unknown path', () => {
    assert.deepEqual(blameEvents('input/b', manifests.map((m) => viewOf('input/b', m))), blameEvents('input/b', manifests));
    assert.deepEqual(blameEvents('input/zzz', manifests), []);
  });
});

function reader(manifests: Manifest[], override: Record<string, ArchiveRead> = {}): (id: string) => Promise<ArchiveRead> {
  return async (id) => override[id] ?? (manifests.find((m) => m.metadata.snapshot_id === id) ? { status: 'ok', manifest: manifests.find((m) => m.metadata.snapshot_id === id)! } : { status: 'missing', error: `no ${id}` });
}

function syncMessagesOf(manifests: Manifest[]): Map<string, ManifestMetadata> {
  return new Map(manifests.map((m) => [m.metadata.snapshot_id, { ...m.metadata }]));
}

describe('chain', () => {
  const manifests = history(STEPS);

  it('an intact history has no problems', async () => {
    const problems = await checkChain({ snapshots: syncMessagesOf(manifests), current: manifests[4], readArchive: reader(manifests) });
    assert.deepEqual(problems, []);
  });

  it('the Python fixtures (s1–s3 archives and sync-messages) form an intact chain', async () => {
    const sm = parseSyncMessages(fixtureText('sync-messages.json'), 'sm');
    const archives = [1, 2, 3].map((n) => parseManifest(decompressArchive(fixtureBytes(`archive/s${n}-sync.json.lz4`), `s${n}`), `s${n}`));
    const problems = await checkChain({ snapshots: sm.snapshots, current: parseManifest(fixtureText('s3-last-sync.json'), 'cur'), readArchive: reader(archives) });
    assert.deepEqual(problems, []);
  });

  it('reports every broken link, not just the first', async () => {
    const sm = syncMessagesOf(manifests);
    sm.get('s2')!.snapshot_previous = 's4'; // a broken link
    sm.get('s4')!.snapshot_message = 'rewritten'; // history edited: its hash no longer recomputes
    const problems = await checkChain({
      snapshots: sm,
      current: manifests[4],
      readArchive: reader(manifests, { s1: { status: 'corrupt', error: 'entries_hash mismatch' }, s3: { status: 'missing', error: 'gone' } }),
    });
    assert.deepEqual(
      problems.map((p) => [p.snapshot, p.kind]),
      [
        ['s1', 'archive-corrupt'],
        ['s2', 'previous-link'],
        ['s2', 'metadata-mismatch'],
        ['s3', 'archive-missing'],
        ['s4', 'snapshot-hash'],
        ['s4', 'metadata-mismatch'],
      ],
    );
    assert.match(problems[1].message, /snapshot_previous is "s4".*expected "s1"/);
    assert.match(problems[2].message, /snapshot_previous "s1" in the archive, "s4" in sync-messages/);
  });

  it('a snapshot_hash that does not chain to its predecessor is found', async () => {
    const sm = syncMessagesOf(manifests);
    // s2 rewritten consistently (archive and record agree) but with a hash computed without s1:
    // s2 does not chain to s1, and s3 (hashed over the original s2) no longer chains to s2.
    const forged = history([STEPS[1]])[0];
    const s2 = { ...manifests[1], metadata: { ...manifests[1].metadata, snapshot_hash: forged.metadata.snapshot_hash } };
    sm.set('s2', s2.metadata);
    const problems = await checkChain({ snapshots: sm, current: manifests[4], readArchive: reader([manifests[0], s2, ...manifests.slice(2)]) });
    assert.deepEqual(problems.map((p) => [p.snapshot, p.kind]), [['s2', 'snapshot-hash'], ['s3', 'snapshot-hash']]);
  });

  it('a gap in the numbering, and a current manifest that is not the newest archive', async () => {
    const sm = syncMessagesOf(manifests);
    sm.delete('s3');
    const problems = await checkChain({ snapshots: sm, current: manifests[3], readArchive: reader(manifests) });
    const kinds = problems.map((p) => [p.snapshot, p.kind]);
    assert.deepEqual(kinds[0], ['s3', 'sequence-gap']);
    assert.ok(kinds.some(([s, k]) => s === 's5' && k === 'current-mismatch'));
    // s4's hash cannot be recomputed without s3's: no false "snapshot-hash" for it.
    assert.ok(!kinds.some(([s, k]) => s === 's4' && k === 'snapshot-hash'));
  });

  it('checkCurrent: missing, older, and differing metadata', () => {
    const ok: ArchiveRead = { status: 'ok', manifest: manifests[4] };
    assert.deepEqual(checkCurrent('s5', ok, manifests[4]), []);
    assert.equal(checkCurrent('s5', ok, null)[0].kind, 'current-missing');
    assert.equal(checkCurrent('s5', ok, manifests[3])[0].kind, 'current-mismatch');
    const edited = { ...manifests[4], metadata: { ...manifests[4].metadata, created_by: 'mallory@example.org' } };
    assert.match(checkCurrent('s5', ok, edited)[0].message, /created_by/);
    assert.deepEqual(checkCurrent(null, null, null), []);
  });

  it('checkSequence and metadataDifferences', () => {
    assert.deepEqual(checkSequence(['s1', 's2', 's3']), []);
    assert.deepEqual(checkSequence(['s2', 's10', 's1']).map((p) => p.message), ['s3…s9 are missing from the history (sync-messages.json jumps to s10).']);
    assert.equal(checkSequence(['s2'])[0].snapshot, 's1');
    const a = manifests[0].metadata;
    assert.deepEqual(metadataDifferences(a, { ...a, project_config: { x: 1 } }), ['project_config']);
    assert.deepEqual(metadataDifferences(a, { ...a }), []);
  });
});

describe('snapshot ids and FILE arguments', () => {
  it('parses s3, S3 and 3; rejects the rest with a usage error', () => {
    assert.equal(parseSnapshotId('s3', 'x'), 's3');
    assert.equal(parseSnapshotId('S12', 'x'), 's12');
    assert.equal(parseSnapshotId('7', 'x'), 's7');
    assert.equal(parseSnapshotId(' Latest ', 'x'), 'latest');
    assert.equal(resolveSnapshotId('latest', ['s1', 's2', 's10'], '/srv/r'), 's10');
    assert.equal(resolveSnapshotId('s2', ['s1', 's2'], '/srv/r'), 's2');
    assert.throws(() => resolveSnapshotId('latest', [], '/srv/r'), /no snapshots yet/);
    for (const bad of ['s0', '0', 'last', 's-1', '', 's1.5']) {
      assert.throws(() => parseSnapshotId(bad, 'snapfetch'), (e: unknown) => e instanceof DsgError && e.exitCode === 2 && /snapfetch/.test(e.message));
    }
    assert.deepEqual(sortSnapshotIds(['s10', 's2', 's1']), ['s1', 's2', 's10']);
    assert.equal(describeRange(['s3', 's1', 's2']), 's1…s3');
    assert.throws(() => requireKnownSnapshot('s9', ['s1', 's2'], '/srv/r'), /s9 does not exist .*s1…s2/);
  });

  it('a FILE is read relative to the project root first, then to the current folder', () => {
    const root = '/p/proj';
    assert.deepEqual(pathCandidates(root, root, 'input/a.csv', 'x'), ['input/a.csv']);
    assert.deepEqual(pathCandidates(root, join(root, 'input'), 'a.csv', 'x'), ['a.csv', 'input/a.csv']);
    assert.deepEqual(pathCandidates(root, join(root, 'input'), './a.csv', 'x'), ['a.csv', 'input/a.csv']);
    assert.deepEqual(pathCandidates(root, '/elsewhere', '/p/proj/input/a.csv', 'x'), ['input/a.csv']);
    // From inside input/, "../output/x" is only meaningful relative to the current folder.
    assert.deepEqual(pathCandidates(root, join(root, 'input'), '../output/x', 'x'), ['output/x']);
    assert.throws(() => pathCandidates(root, root, '/etc/passwd', 'blame'), (e: unknown) => e instanceof DsgError && e.exitCode === 2);
    assert.throws(() => pathCandidates(root, root, '.', 'blame'), /not a path inside the project/);
    // NFD input finds the NFC manifest path.
    assert.deepEqual(pathCandidates(root, root, 'input/cafe\u0301', 'x'), ['input/caf\u00e9']);
    assert.equal(pickPath(['a.csv', 'input/a.csv'], (p) => p === 'input/a.csv'), 'input/a.csv');
    assert.equal(pickPath(['a.csv'], () => false), null);
  });
});

describe('clean: what counts as a leftover', () => {
  it('partial files, conflict backups (only with --backups), tmp names of live transactions', () => {
    assert.deepEqual(classifyTreeName('data.csv.dsg-20250101T000000000Z-ab12cd34.tmp', false), { kind: 'partial-file', txId: '20250101T000000000Z-ab12cd34' });
    assert.equal(classifyTreeName('data.csv~20250613T101919-0700~', false), null);
    assert.deepEqual(classifyTreeName('data.csv~20250613T101919-0700~', true), { kind: 'conflict-backup' });
    assert.deepEqual(classifyTreeName('data.csv~20250613T101919+0200~', true), { kind: 'conflict-backup' });
    assert.equal(classifyTreeName('data.csv', true), null);
    assert.equal(classifyTreeName('notes.tmp', true), null);
    assert.equal(txIdOfTmpName('tx1-abcdef', new Set(['tx1'])), 'tx1');
    assert.equal(txIdOfTmpName('tx2-abcdef', new Set(['tx1'])), null);
  });
});

describe('log --since', () => {
  it('reads a bare date or a date and time in the user\'s time zone, an explicit offset as given', async () => {
    const { parseSince } = await import('../../src/api/log.js');
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.equal(parseSince('2025-06-01'), Date.UTC(2025, 5, 1, 4));
      assert.equal(parseSince('2025-06-01 14:30'), Date.UTC(2025, 5, 1, 18, 30));
      assert.equal(parseSince('2025-06-01T10:00:00Z'), Date.UTC(2025, 5, 1, 10));
      assert.ok(Number.isNaN(parseSince('not a date')));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
