/**
 * The test backend of the IPFS repository: an encrypted repository in an embedded blockstore
 * inside the sandbox (removed with it). The passphrase comes from DSG_IPFS_PASSPHRASE, set here
 * before any sandbox copies the environment for its users.
 */
import { join } from 'node:path';
import { IpfsStore } from '../../src/remote/objects/ipfs/IpfsStore.js';
import type { Sandbox, TestBackend } from './cli.js';
import { objectInspector } from './objects.js';

export const TEST_PASSPHRASE = 'correct horse battery staple (test only)';
export const TEST_DID = 'did:key:z6MkTestRepositoryOfTheSuites';

export function ipfsBlockstore(box: Sandbox): string {
  return join(box.repos, 'blockstore');
}

export function ipfsBackend(): TestBackend {
  process.env.DSG_IPFS_PASSPHRASE = TEST_PASSPHRASE;
  return {
    name: 'ipfs, embedded encrypted blockstore',
    projectName: () => 'proj',
    repositoryYaml: (box) => `{type: ipfs, did: ${JSON.stringify(TEST_DID)}, encrypted: true, blockstore: ${JSON.stringify(ipfsBlockstore(box))}}`,
    repositoryRoot: () => {
      throw new Error('an IPFS repository is read through its blockstore: use box.inspect()');
    },
    inspect: (box) => objectInspector(() => new IpfsStore({ blockstore: ipfsBlockstore(box), did: TEST_DID, encrypted: true, passphrase: () => TEST_PASSPHRASE })),
    dispose: () => undefined, // the blockstore goes with the sandbox
  };
}
