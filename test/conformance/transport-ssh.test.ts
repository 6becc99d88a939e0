/** The Transport contract suite against SshTransport, to the test sshd on 127.0.0.1 (scripts/sshd.sh). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSshTransport } from '../../src/transport/ssh/SshTransport.js';
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

describe('SshTransport.writeFiles without a usable tar on the server', () => {
  it('falls back to SFTP: every file lands exactly, batch after batch', async () => {
    const home = tempSshHome();
    const root = await mkdtemp(join(tmpdir(), 'dsg-transport-ssh-notar-'));
    const t = openSshTransport(home.server.host, { homeDir: home.home, agentSocket: null, tarProgram: 'dsg-test-no-such-tar' });
    try {
      for (const round of [1, 2]) {
        const files = Array.from({ length: 300 }, (_, i) => ({ name: `r${round}-${i}`, data: Buffer.from(`round ${round} file ${i}\n`.repeat(1 + i)) }));
        await t.writeFiles(root, files);
        for (const f of files) assert.ok(readFileSync(join(root, f.name)).equals(f.data), f.name);
      }
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
      home.cleanup();
    }
  });
});
