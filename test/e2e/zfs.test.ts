/**
 * The ZFS backend on a real zfs-fuse pool, beyond the crash and team suites: one @sN per
 * snapshot over many syncs with no clone left, init's refusals, history read from @sN
 * (snapmount, validate --deep, content missing from objects/), snapshots dsg did not make,
 * and readers that never see a half-published state although zfs-fuse's rename is not atomic.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ZfsRemote } from '../../src/remote/zfs/ZfsRemote.js';
import { LocalTransport } from '../../src/transport/local/LocalTransport.js';
import { CLI, dsg, put, sandboxes } from '../helpers/cli.js';
import { assertSchema } from '../helpers/jsonSchemas.js';
import { listAll, testPool, viewsOf, zfs, zfsBackend } from '../helpers/zfs.js';

const backend = zfsBackend();
const { pool } = testPool();
const sandbox = sandboxes(backend);

function ok(r: { code: number; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
}

describe('ZFS backend (zfs-fuse pool)', () => {
  it('50 consecutive syncs make exactly @s1 … @s50, each holding its snapshot, and leave no clone', () => {
    const box = sandbox('dsg-zfs50');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/v.txt', 'version 1\n');
    ok(dsg(A, env, 'init', '-m', 'v1'), 'init');
    for (let i = 2; i <= 50; i++) {
      put(A, 'input/v.txt', `version ${i}\n`);
      put(A, `input/added/${i}.txt`, `added in ${i}\n`);
      ok(dsg(A, env, 'sync', '-m', `v${i}`), `sync ${i}`);
    }
    const ds = `${pool}/${box.name}`;
    assert.deepEqual(backend.nativeSnapshots!(box, box.name), Array.from({ length: 50 }, (_, i) => `s${i + 1}`));
    assert.deepEqual(listAll(pool).filter((n) => n.includes(box.name)), [ds, ...Array.from({ length: 50 }, (_, i) => `${ds}@s${i + 1}`)]);
    for (const name of zfs('list', '-H', '-o', 'name', '-t', 'filesystem', '-r', pool).split('\n').filter(Boolean)) {
      assert.equal(zfs('get', '-H', '-o', 'value', 'origin', name).trim(), '-', `${name} is not a clone`);
    }
    // Each @sN carries its snapshot's hash, and holds its content (five spot checks).
    const history = JSON.parse(readFileSync(join(box.repo(), '.dsg/sync-messages.json'), 'utf8')).snapshots;
    for (const n of [1, 2, 17, 33, 50]) {
      assert.equal(zfs('get', '-H', '-o', 'value', 'dsg:snapshot_hash', `${ds}@s${n}`).trim(), history[`s${n}`].snapshot_hash);
      const r = dsg(A, env, 'snapfetch', 'input/v.txt', '-n', `s${n}`, '-o', '-');
      ok(r, `snapfetch s${n}`);
      assert.equal(r.stdout, `version ${n}\n`);
      const v = dsg(A, env, 'validate-snapshot', '-n', `s${n}`, '--deep', '--json');
      ok(v, `validate-snapshot s${n}`);
      assert.equal(v.json.ok, true);
    }
    assert.deepEqual(viewsOf(pool, box.name), [], 'the views of validate --deep are gone');
    backend.assertClean!(box, box.name);
  });

  it('init refuses an existing dataset that holds data, reuses an empty one only with --force, and never destroys', () => {
    const box = sandbox('dsg-zfsinit');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/a.txt', 'a\n');
    zfs('create', `${pool}/${box.name}`);
    writeFileSync(join(box.repo(), 'precious.txt'), 'not dsg data\n');
    let r = dsg(A, env, 'init', '--json', '--force');
    assert.equal(r.code, 1);
    assert.equal(r.json.error.code, 'REMOTE_EXISTS');
    assert.match(r.json.error.message, new RegExp(`${pool}/${box.name} exists already .*1 item.*never reuses or destroys`));
    assert.equal(readFileSync(join(box.repo(), 'precious.txt'), 'utf8'), 'not dsg data\n');
    rmSync(join(box.repo(), 'precious.txt'));
    r = dsg(A, env, 'init', '--json');
    assert.equal(r.code, 1, 'an empty existing dataset still needs --force');
    assert.match(r.json.error.message, /dsg init --force/);
    ok(dsg(A, env, 'init', '--force'), 'init --force on the empty dataset');
    assert.deepEqual(backend.nativeSnapshots!(box, box.name), ['s1']);
    const B = box.project('b');
    put(B, 'input/b.txt', 'b\n');
    r = dsg(B, env, 'init', '--json', '--force');
    assert.equal(r.code, 1);
    assert.equal(r.json.error.code, 'REMOTE_EXISTS');
    assert.deepEqual(backend.nativeSnapshots!(box, box.name), ['s1']);
  });

  it('init --repo-type zfs --pool writes the config and creates the dataset with @s1', () => {
    const box = sandbox('dsg-zfsnew');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = join(box.base, 'fresh');
    put(A, 'input/a.txt', 'a\n');
    const r = dsg(A, env, 'init', '--name', box.name, '--repo-type', 'zfs', '--pool', pool, '--mountpoint', testPool().mount, '--json');
    ok(r, 'init');
    box.names.add(box.name); // destroyed with the sandbox
    assert.match(readFileSync(join(A, '.dsgconfig.yml'), 'utf8'), new RegExp(`type: zfs[\\s\\S]*pool: ${pool}`));
    assert.deepEqual(backend.nativeSnapshots!(box, box.name), ['s1']);
    assert.equal(readFileSync(join(box.repo(), 'input/a.txt'), 'utf8'), 'a\n');
  });

  it('init on a missing pool names it and says what to do', () => {
    const box = sandbox('dsg-zfsnopool');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    writeFileSync(join(A, '.dsgconfig.yml'), `name: ${box.name}\nrepository: {type: zfs, host: localhost, pool: ${pool}/no-such-parent, mountpoint: /tmp}\n`);
    put(A, 'input/a.txt', 'a\n');
    const r = dsg(A, env, 'init', '--json');
    assert.equal(r.code, 1);
    assert.equal(r.json.error.code, 'ZFS_NO_PARENT');
    assert.match(r.json.error.message, new RegExp(`${pool}/no-such-parent does not exist`));
  });

  it('snapmount mounts @sN read-only (a clone), snapunmount removes it; validate --deep reads @sN', () => {
    const box = sandbox('dsg-zfsmount');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/a.txt', 'one\n');
    ok(dsg(A, env, 'init', '-m', 'one'), 'init');
    put(A, 'input/a.txt', 'two\n');
    ok(dsg(A, env, 'sync', '-m', 'two'), 'sync');
    const mnt = join(box.base, 'view-s1');
    const r = dsg(A, env, 'snapmount', '-n', 's1', '--mountpoint', mnt, '--json');
    ok(r, 'snapmount');
    assert.equal(assertSchema(r, 'dsg.snapmount.v1').method, 'mounted');
    assert.equal(readFileSync(join(mnt, 'input/a.txt'), 'utf8'), 'one\n');
    assert.throws(() => writeFileSync(join(mnt, 'input/new.txt'), 'x'), /EROFS|read-only/i);
    assert.equal(viewsOf(pool, box.name).length, 1);
    const u = dsg(A, env, 'snapunmount', mnt, '--json');
    ok(u, 'snapunmount');
    assert.equal(assertSchema(u, 'dsg.snapunmount.v1').mountpoint, mnt);
    assert.deepEqual(viewsOf(pool, box.name), []);
    const again = dsg(A, env, 'snapunmount', mnt, '--json');
    assert.equal(again.code, 1);
    assert.equal(assertSchema(again, 'dsg.error.v1').error.code, 'NOT_MOUNTED');
    backend.assertClean!(box, box.name);
  });

  it('content missing from .dsg/objects/ and from the tree is read from the @sN that holds it', () => {
    const box = sandbox('dsg-zfsobj');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/a.txt', 'old content\n');
    ok(dsg(A, env, 'init', '-m', 'one'), 'init');
    put(A, 'input/a.txt', 'new content\n');
    ok(dsg(A, env, 'sync', '-m', 'two'), 'sync');
    const objects = join(box.repo(), '.dsg/objects');
    const hash = JSON.parse(readFileSync(join(A, '.dsg/last-sync.json'), 'utf8')).entries['input/a.txt'].hash;
    // Remove every object but the current one: s1's content now exists only in @s1.
    for (const d of readdirSync(objects)) for (const f of readdirSync(join(objects, d))) if (f !== hash) rmSync(join(objects, d, f));
    const r = dsg(A, env, 'snapfetch', 'input/a.txt', '-n', 's1', '-o', '-');
    ok(r, 'snapfetch from @s1');
    assert.equal(r.stdout, 'old content\n');
    assert.deepEqual(viewsOf(pool, box.name), [], 'the view is destroyed after reading');
  });

  it('a view left by a killed dsg is destroyed by the next command; a live process\'s view is not', () => {
    const box = sandbox('dsg-zfsstale');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/a.txt', 'one\n');
    ok(dsg(A, env, 'init'), 'init');
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const deadPid = spawnSync('true').pid!; // exited: as a dsg killed while reading @s1
    const dead = `${pool}/dsg-view-${box.name}-s1-${tag}-${deadPid}-0badc0de`;
    const live = `${pool}/dsg-view-${box.name}-s1-${tag}-${process.pid}-0badc0de`;
    for (const v of [dead, live]) zfs('clone', '-o', 'readonly=on', '-o', `mountpoint=${join(box.base, v.split('/').pop()!)}`, `${pool}/${box.name}@s1`, v);
    ok(dsg(A, env, 'status'), 'status');
    assert.deepEqual(viewsOf(pool, box.name), [live]);
  });

  it('a snapshot dsg did not make is never destroyed or adopted: the sync stays published and says what to do', () => {
    const box = sandbox('dsg-zfsforeign');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/a.txt', 'one\n');
    ok(dsg(A, env, 'init'), 'init');
    const ds = `${pool}/${box.name}`;
    zfs('snapshot', `${ds}@s2`); // an administrator's snapshot under dsg's next name
    put(A, 'input/a.txt', 'two\n');
    const r = dsg(A, env, 'sync', '-m', 'two', '--json');
    assert.equal(r.code, 1);
    assert.equal(r.json.error.code, 'PUBLISHED_INCOMPLETE');
    assert.match(r.json.error.message, new RegExp(`${ds}@s2 exists but was not made by dsg`));
    assert.equal(zfs('get', '-H', '-o', 'value', 'dsg:snapshot_hash', `${ds}@s2`).trim(), '-', 'the foreign snapshot is untouched');
    assert.match(readFileSync(join(box.repo(), '.dsg/last-sync.json'), 'utf8'), /"snapshot_id": "s2"/);
    const rec = dsg(A, env, 'recover', '--json');
    assert.equal(rec.code, 1, 'recover cannot finish while the foreign snapshot is in the way');
    // The administrator moves it aside; the next command finishes.
    zfs('rename', `${ds}@s2`, `${ds}@admin-s2`);
    ok(dsg(A, env, 'recover'), 'recover after the rename');
    assert.equal(zfs('get', '-H', '-o', 'value', 'dsg:snapshot_hash', `${ds}@s2`).trim(), JSON.parse(readFileSync(join(box.repo(), '.dsg/last-sync.json'), 'utf8')).metadata.snapshot_hash);
    const st = dsg(A, env, 'status', '--json');
    ok(st, 'status');
    assert.equal(st.json.upToDate, true);
    zfs('destroy', `${ds}@admin-s2`); // our test's own snapshot
  });

  it('readers never see "no snapshot" while another process publishes (zfs-fuse renames are not atomic)', async () => {
    const box = sandbox('dsg-zfsread');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    const B = box.project('b');
    put(A, 'input/a.txt', 'v0\n');
    ok(dsg(A, env, 'init'), 'init');
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    ok(dsg(B, env, 'clone'), 'clone');
    const reader = new ZfsRemote(new LocalTransport(), { pool, name: box.name, mountpoint: testPool().mount });
    const writer = spawn('bash', ['-c', `for i in $(seq 1 8); do echo "v$i" > input/a.txt; node ${JSON.stringify(CLI)} sync -m "v$i" >/dev/null || exit 1; done`], { cwd: A, env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    let running = true;
    void exited.then(() => (running = false));
    let reads = 0;
    while (running) {
      const m = await reader.readManifest();
      assert.notEqual(m, null, 'a reader saw no snapshot while one was being replaced');
      reads++;
    }
    assert.equal(await exited, 0, 'the writer synced 8 times');
    assert.ok(reads > 20, `${reads} reads`);
    assert.equal((await reader.readManifest())!.metadata.snapshot_id, 's9');
    assert.ok(existsSync(join(box.repo(), '.dsg/last-sync.json')));
  });
});
