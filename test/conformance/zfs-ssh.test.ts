/** The ZFS backend over the SSH transport (zfs commands run on the server through exec) runs the crash suite and the team suite. */
import { sshZfsBackend } from '../helpers/ssh.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = sshZfsBackend();
runCrashSuite({ backend, extraSteps: ['remote-zfs-snapshot'], coverage: 'repository' });
runTeamSuite(backend);
