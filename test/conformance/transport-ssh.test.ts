/** The Transport contract suite against SshTransport, to the test sshd on 127.0.0.1 (scripts/sshd.sh). */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSshTransport, type SshTransport, type SshTransportOptions } from '../../src/transport/ssh/SshTransport.js';
import { tempSshHome } from '../helpers/ssh.js';
import { runTransportSuite } from './transportSuite.js';

runTransportSuite('SshTransport (OpenSSH on 127.0.0.1)', async () => {
  const home = tempSshHome();
  const root = await mkdtemp(join(tmpdir(), 'dsg-transport-ssh-'));
  const transport = openSshTransport(home.server.host, { homeDir: home.home, agentSocket: null });
  return {
    transport,
    root,
    cleanup: async () => {
      await rm(root, { recursive: true, force: true });
      home.cleanup();
    },
  };
});

/** A private folder and a transport to the test sshd with the options `optionsIn(folder)` gives, for one test's `body`. */
async function withTransport(optionsIn: (root: string) => Omit<SshTransportOptions, 'target'>, body: (t: SshTransport, root: string) => Promise<void>): Promise<void> {
  const home = tempSshHome();
  const root = await mkdtemp(join(tmpdir(), 'dsg-transport-ssh-'));
  const t = openSshTransport(home.server.host, { homeDir: home.home, agentSocket: null, ...optionsIn(root) });
  try {
    await body(t, root);
  } finally {
    await t.close();
    await rm(root, { recursive: true, force: true });
    home.cleanup();
  }
}

describe('SshTransport.writeFiles without a usable tar on the server', () => {
  it('falls back to SFTP: every file lands exactly, batch after batch', async () => {
    await withTransport(() => ({ tarProgram: 'dsg-test-no-such-tar' }), async (t, root) => {
      for (const round of [1, 2]) {
        const files = Array.from({ length: 300 }, (_, i) => ({ name: `r${round}-${i}`, data: Buffer.from(`round ${round} file ${i}\n`.repeat(1 + i)) }));
        await t.writeFiles(root, files);
        for (const f of files) assert.ok(readFileSync(join(root, f.name)).equals(f.data), f.name);
      }
    });
  });
});

describe('SshTransport.writeStream of a large stream: writeback hints', () => {
  /** A stream of `n` chunks of 256 KiB, each filled with its index (so a misplaced chunk shows). */
  async function* chunks(n: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < n; i++) yield Buffer.alloc(256 << 10, i);
  }
  const expected = (n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => Buffer.alloc(256 << 10, i)));

  it('asks the server to write the file out every writebackEvery bytes, and the bytes land exactly', async () => {
    // A sync on the server that notes its arguments in the test's folder, then syncs for real.
    const withWrapper = (root: string) => {
      const wrapper = join(root, 'sync-wrapper');
      writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${join(root, 'hints.log')}'\nexec sync "$@"\n`, { mode: 0o755 });
      return { syncProgram: wrapper, writebackEvery: 1 << 20 };
    };
    await withTransport(withWrapper, async (t, root) => {
      const file = join(root, 'big.bin');
      await t.writeStream(file, chunks(40), { durable: false }); // 10 MiB: a hint after each MiB
      assert.ok(readFileSync(file).equals(expected(40)));
      const hints = readFileSync(join(root, 'hints.log'), 'utf8').trim().split('\n');
      assert.equal(hints.length, 10);
      for (const h of hints) assert.equal(h, `-d -- ${file}`);
    });
  });

  it('a hint that fails (no such program on the server) does not fail the write', async () => {
    await withTransport(() => ({ syncProgram: 'dsg-test-no-such-sync', writebackEvery: 1 << 20 }), async (t, root) => {
      const file = join(root, 'big.bin');
      await t.writeStream(file, chunks(12));
      assert.ok(readFileSync(file).equals(expected(12)));
    });
  });
});
