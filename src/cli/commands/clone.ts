import { clone } from '../../api/clone.js';
import type { CommandIO } from '../run.js';
import { fileLister, printTransaction } from './sync.js';

export async function run({ out, progress }: CommandIO, o: { destPath?: string }): Promise<number | void> {
  const r = await clone({ cwd: o.destPath, progress, onFile: fileLister(out) });
  out.result(r);
  printTransaction(out, r, 'clone');
}
