/** The Transport contract suite against LocalTransport (direct file system calls). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transport/local/LocalTransport.js';
import { runTransportSuite } from './transportSuite.js';

runTransportSuite('LocalTransport', async () => {
  const root = await mkdtemp(join(tmpdir(), 'dsg-transport-'));
  return { transport: new LocalTransport(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
});
