/** The ZFS backend (a dataset of the zfs-fuse test pool) over the localhost transport runs the crash suite and the team suite. */
import { zfsBackend } from '../helpers/zfs.js';
import { runCrashSuite } from './crashSuite.js';
import { runTeamSuite } from './teamSuite.js';

const backend = zfsBackend();
runCrashSuite({ backend, extraSteps: ['remote-zfs-snapshot'], coverage: 'repository' });
runTeamSuite(backend);
