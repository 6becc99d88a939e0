/**
 * How a team uses one repository, run by every backend: two working copies taking turns reach
 * every non-conflict row of the state table (SPEC §4) and end identical to each other and to
 * the repository; concurrent writers queue on the lock and every change survives in a linear
 * history; a writer paused past its lease loses the lock and fails without publishing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanupAll, CLI, dsg, put, Sandbox, type TestBackend } from '../helpers/cli.js';
import { isStopped, until } from '../helpers/processes.js';
import { treeState } from '../helpers/trees.js';

function start(cwd: string, env: NodeJS.ProcessEnv, args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr: err })));
  return { child, done, stderr: () => err };
}

function copies(box: Sandbox, n: number) {
  const users = Array.from({ length: n }, (_, i) => box.userEnv(`U${i}`, `u${i}@example.org`));
  const dirs = Array.from({ length: n }, (_, i) => box.project(`w${i}`));
  for (let i = 0; i < 6; i++) put(dirs[0], `input/base${i}`, `base ${i}`);
  assert.equal(dsg(dirs[0], users[0], 'init').code, 0);
  for (let i = 1; i < n; i++) {
    copyFileSync(join(dirs[0], '.dsgconfig.yml'), join(dirs[i], '.dsgconfig.yml'));
    assert.equal(dsg(dirs[i], users[i], 'clone').code, 0);
  }
  return { users, dirs };
}

export function runTeamSuite(backend: TestBackend): void {
  describe(`two working copies taking turns (${backend.name})`, () => {
    const box = new Sandbox('dsg-two', backend);
    const envA = box.userEnv('Ana', 'ana@example.org');
    const envB = box.userEnv('Ben', 'ben@example.org');
    let A = '';
    let B = '';
    const repo = () => box.inspect();

    const syncOk = (dir: string, env: NodeJS.ProcessEnv, ...args: string[]) => {
      const r = dsg(dir, env, 'sync', '--json', ...args);
      assert.equal(r.code, 0, `sync failed: ${r.stderr}`);
      return r.json;
    };
    const states = (result: any): Record<string, string> => Object.fromEntries(result.rows.map((row: any) => [row.path, row.state]));

    before(() => {
      A = box.project('a');
      B = box.project('b');
      for (let i = 0; i < 10; i++) put(A, `t/input/f${i}.csv`, `row ${i}\n`);
      put(A, 't/output/result.txt', 'result v1\n');
      put(A, 't/src/code.R', 'not data\n');
      const init = dsg(A, envA, 'init', '--json', '-m', 'first');
      assert.equal(init.code, 0, init.stderr);
      assert.equal(init.json.snapshot, 's1');
      copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
      const clone = dsg(B, envB, 'clone', '--json');
      assert.equal(clone.code, 0, clone.stderr);
      assert.equal(clone.json.downloaded.length, 11);
    });
    after(() => box.cleanup());

    it('local_added on one side is remote_added on the other (new folders too)', () => {
      put(A, 'new/deep/input/n1.csv', 'n1\n');
      assert.equal(states(syncOk(A, envA, '-m', 'add n1'))['new/deep/input/n1.csv'], 'local_added');
      const r = syncOk(B, envB);
      assert.equal(states(r)['new/deep/input/n1.csv'], 'remote_added');
      assert.equal(readFileSync(join(B, 'new/deep/input/n1.csv'), 'utf8'), 'n1\n');
    });

    it('local_changed uploads; remote_changed downloads', () => {
      put(A, 't/input/f1.csv', 'row 1 changed\n');
      assert.equal(states(syncOk(A, envA))['t/input/f1.csv'], 'local_changed');
      assert.equal(states(syncOk(B, envB))['t/input/f1.csv'], 'remote_changed');
      assert.equal(readFileSync(join(B, 't/input/f1.csv'), 'utf8'), 'row 1 changed\n');
    });

    it('local_deleted deletes on the remote; remote_deleted deletes locally', () => {
      unlinkSync(join(B, 't/input/f2.csv'));
      assert.equal(states(syncOk(B, envB))['t/input/f2.csv'], 'local_deleted');
      assert.equal(states(syncOk(A, envA))['t/input/f2.csv'], 'remote_deleted');
      assert.throws(() => readFileSync(join(A, 't/input/f2.csv')));
    });

    it('both_changed_equal and added_both_equal only refresh the cache', () => {
      put(A, 't/input/f3.csv', 'same edit\n');
      put(B, 't/input/f3.csv', 'same edit\n');
      put(A, 't/input/both.csv', 'both\n');
      put(B, 't/input/both.csv', 'both\n');
      syncOk(A, envA);
      const r = states(syncOk(B, envB));
      assert.equal(r['t/input/f3.csv'], 'both_changed_equal');
      assert.equal(r['t/input/both.csv'], 'added_both_equal');
    });

    it('gone_both drops the path from the cache', () => {
      unlinkSync(join(A, 't/input/f4.csv'));
      unlinkSync(join(B, 't/input/f4.csv'));
      syncOk(A, envA);
      assert.equal(states(syncOk(B, envB))['t/input/f4.csv'], 'gone_both');
    });

    it('a file replaced by a symlink travels as a link', () => {
      rmSync(join(A, 't/output/result.txt'));
      symlinkSync('../input/f0.csv', join(A, 't/output/result.txt'));
      assert.equal(states(syncOk(A, envA))['t/output/result.txt'], 'local_changed');
      syncOk(B, envB);
    });

    it('an unchanged tree is "Everything up to date" and makes no snapshot', () => {
      const before = dsg(A, envA, 'log', '--json').json.snapshots.length;
      const r = dsg(A, envA, 'sync');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Everything up to date/);
      assert.equal(dsg(A, envA, 'log', '--json').json.snapshots.length, before);
      const s = dsg(B, envB, 'status', '--json');
      assert.equal(s.json.upToDate, true);
    });

    it('both copies end identical to each other and to the remote tree', async () => {
      const a = treeState(A);
      // Code is not data: it stays in A only.
      assert.ok(a['t/src/code.R']);
      delete a['t/src/code.R'];
      assert.deepEqual(treeState(B), a);
      assert.deepEqual(await repo().tree(), a);
      assert.equal(a['t/output/result.txt'], 'link:../input/f0.csv');
      // Both caches hold the remote manifest byte for byte.
      const remoteManifest = (await repo().read('.dsg/last-sync.json'))!;
      assert.equal(readFileSync(join(A, '.dsg/last-sync.json'), 'utf8'), remoteManifest);
      assert.equal(readFileSync(join(B, '.dsg/last-sync.json'), 'utf8'), remoteManifest);
    });

    it('unchanged files keep their user; changed ones get the syncing user', async () => {
      const m = JSON.parse((await repo().read('.dsg/last-sync.json'))!);
      assert.equal(m.entries['t/input/f0.csv'].user, 'ana@example.org');
      assert.equal(m.entries['t/input/f1.csv'].user, 'ana@example.org');
      assert.equal(m.entries['t/input/f3.csv'].user, 'ana@example.org');
      const log = dsg(B, envB, 'log', '--json').json.snapshots;
      assert.ok(log.some((e: any) => e.user === 'ben@example.org'));
    });
  });

  describe(`concurrent writers (${backend.name})`, () => {
    const boxes: Sandbox[] = [];
    after(() => cleanupAll(boxes));

    it('three copies syncing at once: every change survives, history is linear, waiters name the holder', async () => {
      const box = new Sandbox('dsg-conc', backend);
      boxes.push(box);
      const { users, dirs } = copies(box, 3);
      dirs.forEach((d, i) => put(d, `input/from${i}`, `change ${i}`));
      const repo = box.inspect();
      // The first writer pauses holding the lock, so the other two must wait for it.
      const first = start(dirs[0], { ...users[0], DSG_TEST_STOP_AT: 'plan-made' }, ['sync', '-m', 'w0']);
      await until('the first writer to pause with the lock', async () => isStopped(first.child.pid!) && (await repo.exists('.dsg/lock.json')));
      const others = [1, 2].map((i) => start(dirs[i], users[i], ['sync', '-m', `w${i}`, '--wait', '60']));
      await until('both writers to report the holder', () => others.every((o) => /waiting for the repository lock held by u0@example\.org/.test(o.stderr())));
      first.child.kill('SIGCONT');
      const results = await Promise.all([first.done, ...others.map((o) => o.done)]);
      results.forEach((r, i) => assert.equal(r.code, 0, `writer ${i}: ${r.stderr}`));

      const log = dsg(dirs[0], users[0], 'log', '--json').json.snapshots;
      assert.deepEqual(log.map((e: any) => e.id), ['s4', 's3', 's2', 's1']);
      const sm = JSON.parse((await repo.read('.dsg/sync-messages.json'))!);
      for (const n of [2, 3, 4]) assert.equal(sm.snapshots[`s${n}`].snapshot_previous, `s${n - 1}`);
      const manifest = JSON.parse((await repo.read('.dsg/last-sync.json'))!);
      for (let i = 0; i < 3; i++) assert.ok(manifest.entries[`input/from${i}`], `change of writer ${i} survived`);
    });

    it('a second writer gives up after --wait with exit code 4, naming the holder', async () => {
      const box = new Sandbox('dsg-wait', backend);
      boxes.push(box);
      const { users, dirs } = copies(box, 2);
      put(dirs[0], 'input/x', 'x');
      const holder = start(dirs[0], { ...users[0], DSG_TEST_STOP_AT: 'plan-made' }, ['sync']);
      await until('the holder to pause', () => isStopped(holder.child.pid!));
      const r = dsg(dirs[1], users[1], 'sync', '--wait', '1');
      assert.equal(r.code, 4);
      assert.match(r.stderr, /locked by u0@example\.org/);
      holder.child.kill('SIGCONT');
      assert.equal((await holder.done).code, 0);
    });

    it('a writer paused past its lease loses the lock and then fails without publishing', async () => {
      const box = new Sandbox('dsg-lease', backend);
      boxes.push(box);
      const { users, dirs } = copies(box, 2);
      put(dirs[0], 'input/slow', 'from the paused writer');
      put(dirs[1], 'input/fast', 'from the second writer');
      const slow = start(dirs[0], { ...users[0], DSG_LOCK_LEASE_SECONDS: '1', DSG_TEST_STOP_AT: 'before-commit-point' }, ['sync', '-m', 'slow']);
      await until('the first writer to pause before its commit point', () => isStopped(slow.child.pid!));
      const fast = dsg(dirs[1], users[1], 'sync', '-m', 'fast', '--wait', '30');
      assert.equal(fast.code, 0, fast.stderr);
      assert.match(fast.stderr, /taking it over/);
      const repo = box.inspect();
      const published = await repo.full();
      slow.child.kill('SIGCONT');
      const r = await slow.done;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /lost the repository lock/);
      const manifest = JSON.parse((await repo.read('.dsg/last-sync.json'))!);
      assert.equal(manifest.metadata.snapshot_id, 's2');
      assert.equal(manifest.entries['input/slow'], undefined);
      // Only the paused writer's abandoned staging may differ; recovery removes it.
      assert.equal(dsg(dirs[1], users[1], 'recover').code, 0);
      assert.deepEqual(await repo.full(), published);
      // The paused writer's change is still local and goes up on its next sync.
      const again = dsg(dirs[0], users[0], 'sync', '-m', 'slow again');
      assert.equal(again.code, 0, again.stderr);
    });
  });
}
