/**
 * Repositories over SSH through the built CLI, against the test sshd: host keys refused with
 * their fingerprint, hostile file names round-tripping with nothing executed, and the server
 * side of the connection killed before, during and after the commit point (before-or-after,
 * and a rerun converges).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, dsg, put, sandboxes, type Sandbox } from '../helpers/cli.js';
import { killServerSide, sshPosixBackend, testSshServer } from '../helpers/ssh.js';
import { isStopped, until } from '../helpers/processes.js';
import { treeState } from '../helpers/trees.js';

const backend = sshPosixBackend();
const server = testSshServer();
const sandbox = sandboxes(backend);

function ok(r: { code: number; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
}

/** Two copies of one repository over SSH; A holds unsynced changes of every kind. */
function team(label: string): { box: Sandbox; A: string; B: string; envA: NodeJS.ProcessEnv; envB: NodeJS.ProcessEnv } {
  const box = sandbox(label);
  const envA = box.userEnv('Ana', 'ana@example.org');
  const envB = box.userEnv('Ben', 'ben@example.org');
  const A = box.project('a');
  const B = box.project('b');
  for (let i = 0; i < 5; i++) put(A, `input/f${i}.csv`, `row ${i}\n`);
  ok(dsg(A, envA, 'init', '-m', 'one'), 'init over SSH');
  copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
  ok(dsg(B, envB, 'clone'), 'clone over SSH');
  put(A, 'input/f0.csv', 'changed by ana\n');
  put(A, 'input/new/big.bin', Buffer.alloc(3 << 20, 9));
  return { box, A, B, envA, envB };
}

/** Run `dsg sync` in A, pause it at `step`, kill the server side of its connection, let it go on. */
async function syncWithServerKilledAt(A: string, env: NodeJS.ProcessEnv, step: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI, 'sync', '-m', 'two', '--json'], { cwd: A, env: { ...env, DSG_TEST_STOP_AT: step }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.resume();
  const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await until(`sync to pause at ${step}`, () => isStopped(child.pid!), 60_000);
  // A child left stopped would keep this file's process alive for good: killed if it does not end.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    assert.ok(killServerSide(child.pid!, server.port).length > 0, 'found the server side of the connection');
    child.kill('SIGCONT');
    const code = await done;
    assert.notEqual(code, null, `dsg did not end within 120 s of SIGCONT: ${stdout}`);
    return { code, stdout };
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
  }
}

describe('repositories over SSH (the test sshd)', () => {
  it('an unknown host key is refused with its SHA256 fingerprint and the command to trust it; nothing is created', () => {
    const box = sandbox('dsg-sshkey');
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/a.csv', 'a\n');
    writeFileSync(join(box.home, '.ssh', 'known_hosts'), '');
    const r = dsg(A, env, 'init', '--json');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.json.error.code, 'SSH_HOST_UNKNOWN');
    assert.match(r.json.error.message, /SHA256:[A-Za-z0-9+/]{43}/);
    assert.match(r.json.error.message, new RegExp(`ssh-keyscan -p ${server.port} .*127\\.0\\.0\\.1 >> ~/\\.ssh/known_hosts`));
    assert.deepEqual(readdirSync(box.repos), [], 'nothing was created on the server');
    assert.equal(existsSync(join(A, '.dsg', 'last-sync.json')), false);
  });

  it('file names with spaces, quotes, $(…), ;, &, backslashes and non-ASCII round-trip exactly; nothing is executed', () => {
    const box = sandbox('dsg-sshnames');
    const envA = box.userEnv('Ana', 'ana@example.org');
    const envB = box.userEnv('Ben', 'ben@example.org');
    // `"` is not allowed in a tracked file name (SPEC §3), so it is in the repository's folder
    // name instead, which reaches the server's shell too (sync -f, rm -rf).
    const mountpoint = join(box.base, `re"pos 'x' $(touch pwned1); & \\ é`);
    const hostile = `name: ${box.name}\nrepository: {type: xfs, host: ${server.host}, mountpoint: ${JSON.stringify(mountpoint)}}\n`;
    mkdirSync(mountpoint); // dsg init does not create the folder that holds repositories
    const A = box.project('a');
    const B = box.project('b');
    writeFileSync(join(A, '.dsgconfig.yml'), hostile);
    const names = ['a b.csv', "it's.csv", '$(touch pwned2).csv', 'x; touch pwned3.csv', 'a & b.csv', 'back\\slash.csv', 'données é ü 数据.csv', '`touch pwned4`.csv', 'dollar $HOME.csv'];
    names.forEach((n, i) => put(A, `input/${n}`, `content ${i}\n`));
    ok(dsg(A, envA, 'init'), 'init');
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    ok(dsg(B, envB, 'clone'), 'clone');
    assert.deepEqual(treeState(B), treeState(A));
    assert.deepEqual(treeState(join(mountpoint, box.name)), treeState(A));
    assert.deepEqual(Object.keys(treeState(A)).sort(), names.map((n) => `input/${n}`).sort());
    // Had anything run, it would have run in the server shell's folder (the login user's home) or ours.
    for (const dir of [homedir(), process.cwd(), box.base, A, B]) {
      for (const p of ['pwned1', 'pwned2', 'pwned3', 'pwned4']) assert.equal(existsSync(join(dir, p)), false, `no command ran (${p})`);
    }
  });

  it('server side killed before the commit point: nothing published, the message says so, a rerun converges', async () => {
    const { box, A, envA } = team('dsg-sshkill1');
    const before = { local: treeState(A) };
    const r = await syncWithServerKilledAt(A, envA, 'uploads-done');
    assert.equal(r.code, 1);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'SSH_CONNECTION_LOST');
    assert.match(error.message, /was lost .*nothing was published and the working copy is unchanged.*nothing was lost/s);
    assert.deepEqual(treeState(A), before.local);
    assert.match(readFileSync(join(box.repo(), '.dsg/last-sync.json'), 'utf8'), /"snapshot_id": "s1"/);
    const again = dsg(A, envA, 'sync', '-m', 'two', '--json');
    ok(again, 'rerun');
    assert.equal(again.json.snapshot, 's2');
    assert.deepEqual(readdirSync(join(box.repo(), '.dsg/staging')), [], 'the abandoned staging was recovered');
    assert.deepEqual(readdirSync(join(box.repo(), '.dsg/tmp')), []);
    assert.deepEqual(treeState(box.repo()), treeState(A));
  });

  it('server side killed at the commit: the journal is kept and the next command settles it (here: not published)', async () => {
    const { box, A, envA } = team('dsg-sshkill2');
    const localBefore = treeState(A);
    const r = await syncWithServerKilledAt(A, envA, 'before-commit-point');
    assert.equal(r.code, 1);
    const error = JSON.parse(r.stdout).error;
    assert.match(error.message, /whether s2 was published is known only to the server.*Nothing was lost/s);
    assert.equal(readdirSync(join(A, '.dsg/transactions')).length, 1, 'the client journal is kept for recovery');
    const st = dsg(A, envA, 'status', '--json');
    ok(st, 'status recovers');
    assert.deepEqual(readdirSync(join(A, '.dsg/transactions')), []);
    assert.deepEqual(treeState(A), localBefore);
    assert.match(readFileSync(join(box.repo(), '.dsg/last-sync.json'), 'utf8'), /"snapshot_id": "s1"/);
    ok(dsg(A, envA, 'sync', '-m', 'two'), 'rerun');
    assert.deepEqual(treeState(box.repo()), treeState(A));
  });

  it('server side killed after the commit point: published, finished by the next command on both sides', async () => {
    const { box, A, B, envA, envB } = team('dsg-sshkill3');
    const r = await syncWithServerKilledAt(A, envA, 'remote-rollforward-file');
    assert.equal(r.code, 1);
    const error = JSON.parse(r.stdout).error;
    assert.equal(error.code, 'PUBLISHED_INCOMPLETE', error.message);
    assert.match(readFileSync(join(box.repo(), '.dsg/last-sync.json'), 'utf8'), /"snapshot_id": "s2"/);
    ok(dsg(A, envA, 'status'), 'status finishes');
    assert.deepEqual(readdirSync(join(box.repo(), '.dsg/staging')), []);
    assert.deepEqual(treeState(box.repo()), treeState(A));
    ok(dsg(B, envB, 'sync'), 'the other copy gets s2');
    assert.deepEqual(treeState(B), treeState(A));
  });
});
