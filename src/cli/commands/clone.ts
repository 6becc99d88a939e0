import { clone } from '../../api/clone.js';
import type { CommandIO } from '../run.js';
import { printTransaction } from './sync.js';

export async function run({ out, progress }: CommandIO, o: { destPath?: string }): Promise<number | void> {
  const r = await clone({ cwd: o.destPath, progress });
  out.result(r);
  printTransaction(out, r, 'clone');
}
