/** The content-addressed repository through rclone to an S3 remote (the test Ceph RGW) runs the crash suite and the team suite. */
import { rcloneBackend } from '../helpers/objects.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = rcloneBackend('s3');
runCrashSuite({ backend, coverage: 'repository', concurrency: 3 });
runTeamSuite(backend);
