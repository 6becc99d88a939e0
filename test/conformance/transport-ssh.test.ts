/** The Transport contract suite against SshTransport, to the test sshd on 127.0.0.1 (scripts/sshd.sh). */
import { mkdtemp, rm } from 'node:fs/promises';
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
