/**
 * The repository lock: concurrent writers queue up and every change survives in a linear
 * history; a writer paused past its lease loses the lock and then fails without publishing;
 * a repository on a full disk rolls back with a clear "no space" error.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, dsg, put, Sandbox } from '../helpers/cli.js';
import { fullState } from '../helpers/trees.js';

function start(cwd: string, env: NodeJS.ProcessEnv, args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr: err })));
  return { child, done, stderr: () => err };
}

async function until(what: string, cond: () => boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isStopped(pid: number): boolean {
  try {
    return / T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*?\)/, ''));
  } catch {
    return false;
  }
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

describe('concurrent writers', () => {
  const boxes: Sandbox[] = [];
  after(() => boxes.forEach((b) => b.cleanup()));

  it('three copies syncing at once: every change survives, history is linear, waiters name the holder', async () => {
    const box = new Sandbox('dsg-conc');
    boxes.push(box);
    const { users, dirs } = copies(box, 3);
    dirs.forEach((d, i) => put(d, `input/from${i}`, `change ${i}`));
    const lockFile = join(box.repos, 'proj', '.dsg', 'lock.json');
    // The first writer pauses holding the lock, so the other two must wait for it.
    const first = start(dirs[0], { ...users[0], DSG_TEST_STOP_AT: 'plan-made' }, ['sync', '-m', 'w0']);
    await until('the first writer to pause with the lock', () => existsSync(lockFile) && isStopped(first.child.pid!));
    const others = [1, 2].map((i) => start(dirs[i], users[i], ['sync', '-m', `w${i}`, '--wait', '60']));
    await until('both writers to report the holder', () => others.every((o) => /waiting for the repository lock held by u0@example\.org/.test(o.stderr())));
    first.child.kill('SIGCONT');
    const results = await Promise.all([first.done, ...others.map((o) => o.done)]);
    results.forEach((r, i) => assert.equal(r.code, 0, `writer ${i}: ${r.stderr}`));

    const log = dsg(dirs[0], users[0], 'log', '--json').json;
    assert.deepEqual(log.map((e: any) => e.id), ['s4', 's3', 's2', 's1']);
    const sm = JSON.parse(readFileSync(join(box.repos, 'proj', '.dsg/sync-messages.json'), 'utf8'));
    for (const n of [2, 3, 4]) assert.equal(sm.snapshots[`s${n}`].snapshot_previous, `s${n - 1}`);
    const manifest = JSON.parse(readFileSync(join(box.repos, 'proj', '.dsg/last-sync.json'), 'utf8'));
    for (let i = 0; i < 3; i++) assert.ok(manifest.entries[`input/from${i}`], `change of writer ${i} survived`);
  });

  it('a second writer gives up after --wait with exit code 4, naming the holder', async () => {
    const box = new Sandbox('dsg-wait');
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
    const box = new Sandbox('dsg-lease');
    boxes.push(box);
    const { users, dirs } = copies(box, 2);
    put(dirs[0], 'input/slow', 'from the paused writer');
    put(dirs[1], 'input/fast', 'from the second writer');
    const slow = start(dirs[0], { ...users[0], DSG_LOCK_LEASE_SECONDS: '1', DSG_TEST_STOP_AT: 'before-commit-point' }, ['sync', '-m', 'slow']);
    await until('the first writer to pause before its commit point', () => isStopped(slow.child.pid!));
    const fast = dsg(dirs[1], users[1], 'sync', '-m', 'fast', '--wait', '30');
    assert.equal(fast.code, 0, fast.stderr);
    assert.match(fast.stderr, /taking it over/);
    const repo = join(box.repos, 'proj');
    const published = fullState(repo);
    slow.child.kill('SIGCONT');
    const r = await slow.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /lost the repository lock/);
    const manifest = JSON.parse(readFileSync(join(repo, '.dsg/last-sync.json'), 'utf8'));
    assert.equal(manifest.metadata.snapshot_id, 's2');
    assert.equal(manifest.entries['input/slow'], undefined);
    // Only the paused writer's abandoned staging may differ; recovery removes it.
    assert.equal(dsg(dirs[1], users[1], 'recover').code, 0);
    assert.deepEqual(fullState(repo), published);
    // The paused writer's change is still local and goes up on its next sync.
    const again = dsg(dirs[0], users[0], 'sync', '-m', 'slow again');
    assert.equal(again.code, 0, again.stderr);
  });
});

describe('a full disk', () => {
  it('rolls back cleanly with a clear "no space" error', (t) => {
    const box = new Sandbox('dsg-full');
    const mnt = join(box.base, 'small');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    assert.equal(mount.status, 0, `this test needs root to mount a 1 MiB tmpfs: ${mount.stderr}`);
    try {
      const env = box.userEnv('Ana', 'ana@example.org');
      const W = join(box.base, 'w');
      mkdirSync(W);
      put(W, '.dsgconfig.yml', `name: proj\nrepository: {type: xfs, host: localhost, mountpoint: ${JSON.stringify(mnt)}}\n`);
      put(W, 'input/small.csv', 'small');
      assert.equal(dsg(W, env, 'init').code, 0);
      put(W, 'input/big.bin', Buffer.alloc(3 << 20, 7));
      const repo = join(mnt, 'proj');
      const beforeRemote = fullState(repo);
      const beforeLocal = fullState(W);
      const r = dsg(W, env, 'sync');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /[Nn]o space left/);
      assert.match(r.stderr, /input\/big\.bin/);
      assert.deepEqual(fullState(repo), beforeRemote);
      assert.deepEqual(readdirSync(join(repo, '.dsg/tmp')), []);
      assert.deepEqual(fullState(W), beforeLocal);
      t.diagnostic(r.stderr.trim());
    } finally {
      spawnSync('umount', [mnt]);
      box.cleanup();
    }
  });
});
