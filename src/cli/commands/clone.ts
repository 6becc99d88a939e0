import { relative } from 'node:path';
import { clone } from '../../api/clone.js';
import { DsgError } from '../../errors/DsgError.js';
import type { CommandIO } from '../run.js';
import { fileLister, printTransaction } from './sync.js';

export async function run({ out, progress }: CommandIO, location: string | undefined, directory: string | undefined, o: { destPath?: string }): Promise<number | void> {
  if (location !== undefined && o.destPath !== undefined) {
    throw new DsgError('USAGE', 'clone: --dest-path is for a folder that already holds .dsgconfig.yml; with a location, name the new folder after it: dsg clone <location> <directory>.', { exitCode: 2 });
  }
  const r = await clone({ cwd: o.destPath, location, directory, progress, onFile: fileLister(out), onNotice: (m) => out.warn(m) });
  out.result(r);
  if (r.directory !== null) out.say(`wrote ${relative(process.cwd(), r.directory) || '.'}/.dsgconfig.yml`);
  printTransaction(out, r, 'clone', r.directory === null ? undefined : `${relative(process.cwd(), r.directory) || '.'}/`);
}
