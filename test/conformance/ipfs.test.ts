/** The content-addressed repository on an embedded, encrypted IPFS blockstore runs the crash suite and the team suite. */
import { ipfsBackend } from '../helpers/ipfs.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = ipfsBackend();
runCrashSuite({ backend, coverage: 'repository', concurrency: 3 });
runTeamSuite(backend);
