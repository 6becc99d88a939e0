/** The content-addressed repository through rclone to a local folder runs the crash suite and the team suite. */
import { rcloneBackend } from '../helpers/objects.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = rcloneBackend('local');
runCrashSuite({ backend, coverage: 'repository', concurrency: 3 });
runTeamSuite(backend);
