/** The POSIX-directory backend over the localhost transport runs the whole crash suite. */
import { join } from 'node:path';
import { runCrashSuite } from './crashSuite.js';

runCrashSuite({
  name: 'posix directory, localhost',
  repositoryRoot: (box) => join(box.repos, 'proj'),
});
