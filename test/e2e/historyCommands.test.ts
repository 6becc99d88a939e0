/**
 * History commands against a history three users built by taking turns with `dsg sync -m`:
 * log filters and blame agree with it, snapfetch returns old bytes exactly, snapmount
 * materialises a snapshot read-only, validate-file sees local edits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, dsg, put, Sandbox } from '../helpers/cli.js';
import { treeState, makeWritable } from '../helpers/trees.js';
import { parseManifestTime } from '../../src/manifest/time.js';


function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('history commands over a three-user history', () => {
  const box = new Sandbox('dsg-histcmd');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const ben = box.userEnv('Ben', 'ben@example.org');
  const carl = box.userEnv('Carl', 'carl@example.org');
  const A = box.project('a');
  const B = box.project('b');
  const C = box.project('c');
  const v1 = randomBytes(70_000); // binary, with every byte value likely
  const v2 = Buffer.concat([v1.subarray(0, 1000), Buffer.from('ben was here'), v1.subarray(1000)]);
  let stateAtS4: Record<string, string> = {};
  const mounts: string[] = [];

  const ok = (r: ReturnType<typeof dsg>, what: string): void => assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);

  before(() => {
    put(A, 'input/a.bin', v1);
    put(A, 'input/b.txt', 'b one');
    put(A, 'output/keep.txt', 'kept');
    ok(dsg(A, ana, 'init', '-m', 'one: first data'), 'init s1');
    for (const dir of [B, C]) copyFileSync(join(A, '.dsgconfig.yml'), join(dir, '.dsgconfig.yml'));
    ok(dsg(B, ben, 'clone'), 'clone B');
    ok(dsg(C, carl, 'clone'), 'clone C');

    put(B, 'input/a.bin', v2);
    ok(dsg(B, ben, 'sync', '-m', 'two: ben edits a'), 'sync s2');

    ok(dsg(C, carl, 'sync'), 'C catches up');
    unlinkSync(join(C, 'input/a.bin'));
    put(C, 'input/c.txt', 'carl');
    ok(dsg(C, carl, 'sync', '-m', 'three: carl drops a'), 'sync s3');

    sleep(1100); // s4 and later get a later created_at second than s1–s3
    ok(dsg(A, ana, 'sync'), 'A catches up');
    symlinkSync('b.txt', join(A, 'input/l'));
    put(A, 'input/b.txt', 'b two');
    ok(dsg(A, ana, 'sync', '-m', 'four: ana links and edits b'), 'sync s4');
    stateAtS4 = treeState(A);

    ok(dsg(B, ben, 'sync'), 'B catches up');
    put(B, 'input/a.bin', 'a is back');
    ok(dsg(B, ben, 'sync', '-m', 'five: ben restores a'), 'sync s5');
    ok(dsg(A, ana, 'sync'), 'A at s5');
  });

  after(() => {
    for (const m of mounts) makeWritable(m);
    box.cleanup();
  });

  it('log -n, --author and --since agree with the scripted history', () => {
    const all = dsg(C, carl, 'log', '--json');
    ok(all, 'log');
    assert.deepEqual(
      all.json.snapshots.map((e: any) => [e.id, e.user, e.message.split(':')[0]]),
      [
        ['s5', 'ben@example.org', 'five'],
        ['s4', 'ana@example.org', 'four'],
        ['s3', 'carl@example.org', 'three'],
        ['s2', 'ben@example.org', 'two'],
        ['s1', 'ana@example.org', 'one'],
      ],
    );
    assert.deepEqual(dsg(C, carl, 'log', '--json', '-n', '2').json.snapshots.map((e: any) => e.id), ['s5', 's4']);
    assert.deepEqual(dsg(C, carl, 'log', '--json', '--author', 'ben').json.snapshots.map((e: any) => e.id), ['s5', 's2']);
    assert.deepEqual(dsg(C, carl, 'log', '--json', '--author', 'CARL').json.snapshots.map((e: any) => e.id), ['s3']);
    for (const e of all.json.snapshots) {
      const since = dsg(C, carl, 'log', '--json', '--since', e.createdAt).json.snapshots.map((x: any) => x.id);
      const expected = all.json.snapshots.filter((x: any) => parseManifestTime(x.createdAt) >= parseManifestTime(e.createdAt)).map((x: any) => x.id);
      assert.deepEqual(since, expected, `--since ${e.createdAt}`);
    }
    const s4 = all.json.snapshots.find((e: any) => e.id === 's4');
    assert.deepEqual(dsg(C, carl, 'log', '--json', '--since', s4.createdAt).json.snapshots.map((e: any) => e.id), ['s5', 's4']);
    assert.deepEqual(dsg(C, carl, 'log', '--json', '--author', 'ana', '-n', '1').json.snapshots.map((e: any) => e.id), ['s4']);
  });

  it('blame lists adds, edits and deletions by the user who synced each, matching log', () => {
    const log = new Map<string, any>(dsg(A, ana, 'log', '--json').json.snapshots.map((e: any) => [e.id, e]));
    const r = dsg(A, ana, 'blame', 'input/a.bin', '--json');
    ok(r, 'blame');
    assert.equal(r.json.path, 'input/a.bin');
    assert.equal(r.json.snapshots, 5);
    assert.equal(r.json.present, true);
    assert.deepEqual(
      r.json.events.map((e: any) => [e.snapshot, e.change, e.user]),
      [
        ['s1', 'added', 'ana@example.org'],
        ['s2', 'modified', 'ben@example.org'],
        ['s3', 'deleted', 'carl@example.org'],
        ['s5', 'added', 'ben@example.org'],
      ],
    );
    for (const e of r.json.events) {
      const l = log.get(e.snapshot);
      assert.equal(e.user, l.user);
      assert.equal(e.createdAt, l.createdAt);
      assert.equal(e.message, l.message);
    }
    // Links: added in s4 with its target; b.txt edited in s4.
    const l = dsg(A, ana, 'blame', 'input/l', '--json').json;
    assert.deepEqual(l.events.map((e: any) => [e.snapshot, e.change, e.entry.type, e.entry.reference]), [['s4', 'added', 'link', 'b.txt']]);
    assert.deepEqual(dsg(A, ana, 'blame', 'input/b.txt', '--json').json.events.map((e: any) => [e.snapshot, e.change]), [['s1', 'added'], ['s4', 'modified']]);
    // Relative to the current folder, from a subdirectory; and human output.
    const sub = dsg(join(C, 'input'), carl, 'blame', 'c.txt');
    ok(sub, 'blame from input/');
    assert.match(sub.stdout, /input\/c\.txt: 1 change in 5 snapshots/);
    assert.match(sub.stdout, /s3\s+added .*carl@example\.org/);
  });

  it('blame fails clearly on a path never tracked, and on a folder', () => {
    const r = dsg(A, ana, 'blame', 'input/nope.txt');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /input\/nope\.txt is in none of the 5 snapshots/);
    const f = dsg(A, ana, 'blame', 'input', '--json');
    assert.equal(f.code, 1);
    assert.equal(f.json.error.code, 'NOT_A_FILE');
    assert.equal(dsg(A, ana, 'blame', '/etc/passwd').code, 2);
  });

  it('snapfetch returns the exact bytes of s1 after the file was modified in s2 and deleted in s3', () => {
    const r = dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 's1', '--json');
    ok(r, 'snapfetch s1');
    assert.equal(r.json.out, join(C, 'a.bin.s1'));
    assert.equal(r.json.bytes, v1.length);
    assert.ok(readFileSync(join(C, 'a.bin.s1')).equals(v1));
    assert.equal(r.json.tracked, false);
    // s2's version, with -o, from a subdirectory with a cwd-relative path and a bare number.
    const out = join(box.base, 'a-v2.bin');
    ok(dsg(join(C, 'input'), carl, 'snapfetch', 'a.bin', '-n', '2', '-o', out), 'snapfetch s2');
    assert.ok(readFileSync(out).equals(v2));
    // The mtime of that version is restored.
    const mtime = dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 's2', '-o', join(box.base, 'x'), '--json').json.mtime;
    assert.equal(Math.floor(statSync(join(box.base, 'x')).mtimeMs / 1000), parseManifestTime(mtime));
    // To standard output, byte for byte.
    const raw = spawnSync(process.execPath, [CLI, 'snapfetch', 'input/a.bin', '-n', 's1', '-o', '-'], { cwd: C, env: carl });
    assert.equal(raw.status, 0, raw.stderr.toString());
    assert.ok(raw.stdout.equals(v1));
  });

  it('"latest" stands for the newest snapshot wherever a snapshot id is asked for', () => {
    const v = dsg(C, carl, 'validate-snapshot', '-n', 'latest', '--json');
    ok(v, 'validate-snapshot latest');
    assert.equal(v.json.snapshot, 's5');
    const latest = spawnSync(process.execPath, [CLI, 'snapfetch', 'input/a.bin', '-n', 'LATEST', '-o', '-'], { cwd: C, env: carl });
    const s5 = spawnSync(process.execPath, [CLI, 'snapfetch', 'input/a.bin', '-n', 's5', '-o', '-'], { cwd: C, env: carl });
    assert.equal(latest.status, s5.status, latest.stderr.toString());
    assert.ok(latest.stdout.equals(s5.stdout));
    assert.match(latest.stderr.toString() + s5.stderr.toString(), /s5/);
    assert.equal(dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 'newest', '-o', '-').code, 2);
  });

  it('snapfetch refuses to overwrite, and names the snapshot, a missing file and links', () => {
    const again = dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 's1');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a\.bin\.s1 already exists.*--overwrite/);
    ok(dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 's1', '--overwrite'), 'snapfetch --overwrite');
    const gone = dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 's3', '--json');
    assert.equal(gone.code, 1);
    assert.equal(gone.json.error.code, 'FILE_NOT_IN_SNAPSHOT');
    assert.match(gone.json.error.message, /input\/a\.bin is not in snapshot s3.*It is in s1, s2, s5/);
    const link = dsg(C, carl, 'snapfetch', 'input/l', '-n', 's4');
    assert.equal(link.code, 1);
    assert.match(link.stderr, /input\/l is a symbolic link in snapshot s4, pointing to "b\.txt"/);
    const none = dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 's9');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Snapshot s9 does not exist .*s1…s5/);
    assert.equal(dsg(C, carl, 'snapfetch', 'input/a.bin', '-n', 'last').code, 2);
    assert.equal(dsg(C, carl, 'snapfetch', 'input/a.bin').code, 2); // -n is required
  });

  it('snapmount materialises exactly snapshot s4, verified and read-only', () => {
    const mnt = join(box.base, 'mnt-s4');
    mounts.push(mnt);
    const r = dsg(C, carl, 'snapmount', '-n', 's4', '--mountpoint', mnt, '--json');
    ok(r, 'snapmount');
    assert.deepEqual(r.json, { schema: 'dsg.snapmount.v1', snapshot: 's4', mountpoint: mnt, method: 'copied', files: 3, links: 1, directories: 2, bytes: 'b two'.length + 'carl'.length + 'kept'.length });
    assert.deepEqual(treeState(mnt), stateAtS4);
    assert.equal(readFileSync(join(mnt, 'input/b.txt'), 'utf8'), 'b two');
    assert.equal(lstatSync(join(mnt, 'input/l')).isSymbolicLink(), true);
    for (const rel of ['input/b.txt', 'input/c.txt', 'output/keep.txt']) assert.equal(statSync(join(mnt, rel)).mode & 0o777, 0o444, rel);
    for (const rel of ['', 'input', 'output']) assert.equal(statSync(join(mnt, rel)).mode & 0o777, 0o555, rel || '.');
  });

  it('snapmount: the default folder sits beside the project; refuses non-empty and in-project folders', () => {
    const def = join(box.base, 'c-snapshot-s1');
    mounts.push(def);
    const r = dsg(join(C, 'input'), carl, 'snapmount', '-n', '1', '--json');
    ok(r, 'snapmount default');
    assert.equal(r.json.mountpoint, def);
    assert.ok(readFileSync(join(def, 'input/a.bin')).equals(v1));
    const busy = join(box.base, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'x'), 'x');
    const ne = dsg(C, carl, 'snapmount', '-n', 's2', '--mountpoint', busy);
    assert.equal(ne.code, 1);
    assert.match(ne.stderr, /busy is not empty/);
    assert.equal(readdirSync(busy).length, 1);
    const inside = dsg(C, carl, 'snapmount', '-n', 's2', '--mountpoint', 'snap');
    assert.equal(inside.code, 1);
    assert.match(inside.stderr, /inside the working copy/);
    assert.equal(existsSync(join(C, 'snap')), false);
    // A hidden folder in the project is never tracked: allowed.
    const hidden = join(C, '.snapshots', 's2');
    mounts.push(join(C, '.snapshots'));
    ok(dsg(C, carl, 'snapmount', '-n', 's2', '--mountpoint', '.snapshots/s2'), 'snapmount hidden');
    assert.ok(readFileSync(join(hidden, 'input/a.bin')).equals(v2));
    makeWritable(join(C, '.snapshots'));
    rmSync(join(C, '.snapshots'), { recursive: true });
  });

  it('validate-file: matches after a sync, detects a local edit and a deletion', () => {
    const good = dsg(A, ana, 'validate-file', 'input/b.txt', '--json');
    ok(good, 'validate-file');
    assert.equal(good.json.ok, true);
    assert.deepEqual([good.json.cache.status, good.json.remote.status, good.json.cache.snapshot], ['match', 'match', 's5']);
    put(A, 'input/b.txt', 'b edited locally');
    const bad = dsg(A, ana, 'validate-file', 'input/b.txt', '--json');
    assert.equal(bad.code, 1);
    assert.equal(bad.json.ok, false);
    assert.deepEqual([bad.json.cache.status, bad.json.remote.status], ['differs', 'differs']);
    assert.match(bad.stderr, /input\/b\.txt does not match the last sync \(differs\) and the repository \(differs\)/);
    const human = dsg(join(A, 'input'), ana, 'validate-file', 'b.txt');
    assert.equal(human.code, 1);
    assert.match(human.stdout, /last sync\s+\(s5\): DIFFERS/);
    put(A, 'input/b.txt', 'b two');
    ok(dsg(A, ana, 'validate-file', 'input/b.txt'), 'validate-file restored');
    unlinkSync(join(A, 'output/keep.txt'));
    const del = dsg(A, ana, 'validate-file', 'output/keep.txt', '--json');
    assert.equal(del.code, 1);
    assert.equal(del.json.cache.status, 'missing-locally');
    put(A, 'output/keep.txt', 'kept');
    ok(dsg(A, ana, 'validate-file', 'input/l'), 'validate-file on a link');
    assert.equal(dsg(A, ana, 'validate-file', 'input/never').code, 1);
  });

  it('--json of every history command is one JSON document', () => {
    for (const args of [
      ['blame', 'input/a.bin'],
      ['snapfetch', 'input/b.txt', '-n', 's1', '-o', join(box.base, 'b1')],
      ['validate-file', 'input/c.txt'],
      ['validate-snapshot', '-n', 's5', '--deep'],
      ['validate-chain', '--deep'],
      ['validate-config'],
      ['clean'],
      ['list-repos'],
    ]) {
      const r = dsg(A, ana, ...args, '--json');
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.json !== undefined && typeof r.json === 'object', `${args.join(' ')} --json: ${r.stdout}`);
    }
    const mnt = join(box.base, 'mnt-json');
    mounts.push(mnt);
    assert.equal(typeof dsg(A, ana, 'snapmount', '-n', 's3', '--mountpoint', mnt, '--json').json.files, 'number');
  });
});
