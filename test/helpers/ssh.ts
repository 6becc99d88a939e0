/**
 * The test SSH server that scripts/sshd.sh starts (a stock OpenSSH sshd on 127.0.0.1 with
 * throwaway keys): DSG_TEST_SSH_DIR holds its client config, known_hosts and user key, and
 * DSG_TEST_SSH_HOST is the host alias. Without them the SSH suites fail with a message saying
 * how to run them: never skipped.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { posixBackend, type TestBackend } from './cli.js';
import { zfsBackend } from './zfs.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSshServer {
  /** Folder with config, known_hosts, id_ed25519(.pub). */
  dir: string;
  /** Host alias defined in `dir`/config. */
  host: string;
  /** The sshd's port on 127.0.0.1. */
  port: number;
}

export function testSshServer(): TestSshServer {
  const dir = process.env.DSG_TEST_SSH_DIR;
  const host = process.env.DSG_TEST_SSH_HOST;
  if (!dir || !host) {
    throw new Error('The SSH suites need the test sshd: run them through "npm test" (scripts/test.sh starts it), or "source scripts/sshd.sh && sshd_start" first (it sets DSG_TEST_SSH_DIR and DSG_TEST_SSH_HOST).');
  }
  const m = /^\s*Port\s+(\d+)/m.exec(readFileSync(join(dir, 'config'), 'utf8'));
  if (!m) throw new Error(`${join(dir, 'config')} names no Port`);
  return { dir, host, port: Number(m[1]) };
}

/**
 * Copy the test server's client setup into `<homeDir>/.ssh/` (config rewritten to point at
 * the copies), so a dsg process with HOME=homeDir, or openSshTransport(host, {homeDir}),
 * finds the alias, the user key and the host key. `knownHosts` replaces the known_hosts
 * content (host key tests).
 */
export function installSshConfig(homeDir: string, opts: { knownHosts?: string } = {}): TestSshServer {
  const server = testSshServer();
  const sshDir = join(homeDir, '.ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  const config = readFileSync(join(server.dir, 'config'), 'utf8')
    .replace(/^(\s*IdentityFile\s+).*$/m, `$1${join(sshDir, 'id_ed25519')}`)
    .replace(/^(\s*UserKnownHostsFile\s+).*$/m, `$1${join(sshDir, 'known_hosts')}`);
  writeFileSync(join(sshDir, 'config'), config, { mode: 0o600 });
  writeFileSync(join(sshDir, 'known_hosts'), opts.knownHosts ?? readFileSync(join(server.dir, 'known_hosts')), { mode: 0o600 });
  writeFileSync(join(sshDir, 'id_ed25519'), readFileSync(join(server.dir, 'id_ed25519')), { mode: 0o600 });
  writeFileSync(join(sshDir, 'id_ed25519.pub'), readFileSync(join(server.dir, 'id_ed25519.pub')), { mode: 0o644 });
  return server;
}

/** A temp home (prefix dsg-) with the test server's setup installed; remove it with `cleanup`. */
export function tempSshHome(opts: { knownHosts?: string } = {}): { home: string; server: TestSshServer; cleanup(): void } {
  testSshServer(); // fail before making anything when the server is missing
  const home = mkdtempSync(join(tmpdir(), 'dsg-sshhome-'));
  const cleanup = (): void => rmSync(home, { recursive: true, force: true });
  try {
    return { home, server: installSshConfig(home, opts), cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * Backends over SSH: the same repository as the local backend (the test sshd runs on this
 * machine, so the tests can inspect it), reached through the host alias of the test server.
 */
export function sshPosixBackend(): TestBackend {
  const server = testSshServer();
  return {
    ...posixBackend,
    name: `posix directory over SSH (${server.host})`,
    prepare: (box) => void installSshConfig(box.home),
    repositoryYaml: (box) => posixBackend.repositoryYaml(box).replace('host: localhost', `host: ${server.host}`),
  };
}

export function sshZfsBackend(): TestBackend {
  const server = testSshServer();
  const local = zfsBackend();
  return {
    ...local,
    name: `zfs dataset (zfs-fuse) over SSH (${server.host})`,
    prepare: (box) => void installSshConfig(box.home),
    repositoryYaml: (box) => local.repositoryYaml(box).replace('host: localhost', `host: ${server.host}`),
  };
}

/** Socket inodes a process holds (from /proc/<pid>/fd). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/**
 * Kill (SIGKILL) the server side of a client's SSH connection to the test sshd: the sshd
 * processes holding the server end of that process's TCP connection to `port`. Other
 * connections to the same server (other tests) are not touched. Returns the pids killed.
 */
export function killServerSide(clientPid: number, port: number): number[] {
  const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 9);
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const mine = socketInodes(clientPid);
  const clientPorts = rows.filter((f) => mine.has(f[9]) && f[2].endsWith(`:${portHex}`)).map((f) => f[1].split(':')[1]);
  const serverInodes = new Set(rows.filter((f) => f[1].endsWith(`:${portHex}`) && clientPorts.includes(f[2].split(':')[1])).map((f) => f[9]));
  const killed: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const pid = Number(p);
    if (pid === clientPid) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sshd') continue;
      if ([...socketInodes(pid)].some((i) => serverInodes.has(i))) {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return killed;
}
