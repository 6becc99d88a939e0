/** The POSIX-directory backend over the SSH transport (the test sshd) runs the crash suite and the team suite. */
import { sshPosixBackend } from '../helpers/ssh.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = sshPosixBackend();
runCrashSuite({ backend, coverage: 'repository' });
runTeamSuite(backend);
