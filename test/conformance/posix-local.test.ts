/** The POSIX-directory backend over the localhost transport runs the crash suite and the team suite. */
import { posixBackend } from '../helpers/cli.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

runCrashSuite({ backend: posixBackend });
runTeamSuite(posixBackend);
