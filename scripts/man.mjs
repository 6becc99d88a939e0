// Writes man/dsg.1 from the built command ("dsg manpage"), so the page lists exactly the
// commands and options of this build. Run by "npm run build" after the bundle.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const page = execFileSync(process.execPath, [join(root, 'dist', 'bin', 'dsg.js'), 'manpage'], { encoding: 'utf8' });
mkdirSync(join(root, 'man'), { recursive: true });
writeFileSync(join(root, 'man', 'dsg.1'), page);
