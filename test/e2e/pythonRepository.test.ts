/**
 * Repositories and working copies written by the Python dsg 0.4.4 (no archives in the
 * repository, no objects/, sync-messages one snapshot behind): clone, sync, validate-chain and
 * blame work on them; our sync archives the base snapshot and the verified archives a working
 * copy holds, in the same transaction. Also: mtimes before 1970 survive a download.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compressArchive, decompressArchive } from '../../src/manifest/archive.js';
import { parseManifest } from '../../src/manifest/codec.js';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { fixtureText } from '../helpers/fixtures.js';
import { makePythonRepository, makePythonWorkingCopy } from '../helpers/pythonRepo.js';

const OLD_TOOL_NOTE = /no archived manifest \(written by dsg 0\.4\.4\)/;

function archivesIn(dsgDir: string): string[] {
  const dir = join(dsgDir, 'archive');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function syncMessageIds(dsgDir: string): string[] {
  return Object.keys(JSON.parse(readFileSync(join(dsgDir, 'sync-messages.json'), 'utf8')).snapshots);
}

function journals(wc: string): string[] {
  const dir = join(wc, '.dsg', 'transactions');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('repositories written by dsg 0.4.4', () => {
  const box = new Sandbox('dsg-python');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const bo = box.userEnv('Bo', 'bo@example.org');
  after(() => box.cleanup());

  it('clone of a Python repository (no archives, no objects, lagging sync-messages) succeeds and is not stuck', () => {
    const repo = join(box.repos, 'pyclone');
    makePythonRepository(repo, { lag: true });
    const C = box.project('clone1', 'pyclone');
    const r = dsg(C, bo, 'clone', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.previousSnapshot, 's3');
    assert.equal(readFileSync(join(C, 'task3/input/日本語.txt'), 'utf8'), Buffer.from(JSON.parse(fixtureText('s3-tree.json')).files.find((f: any) => f.path === 'task3/input/日本語.txt').content_b64, 'base64').toString('utf8'));
    assert.deepEqual(journals(C), []);
    // The history copy holds every snapshot, and the current one's archive (made from the manifest).
    assert.deepEqual(syncMessageIds(join(C, '.dsg')), ['s1', 's2', 's3']);
    assert.deepEqual(archivesIn(join(C, '.dsg')), ['s3-sync.json.lz4']);
    const st = dsg(C, bo, 'status', '--json');
    assert.equal(st.code, 0, st.stdout + st.stderr);
    const again = dsg(C, bo, 'sync', '--json');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(again.json.upToDate, true);
    // A clone never writes to the repository.
    assert.deepEqual(archivesIn(join(repo, '.dsg')), []);
  });

  it('sync in a Python working copy publishes, uploads the base and the verified local archives, and is not stuck', () => {
    const repo = join(box.repos, 'pywc');
    makePythonRepository(repo, { lag: true });
    const W = box.project('pywc', 'pywc');
    makePythonWorkingCopy(W, 3);
    put(W, 'task1/import/input/dt1.csv', 'id,value\n1,12\n');
    const r = dsg(W, ana, 'sync', '-m', 'edit after python', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.snapshot, 's4');
    assert.deepEqual(journals(W), []);
    const dsgDir = join(repo, '.dsg');
    assert.deepEqual(archivesIn(dsgDir), ['s1-sync.json.lz4', 's2-sync.json.lz4', 's3-sync.json.lz4', 's4-sync.json.lz4']);
    assert.deepEqual(readdirSync(join(dsgDir, 'staging')), []);
    // The uploaded archives hold exactly the recorded manifests.
    for (const n of [1, 2, 3]) {
      assert.equal(decompressArchive(readFileSync(join(dsgDir, 'archive', `s${n}-sync.json.lz4`)), `s${n}`), fixtureText(`s${n}-last-sync.json`));
    }
    // sync-messages lagged (s3 missing): the published one holds every snapshot.
    assert.deepEqual(syncMessageIds(dsgDir), ['s1', 's2', 's3', 's4']);
    const st = dsg(W, ana, 'status', '--json');
    assert.equal(st.code, 0, st.stdout + st.stderr);
    const again = dsg(W, ana, 'sync', '--json');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(again.json.upToDate, true);
    const chain = dsg(W, ana, 'validate-chain', '--json');
    assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    assert.deepEqual(chain.json.problems, []);
    assert.deepEqual(chain.json.notes, []);
    const C = box.project('pywc-clone', 'pywc');
    assert.equal(dsg(C, bo, 'clone').code, 0);
    assert.deepEqual(archivesIn(join(C, '.dsg')), archivesIn(dsgDir));
  });

  it('killed after the commit point, the next command finishes moving every staged archive', () => {
    const repo = join(box.repos, 'pykill');
    makePythonRepository(repo, { lag: true });
    const W = box.project('pykill', 'pykill');
    makePythonWorkingCopy(W, 3);
    put(W, 'task1/import/input/dt1.csv', 'id,value\n1,14\n');
    const crash = dsg(W, { ...ana, DSG_TEST_CRASH_AT: 'remote-rollforward-file' }, 'sync', '-m', 'killed after commit');
    assert.notEqual(crash.code, 0);
    assert.equal(JSON.parse(readFileSync(join(repo, '.dsg', 'last-sync.json'), 'utf8')).metadata.snapshot_id, 's4');
    const st = dsg(W, ana, 'sync', '--json');
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.deepEqual(journals(W), []);
    assert.deepEqual(readdirSync(join(repo, '.dsg', 'staging')), []);
    assert.deepEqual(archivesIn(join(repo, '.dsg')), ['s1-sync.json.lz4', 's2-sync.json.lz4', 's3-sync.json.lz4', 's4-sync.json.lz4']);
    const chain = dsg(W, ana, 'validate-chain', '--json');
    assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    assert.deepEqual(chain.json.notes, []);
  });

  it('a local archive that does not match the recorded metadata is not uploaded', () => {
    const repo = join(box.repos, 'pyforged');
    makePythonRepository(repo);
    const W = box.project('pyforged', 'pyforged');
    makePythonWorkingCopy(W, 3);
    // s1 with another message: it parses and verifies, but its snapshot_hash is not the recorded one.
    const s1 = parseManifest(fixtureText('s1-last-sync.json'), 's1');
    const forged = fixtureText('s1-last-sync.json').replace('"snapshot_message": "Initial snapshot"', '"snapshot_message": "forged"');
    assert.notEqual(forged, fixtureText('s1-last-sync.json'));
    assert.equal(s1.metadata.snapshot_message, 'Initial snapshot');
    writeFileSync(join(W, '.dsg', 'archive', 's1-sync.json.lz4'), compressArchive(forged));
    writeFileSync(join(W, '.dsg', 'archive', 's2-sync.json.lz4'), Buffer.from('not an archive'));
    put(W, 'task1/import/input/dt1.csv', 'id,value\n1,13\n');
    const r = dsg(W, ana, 'sync', '-m', 'after forged archives', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(archivesIn(join(repo, '.dsg')), ['s3-sync.json.lz4', 's4-sync.json.lz4']);
  });

  it('sync from our clone on top of a Python snapshot archives the base; a crash before the commit point leaves no archive', () => {
    const repo = join(box.repos, 'pybase');
    makePythonRepository(repo, { lag: true });
    const C = box.project('pybase', 'pybase');
    assert.equal(dsg(C, bo, 'clone').code, 0);
    put(C, 'task3/input/new.csv', 'a,b\n1,2\n');
    const crash = dsg(C, { ...bo, DSG_TEST_CRASH_AT: 'before-commit-point' }, 'sync', '-m', 'killed');
    assert.notEqual(crash.code, 0);
    assert.deepEqual(archivesIn(join(repo, '.dsg')), []);
    assert.equal(dsg(C, bo, 'recover').code, 0);
    assert.deepEqual(archivesIn(join(repo, '.dsg')), []);
    assert.deepEqual(readdirSync(join(repo, '.dsg', 'staging')), []);
    const r = dsg(C, bo, 'sync', '-m', 'on top of python', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.snapshot, 's4');
    assert.deepEqual(archivesIn(join(repo, '.dsg')), ['s3-sync.json.lz4', 's4-sync.json.lz4']);
    assert.equal(decompressArchive(readFileSync(join(repo, '.dsg', 'archive', 's3-sync.json.lz4')), 's3'), fixtureText('s3-last-sync.json'));
    assert.deepEqual(syncMessageIds(join(repo, '.dsg')), ['s1', 's2', 's3', 's4']);
    // A later clone gets everything that exists, and skips the known gap.
    const D = box.project('pybase-2', 'pybase');
    const d = dsg(D, ana, 'clone', '--json');
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.deepEqual(archivesIn(join(D, '.dsg')), ['s3-sync.json.lz4', 's4-sync.json.lz4']);
    // s1, s2 are the old tool's gap; s3 and s4 verify.
    const chain = dsg(C, bo, 'validate-chain', '--json');
    assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    assert.deepEqual(chain.json.notes.map((n: any) => n.snapshot), ['s1', 's2']);
    // An archive of a snapshot we wrote that goes missing is still a problem.
    const s4 = join(repo, '.dsg', 'archive', 's4-sync.json.lz4');
    renameSync(s4, `${s4}.away`);
    const damaged = dsg(C, bo, 'validate-chain', '--json');
    renameSync(`${s4}.away`, s4);
    assert.equal(damaged.code, 1, damaged.stdout);
    assert.deepEqual(damaged.json.problems.map((p: any) => [p.snapshot, p.kind]), [['s4', 'archive-missing']]);
  });

  it('validate-chain verifies the metadata chain of a Python repository and reports the missing archives as notes', () => {
    const repo = join(box.repos, 'pychain');
    makePythonRepository(repo);
    const P = box.project('pychain', 'pychain');
    const r = dsg(P, ana, 'validate-chain', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.ok, true);
    assert.deepEqual(r.json.problems, []);
    assert.deepEqual(r.json.notes.map((n: any) => n.snapshot), ['s1', 's2', 's3']);
    for (const n of r.json.notes) assert.match(n.message, OLD_TOOL_NOTE);
    const human = dsg(P, ana, 'validate-chain');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, OLD_TOOL_NOTE);
    // A broken hash chain is still found without archives.
    const sm = join(repo, '.dsg', 'sync-messages.json');
    const text = readFileSync(sm, 'utf8');
    writeFileSync(sm, text.replace('"snapshot_message": "update dt1, drop dt2"', '"snapshot_message": "rewritten"'));
    const broken = dsg(P, ana, 'validate-chain', '--json');
    assert.equal(broken.code, 1);
    assert.ok(broken.json.problems.some((p: any) => p.snapshot === 's2' && p.kind === 'snapshot-hash'), broken.stdout);
    writeFileSync(sm, text);
  });

  it('blame on a Python repository uses what exists and says which history is unavailable', () => {
    const repo = join(box.repos, 'pyblame');
    makePythonRepository(repo);
    const P = box.project('pyblame', 'pyblame');
    const r = dsg(P, ana, 'blame', 'task1/import/input/dt1.csv', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json.unavailable, ['s1', 's2']);
    assert.equal(r.json.events.length, 1);
    assert.equal(r.json.events[0].snapshot, 's3');
    assert.equal(r.json.events[0].change, 'present');
    const human = dsg(P, ana, 'blame', 'task1/import/input/dt1.csv');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /s1, s2.*no archived manifest/);
  });
});

describe('mtimes before 1970', () => {
  const box = new Sandbox('dsg-1965');
  const ana = box.userEnv('Ana', 'ana@example.org');
  after(() => box.cleanup());

  it('a file last modified in 1965 keeps that mtime through init and clone', () => {
    const A = box.project('a');
    put(A, 'input/old.csv', 'year\n1965\n');
    const when = new Date('1965-03-01T00:00:00-08:00');
    utimesSync(join(A, 'input/old.csv'), when, when);
    assert.equal(statSync(join(A, 'input/old.csv')).mtimeMs, when.getTime());
    const init = dsg(A, ana, 'init', '-m', 'old data');
    assert.equal(init.code, 0, init.stdout + init.stderr);
    const m = JSON.parse(readFileSync(join(box.repos, 'proj', '.dsg', 'last-sync.json'), 'utf8'));
    assert.equal(m.entries['input/old.csv'].mtime, '1965-03-01T00:00:00-08:00');
    const B = box.project('b');
    const r = dsg(B, ana, 'clone');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Math.floor(statSync(join(B, 'input/old.csv')).mtimeMs / 1000), when.getTime() / 1000);
  });
});

