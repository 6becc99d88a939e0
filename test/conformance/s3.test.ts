/** The content-addressed repository on S3 (a real Ceph RGW) runs the crash suite and the team suite. */
import { s3Backend } from '../helpers/objects.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = s3Backend();
runCrashSuite({ backend, coverage: 'repository', concurrency: 3 });
runTeamSuite(backend);
