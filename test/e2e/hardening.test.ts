/**
 * Issue "hardening", data loss with no attacker: repository entries this working copy does not
 * track, errors after the commit point, names of any valid length, checks that must happen
 * before the commit point; and the repository-side rules that go with them (link chains,
 * repository paths held to the path rules, deletions never through a linked folder).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildManifest, serializeManifest } from '../../src/manifest/codec.js';
import { xxh3Hex } from '../../src/manifest/hash.js';
import { parseSyncMessages, serializeSyncMessages, withSnapshot } from '../../src/manifest/syncMessages.js';
import { escapingLinks, parseManifest, unsafePathReason } from '../../src/manifest/codec.js';
import type { Entry } from '../../src/manifest/types.js';
import { placementTempPath } from '../../src/platform/tempName.js';
import { dsg, put, Sandbox, sandboxes } from '../helpers/cli.js';
import { fullState, treeState } from '../helpers/trees.js';

const box = sandboxes();

function team(b: Sandbox, configB = '') {
  const envA = b.userEnv('Ana', 'ana@example.org');
  const envB = b.userEnv('Ben', 'ben@example.org');
  const A = b.project('a');
  const B = b.project('b', 'proj', configB);
  return { A, B, envA, envB, repo: join(b.repos, 'proj') };
}

/** Replace the repository's current snapshot by one with these entries (valid hashes, consistent history). */
function forgeSnapshot(repo: string, entries: Entry[], files: Record<string, string> = {}): void {
  const current = parseManifest(readFileSync(join(repo, '.dsg/last-sync.json'), 'utf8'), 'current');
  const m = buildManifest(
    entries,
    { ...current.metadata, snapshot_id: `s${Number(current.metadata.snapshot_id.slice(1)) + 1}`, snapshot_previous: current.metadata.snapshot_id, snapshot_message: 'forged' },
    current.metadata.snapshot_hash,
  );
  for (const [hash, content] of Object.entries(files)) put(repo, `.dsg/objects/${hash.slice(0, 2)}/${hash}`, content);
  const history = parseSyncMessages(readFileSync(join(repo, '.dsg/sync-messages.json'), 'utf8'), 'history');
  writeFileSync(join(repo, '.dsg/sync-messages.json'), serializeSyncMessages(withSnapshot(history, m.metadata)));
  writeFileSync(join(repo, '.dsg/last-sync.json'), serializeManifest(m));
}

function fileEntry(path: string, content: string): Entry {
  return { type: 'file', path, user: 'eve@example.org', filesize: Buffer.byteLength(content), mtime: '2025-06-13T10:19:19-07:00', hash: xxh3Hex(content) };
}

function snapshotPaths(repo: string): string[] {
  return [...parseManifest(readFileSync(join(repo, '.dsg/last-sync.json'), 'utf8'), 'current').entries.keys()];
}


describe('entries the local rules do not track', () => {
  it("a teammate's other data dir and ignored names are never downloaded, never deleted, carried into new snapshots, and counted by status", () => {
    // Ben tracks an extra data dir and keeps .tmp files; Ana has the defaults.
    const { A, B, envA, envB, repo } = team(box('dsg-outside'), 'data_dirs: [input, extra]\nignore: {suffixes: []}\n');
    put(A, 'input/a.csv', 'a');
    assert.equal(dsg(A, envA, 'init').code, 0);
    assert.equal(dsg(B, envB, 'clone').code, 0);
    put(B, 'extra/x.csv', 'ben only');
    put(B, 'input/notes.tmp', 'ben keeps tmp files');
    assert.equal(dsg(B, envB, 'sync').code, 0);

    const s = dsg(A, envA, 'status', '--json');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.json.outside, 2);
    assert.deepEqual([...s.json.localChanges, ...s.json.remoteChanges].map((r: any) => r.path), []);
    assert.match(dsg(A, envA, 'status').stdout, /2 file\(s\) outside your data dirs/);

    const r = dsg(A, envA, 'sync', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.downloaded, []);
    assert.equal(existsSync(join(A, 'extra/x.csv')), false);
    assert.equal(existsSync(join(A, 'input/notes.tmp')), false);

    // Ana's next syncs (one that changes something, one that does not) keep Ben's files.
    put(A, 'input/a.csv', 'a2');
    const r2 = dsg(A, envA, 'sync', '--json');
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(r2.json.deletedRemote, []);
    assert.equal(dsg(A, envA, 'sync').code, 0);
    assert.deepEqual(snapshotPaths(repo).sort(), ['extra/x.csv', 'input/a.csv', 'input/notes.tmp']);

    // Ben still has his files, and gets Ana's change.
    const rb = dsg(B, envB, 'sync', '--json');
    assert.equal(rb.code, 0, rb.stderr);
    assert.deepEqual(rb.json.deletedLocal, []);
    assert.equal(readFileSync(join(B, 'extra/x.csv'), 'utf8'), 'ben only');
    assert.equal(readFileSync(join(B, 'input/a.csv'), 'utf8'), 'a2');
  });

  it('hidden, ignored and out-of-data-dir paths of a forged manifest are never written by clone', () => {
    const { A, B, envA, envB, repo } = team(box('dsg-hidden'));
    put(A, 'input/a.csv', 'a');
    assert.equal(dsg(A, envA, 'init').code, 0);
    const bad = ['.Rprofile', 'conftest.py', 'src/evil.py', 'input/.hidden', 'input/__pycache__/x.pyc', 'input/x.csv~20250613T101919-0700~'];
    const files: Record<string, string> = {};
    const entries = [fileEntry('input/a.csv', 'a'), ...bad.map((p) => fileEntry(p, `evil ${p}`))];
    for (const p of bad) files[xxh3Hex(`evil ${p}`)] = `evil ${p}`;
    forgeSnapshot(repo, entries, files);
    const r = dsg(B, envB, 'clone', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(treeState(B, { includeHidden: true })).filter((p) => !p.startsWith('.dsg/')).sort(), ['.dsgconfig.yml', 'input/a.csv']);
  });
});

describe('errors after the commit point', () => {
  it('a placement that fails after publishing keeps the journal, says so, and the next command finishes it', () => {
    const { A, envA, repo } = team(box('dsg-after-commit'));
    put(A, 'input/a.csv', 'a');
    put(A, 'input/sub/b.csv', 'b');
    assert.equal(dsg(A, envA, 'init').code, 0);
    put(A, 'input/sub/c.csv', 'c');
    // An immutable folder in the data tree refuses even root; nothing checks for it before publishing.
    const lock = spawnSync('chattr', ['+i', join(repo, 'input/sub')], { encoding: 'utf8' });
    assert.equal(lock.status, 0, `chattr is needed for this test: ${lock.stderr}`);
    let r;
    try {
      r = dsg(A, envA, 'sync', '--json');
      assert.equal(r.code, 1);
      assert.equal(r.json.error.code, 'PUBLISHED_INCOMPLETE');
      assert.match(r.json.error.message, /Snapshot s2 was published/);
      assert.doesNotMatch(r.json.error.message, /nothing was published|rolled back/i);
      // The snapshot is live, the roll-forward journal is kept, the working copy has synced.
      assert.match(readFileSync(join(repo, '.dsg/last-sync.json'), 'utf8'), /"snapshot_id": "s2"/);
      const staging = readdirSync(join(repo, '.dsg/staging'));
      assert.equal(staging.length, 1);
      assert.ok(existsSync(join(repo, '.dsg/staging', staging[0], 'journal.json')));
      assert.match(readFileSync(join(A, '.dsg/last-sync.json'), 'utf8'), /"snapshot_id": "s2"/);
      // validate-snapshot --deep sees the incomplete tree, not only the stored objects.
      const v = dsg(A, envA, 'validate-snapshot', '-n', 's2', '--deep', '--json');
      assert.notEqual(v.code, 0);
      assert.ok(v.json.problems.some((p: any) => p.kind === 'tree-mismatch' && p.paths.includes('input/sub/c.csv')), JSON.stringify(v.json.problems));
      // A reader warns and still works while the cause remains.
      const s = dsg(A, envA, 'status', '--json');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /s2 was published/);
    } finally {
      spawnSync('chattr', ['-i', join(repo, 'input/sub')]);
    }
    // Once the cause is fixed, the next command finishes it.
    const rec = dsg(A, envA, 'recover', '--json');
    assert.equal(rec.code, 0, rec.stderr);
    assert.equal(readFileSync(join(repo, 'input/sub/c.csv'), 'utf8'), 'c');
    assert.deepEqual(readdirSync(join(repo, '.dsg/staging')), []);
    const v = dsg(A, envA, 'validate-snapshot', '-n', 's2', '--deep', '--json');
    assert.equal(v.code, 0, JSON.stringify(v.json));
  });

  it('a target folder that is a symlink in the working copy is refused before the commit point', () => {
    const { A, B, envA, envB, repo } = team(box('dsg-symlinked-target'));
    put(A, 'input/sub/a.csv', 'a');
    assert.equal(dsg(A, envA, 'init').code, 0);
    assert.equal(dsg(B, envB, 'clone').code, 0);
    put(A, 'input/sub/new.csv', 'new');
    assert.equal(dsg(A, envA, 'sync').code, 0);
    // Ben replaces the folder by a link elsewhere, and has a change to upload.
    const elsewhere = join(B, '..', 'elsewhere');
    mkdirSync(elsewhere);
    renameSync(join(B, 'input/sub'), join(elsewhere, 'sub'));
    symlinkSync(join(elsewhere, 'sub'), join(B, 'input/sub'));
    put(B, 'input/b.csv', 'b');
    const repoBefore = fullState(repo);
    const r = dsg(B, envB, 'sync', '--force');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /input\/sub\/new\.csv.*symbolic link/s);
    assert.match(r.stderr, /Nothing was changed/);
    assert.deepEqual(fullState(repo), repoBefore, 'nothing published');
    assert.equal(existsSync(join(elsewhere, 'sub/new.csv')), false);
  });
});

describe('names of any valid length', () => {
  it('a 255-byte name syncs both ways; temp names always fit', () => {
    const { A, B, envA, envB } = team(box('dsg-long'));
    const long = `input/${'é'.repeat(125)}x.csv`; // 125 × 2 + 5 = 255 bytes
    assert.equal(Buffer.byteLength(long.split('/')[1]), 255);
    put(A, long, 'v1');
    assert.equal(dsg(A, envA, 'init').code, 0);
    const c = dsg(B, envB, 'clone');
    assert.equal(c.code, 0, c.stderr);
    assert.equal(readFileSync(join(B, long), 'utf8'), 'v1');
    put(B, long, 'v2');
    assert.equal(dsg(B, envB, 'sync').code, 0);
    const r = dsg(A, envA, 'sync', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(A, long), 'utf8'), 'v2');
    assert.ok(Buffer.byteLength(placementTempPath(long, '20250101T000000000Z-abcdef12').split('/')[1]) <= 255);
  });
});

describe('repository-side rules', () => {
  it('links are resolved through the other links of the manifest', () => {
    const links = new Map([
      ['input/l1', '..'],
      ['input/l2', 'l1/..'],
      ['input/ok', 'l1/input'],
      ['input/d', '../.DSG'],
    ]);
    const bad = escapingLinks(links);
    assert.deepEqual([...bad.keys()].sort(), ['input/d', 'input/l2']);
    assert.equal(escapingLinks(new Map([['input/a', 'b'], ['input/b', 'a']])).has('input/a'), true, 'a loop');
    assert.match(unsafePathReason('.DSG/last-sync.json') ?? '', /\.dsg/);
    assert.match(unsafePathReason('.Dsg') ?? '', /\.dsg/);
  });

  it('a forged chain of links is refused and writes nothing; the scanner skips such a chain', () => {
    const { A, B, envA, envB, repo } = team(box('dsg-link-chain'));
    put(A, 'input/a.csv', 'a');
    assert.equal(dsg(A, envA, 'init').code, 0);
    forgeSnapshot(repo, [
      fileEntry('input/a.csv', 'a'),
      { type: 'link', path: 'input/l1', user: 'eve@example.org', reference: '..' },
      { type: 'link', path: 'input/l2', user: 'eve@example.org', reference: 'l1/..' },
    ]);
    const r = dsg(B, envB, 'clone');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /last-sync\.json.*input\/l2.*outside the project/s);
    assert.equal(existsSync(join(B, 'input')), false);

    const C = box('dsg-link-chain-scan').project('c');
    put(C, 'input/x.csv', 'x');
    symlinkSync('..', join(C, 'input/l1'));
    symlinkSync('l1/..', join(C, 'input/l2'));
    const s = dsg(C, envA, 'init', '--json');
    assert.equal(s.code, 0, s.stderr);
    assert.ok(s.json.skipped.some((k: any) => k.path === 'input/l2' && /through other links/.test(k.reason)), JSON.stringify(s.json.skipped));
    assert.ok(s.json.uploaded.includes('input/l1'));
  });

  it('repository paths that break the path rules (NFD, newline) are refused before anything is written', () => {
    const { A, B, envA, envB, repo } = team(box('dsg-nfd'));
    put(A, 'input/a.csv', 'a');
    assert.equal(dsg(A, envA, 'init').code, 0);
    const nfd = 'input/cafe\u0301.csv';
    forgeSnapshot(repo, [fileEntry('input/a.csv', 'a'), fileEntry(nfd, 'x'), fileEntry('input/new\nline.csv', 'y')], { [xxh3Hex('x')]: 'x', [xxh3Hex('y')]: 'y' });
    const r = dsg(B, envB, 'clone');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /last-sync\.json.*path rules/s);
    assert.deepEqual(Object.keys(treeState(B)), []);
  });

  it("deleting a file never goes through a folder of the repository tree that is a link", () => {
    const { A, envA, repo } = team(box('dsg-delete-link'));
    put(A, 'input/sub/x.csv', 'x');
    put(A, 'input/keep.csv', 'k');
    assert.equal(dsg(A, envA, 'init').code, 0);
    // Someone on the server swaps the folder for a link to a folder outside the repository.
    const outside = join(repo, '..', '..', 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'x.csv'), 'precious');
    renameSync(join(repo, 'input/sub'), join(repo, '..', 'sub-moved'));
    symlinkSync(outside, join(repo, 'input/sub'));
    // Ana deletes input/sub/x.csv; the sync publishes, and the outside file survives.
    const gone = join(A, 'input/sub/x.csv');
    spawnSync('rm', [gone]);
    const r = dsg(A, envA, 'sync', '--force', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.deletedRemote, ['input/sub/x.csv']);
    assert.equal(readFileSync(join(outside, 'x.csv'), 'utf8'), 'precious');
    assert.ok(lstatSync(join(repo, 'input/sub')).isSymbolicLink());
  });

  it('recovery removes only dsg-named entries of real staging and tmp folders', () => {
    const { A, envA, repo } = team(box('dsg-recover-links'));
    put(A, 'input/a.csv', 'a');
    assert.equal(dsg(A, envA, 'init').code, 0);
    const outside = join(repo, '..', '..', 'precious');
    mkdirSync(join(outside, '20250101T000000000Z-abcdef12'), { recursive: true });
    writeFileSync(join(outside, 'notes.txt'), 'keep');
    writeFileSync(join(outside, '20250101T000000000Z-abcdef12', 'data'), 'keep too');
    for (const d of ['tmp', 'staging']) {
      spawnSync('rm', ['-rf', join(repo, '.dsg', d)]);
      symlinkSync(outside, join(repo, '.dsg', d));
    }
    writeFileSync(join(repo, '.dsg/lock.json'), '{}'); // something to recover: readers take the lock
    const before = fullState(outside);
    // The lock stays (unreadable, not broken): recover would wait up to --wait (default 300 s) for it.
    for (const cmd of [['status'], ['log'], ['recover', '--wait', '1']]) dsg(A, envA, ...cmd);
    assert.deepEqual(fullState(outside), before);
    // A writer refuses to write through them (the planted lock removed first: a writer would
    // wait out its lease, minutes, before getting there).
    rmSync(join(repo, '.dsg/lock.json'));
    put(A, 'input/b.csv', 'b');
    const r = dsg(A, envA, 'sync');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\.dsg\/(tmp|staging|archive|objects).*not a folder/);
    assert.deepEqual(fullState(outside), before);
    // A working copy's own links there are refused the same way.
    const W = join(A, '.dsg', 'tmp');
    spawnSync('rm', ['-rf', W]);
    symlinkSync(outside, W);
    assert.match(dsg(A, envA, 'status').stderr, /\.dsg\/tmp is a symbolic link/);
    assert.deepEqual(fullState(outside), before);
  });
});


