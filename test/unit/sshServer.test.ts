/**
 * SshTransport against the real test sshd (scripts/sshd.sh): host key policy (unknown and
 * changed keys refused with the fingerprint and a command that really fixes it; hashed
 * entries accepted), login failures, a connection killed on the server side, and an open
 * that blocks because a FIFO was swapped in after the type check.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsgError } from '../../src/errors/DsgError.js';
import { openSshTransport, SshTransport } from '../../src/transport/ssh/SshTransport.js';
import { tempSshHome } from '../helpers/ssh.js';

const homes: { cleanup(): void }[] = [];
after(() => homes.forEach((h) => h.cleanup()));

function home(opts: { knownHosts?: string } = {}) {
  const h = tempSshHome(opts);
  homes.push(h);
  return h;
}

async function connectError(t: SshTransport): Promise<DsgError> {
  try {
    await t.exec(['true']);
  } catch (err) {
    return err as DsgError;
  } finally {
    await t.close();
  }
  throw new Error('the connection was expected to be refused');
}

/** The server's fingerprint, as `ssh-keygen -lf` prints it for the known_hosts line. */
function serverFingerprint(knownHostsFile: string): string {
  return execFileSync('ssh-keygen', ['-lf', knownHostsFile], { encoding: 'utf8' }).split(' ')[1];
}

/** Run the fix commands a message shows, as a user would paste them (HOME = the sandbox). */
function runShown(commands: string[], homeDir: string): void {
  for (const c of commands) execFileSync('sh', ['-c', c], { env: { ...process.env, HOME: homeDir }, stdio: 'ignore' });
}

describe('SSH host keys (real sshd)', () => {
  it('known key: connects, and the login user is the ssh config User', async () => {
    const h = home();
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null });
    try {
      assert.equal(t.description, `ssh://root@127.0.0.1:${h.server.port}`);
      assert.equal((await t.exec(['id', '-un'])).stdout.trim(), 'root');
    } finally {
      await t.close();
    }
  });

  it('unknown host (empty known_hosts): SSH_HOST_UNKNOWN with the SHA256 fingerprint and a keyscan command that fixes it', async () => {
    const real = home();
    const fp = serverFingerprint(join(real.home, '.ssh', 'known_hosts'));
    const h = home({ knownHosts: '' });
    const err = await connectError(openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null }));
    assert.equal(err.code, 'SSH_HOST_UNKNOWN');
    assert.ok(err.message.includes(fp), err.message);
    const scan = `ssh-keyscan -p ${h.server.port} -t ed25519 127.0.0.1 >> ~/.ssh/known_hosts`;
    assert.ok(err.message.includes(scan), err.message);
    runShown([scan], h.home);
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null });
    try {
      assert.equal((await t.exec(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t.close();
    }
  });

  it('an entry without the port does not vouch for another port', async () => {
    const real = home();
    const line = readFileSync(join(real.home, '.ssh', 'known_hosts'), 'utf8').replace(/^\[127\.0\.0\.1\]:\d+/, '127.0.0.1');
    const h = home({ knownHosts: line });
    assert.equal((await connectError(openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null }))).code, 'SSH_HOST_UNKNOWN');
  });

  it('changed key: SSH_HOST_KEY_CHANGED with both fingerprints and the ssh-keygen -R / ssh-keyscan commands that fix it', async () => {
    const real = home();
    const fp = serverFingerprint(join(real.home, '.ssh', 'known_hosts'));
    const dir = mkdtempSync(join(tmpdir(), 'dsg-otherkey-'));
    let other: string;
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      other = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const h = home({ knownHosts: `[127.0.0.1]:${real.server.port} ${other}\n` });
    const err = await connectError(openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null }));
    assert.equal(err.code, 'SSH_HOST_KEY_CHANGED');
    assert.ok(err.message.includes(fp), err.message);
    const remove = `ssh-keygen -R '[127.0.0.1]:${h.server.port}' -f ~/.ssh/known_hosts`;
    const scan = `ssh-keyscan -p ${h.server.port} -t ed25519 127.0.0.1 >> ~/.ssh/known_hosts`;
    assert.ok(err.message.includes(`${remove}\n`), err.message);
    assert.ok(err.message.includes(scan), err.message);
    runShown([remove, scan], h.home);
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null });
    try {
      assert.equal((await t.exec(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t.close();
    }
  });

  it('a hashed known_hosts entry (ssh-keygen -H) is accepted', async () => {
    const h = home();
    const file = join(h.home, '.ssh', 'known_hosts');
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    rmSync(`${file}.old`, { force: true });
    assert.match(readFileSync(file, 'utf8'), /^\|1\|/);
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null });
    try {
      assert.equal((await t.exec(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t.close();
    }
  });
});

describe('SSH login (real sshd)', () => {
  it('a key the server does not accept: SSH_AUTH_FAILED naming user@host and every key tried', async () => {
    const h = home();
    const keyDir = join(h.home, 'other');
    execFileSync('mkdir', ['-p', keyDir]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'stranger')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(keyDir, 'locked')]);
    // The config's IdentityFile now points at a key the server does not know.
    const cfg = join(h.home, '.ssh', 'config');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/IdentityFile .*/, `IdentityFile ${join(keyDir, 'stranger')}`));
    rmSync(join(h.home, '.ssh', 'id_ed25519'));
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null, keyPath: join(keyDir, 'locked') });
    const err = await connectError(t);
    assert.equal(err.code, 'SSH_AUTH_FAILED');
    assert.ok(err.message.includes(`root@127.0.0.1:${h.server.port}`), err.message);
    assert.ok(err.message.includes(join(keyDir, 'stranger')), err.message);
    assert.match(err.message, /locked \(ssh\.key_path in dsg\.yml\): needs a passphrase/);
  });

  it('ssh.key_path is tried before the ssh config IdentityFile', async () => {
    const h = home();
    const cfg = join(h.home, '.ssh', 'config');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/IdentityFile .*/, `IdentityFile ${join(h.home, 'nothing-here')}`));
    renameSync(join(h.home, '.ssh', 'id_ed25519'), join(h.home, 'dsg_key'));
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null, keyPath: join(h.home, 'dsg_key') });
    try {
      assert.equal((await t.exec(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      await t.close();
    }
  });
});

describe('SSH failures mid-command (real sshd)', () => {
  it('the server side of the connection killed: later calls fail with SSH_CONNECTION_LOST naming the host', async () => {
    const h = home();
    const root = mkdtempSync(join(tmpdir(), 'dsg-sshlost-'));
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null });
    try {
      await t.writeFile(join(root, 'f'), 'x');
      // Kill the sshd process serving this connection: the nearest sshd ancestor of the shell.
      await t
        .exec(['sh', '-c', 'p=$PPID; while [ "$p" -gt 1 ]; do if [ "$(cat /proc/$p/comm)" = sshd ]; then kill -9 "$p"; exit 0; fi; p=$(cut -d" " -f4 /proc/$p/stat); done; exit 1'])
        .catch(() => undefined);
      let err: DsgError | undefined;
      for (let i = 0; i < 50 && err === undefined; i++) {
        try {
          await t.stat(join(root, 'f'));
          await new Promise((r) => setTimeout(r, 100));
        } catch (e) {
          err = e as DsgError;
        }
      }
      assert.ok(err, 'a call fails once the connection is gone');
      assert.equal(err.code, 'SSH_CONNECTION_LOST', err.message);
      assert.match(err.message, new RegExp(`root@127\\.0\\.0\\.1:${h.server.port}.*was lost`));
      await assert.rejects(t.readFile(join(root, 'f'), 10), (e: DsgError) => e.code === 'SSH_CONNECTION_LOST');
    } finally {
      await t.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a FIFO swapped in after the type check: the open times out, is refused as NOT_REGULAR_FILE, and the transport keeps working', async () => {
    const h = home();
    const root = mkdtempSync(join(tmpdir(), 'dsg-sshfifo-'));
    const t = openSshTransport(h.server.host, { homeDir: h.home, agentSocket: null, openTimeoutMs: 1000 });
    const target = join(root, 'manifest.json');
    const fifo = join(root, 'fifo');
    writeFileSync(target, '{}');
    writeFileSync(join(root, 'other'), 'still readable');
    execFileSync('mkfifo', [fifo]);
    // White-box: swap the FIFO in right after the first lstat answered "regular file".
    const priv = t as unknown as { lstatOrNull(p: string): Promise<unknown> };
    const lstat = priv.lstatOrNull.bind(t);
    let swapped = false;
    priv.lstatOrNull = async (p: string) => {
      const r = await lstat(p);
      if (!swapped && p === target) {
        swapped = true;
        renameSync(fifo, target);
      }
      return r;
    };
    try {
      const started = Date.now();
      await assert.rejects(t.readFile(target, 100), (e: DsgError) => e.code === 'NOT_REGULAR_FILE' && /is a FIFO/.test(e.message));
      assert.ok(Date.now() - started < 8000);
      assert.equal((await t.readFile(join(root, 'other'), 100))!.toString(), 'still readable');
    } finally {
      // Release the sftp-server still blocked in open(): be the FIFO's writer for a moment.
      try {
        closeSync(openSync(target, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        /* nobody waiting any more */
      }
      await t.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
