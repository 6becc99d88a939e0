/**
 * Ctrl-C (SIGINT) and SIGTERM: a sync stops at its next step. Before the commit point it rolls
 * back and releases the repository lock (the repository is byte for byte as before, the local
 * change is kept, exit 130 with a message); after it, it finishes first (exit 130, saying so);
 * while waiting for another writer's lock it stops at once. A teammate never waits for a lock
 * left behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, dsg, put, sandboxes, type Sandbox } from '../helpers/cli.js';
import { isStopped, until } from '../helpers/processes.js';

/** Start `dsg args` paused at `step`; resolves with its exit code and stderr. */
function pausedAt(cwd: string, env: NodeJS.ProcessEnv, step: string, ...args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...env, DSG_TEST_STOP_AT: step }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((r) => child.on('close', (code) => r({ code, stderr })));
  return { child, done };
}

/** What readers of the repository see (content uploaded by a rolled-back sync stays unreferenced, as after any rollback). */
async function published(box: Sandbox) {
  const r = box.inspect();
  return { tree: await r.tree(), lastSync: await r.read('.dsg/last-sync.json'), messages: await r.read('.dsg/sync-messages.json'), archive: await r.list('.dsg/archive') };
}

describe('interrupting a sync', () => {
  const boxes: Sandbox[] = [];
  const newBox = sandboxes();
  after(() => boxes.forEach((b) => b.cleanup()));

  function setup() {
    const box = newBox('dsg-interrupt');
    boxes.push(box);
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/x.csv', 'one\n');
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    return { box, env, A };
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} before the commit point rolls back, releases the lock and keeps the local change`, async () => {
      const { box, env, A } = setup();
      put(A, 'input/x.csv', 'two\n');
      const before = await published(box);
      const { child, done } = pausedAt(A, env, 'upload-started', 'sync', '-m', 'second');
      await until('the sync to pause at upload-started', () => isStopped(child.pid!));
      child.kill(signal);
      child.kill('SIGCONT');
      const r = await done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /stopping at the next safe point/);
      assert.match(r.stderr, /before the commit point: rolled back; nothing was published or changed, and the repository lock was released/);
      assert.deepEqual(await published(box), before, 'the repository changed');
      assert.equal(await box.inspect().exists('.dsg/lock.json'), false);
      assert.equal(readFileSync(join(A, 'input/x.csv'), 'utf8'), 'two\n');
      // A teammate's sync does not wait for a lock; this working copy syncs the change next.
      const again = dsg(A, env, 'sync', '-m', 'second', '--wait', '0');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Snapshot s2 created/);
    });
  }

  it('after the commit point, the sync finishes first and says so', async () => {
    const { box, env, A } = setup();
    put(A, 'input/x.csv', 'three\n');
    const { child, done } = pausedAt(A, env, 'after-commit-point', 'sync', '-m', 'second');
    await until('the sync to pause after the commit point', () => isStopped(child.pid!));
    child.kill('SIGINT');
    child.kill('SIGCONT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /after the commit point: finished first/);
    assert.equal(await box.inspect().exists('.dsg/lock.json'), false);
    const status = dsg(A, env, 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /up to date/i);
    const log = dsg(A, env, 'log', '-n', '1');
    assert.match(log.stdout, /^s2\b/m);
  });

  it('while waiting for another writer\'s lock, it stops at once', async () => {
    const { box, env, A } = setup();
    const B = box.project('b');
    const envB = box.userEnv('Ben', 'ben@example.org');
    assert.equal(dsg(B, envB, 'clone').code, 0);
    put(A, 'input/a.csv', 'a\n');
    put(B, 'input/b.csv', 'b\n');
    const first = pausedAt(A, env, 'plan-made', 'sync', '-m', 'ana');
    await until('the first writer to pause holding the lock', () => isStopped(first.child.pid!));
    const second = spawn(process.execPath, [CLI, 'sync', '-m', 'ben', '--wait', '120'], { cwd: B, env: envB, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    second.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const secondDone = new Promise<number | null>((r) => second.on('close', (code) => r(code)));
    await until('the second writer to wait for the lock', () => /waiting for the repository lock/.test(err));
    const t0 = Date.now();
    second.kill('SIGINT');
    assert.equal(await secondDone, 130);
    assert.ok(Date.now() - t0 < 10_000, 'stopped at once');
    assert.match(err, /while waiting for the repository lock: nothing was changed/);
    first.child.kill('SIGCONT');
    assert.equal((await first.done).code, 0);
    const again = dsg(B, envB, 'sync', '-m', 'ben');
    assert.equal(again.code, 0, again.stderr);
  });
});
