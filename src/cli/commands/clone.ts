import type { Command } from 'commander';
import { clone } from '../../api/clone.js';
import { action, examples } from '../run.js';
import { printTransaction } from './sync.js';

export function registerClone(program: Command): void {
  const cmd = program
    .command('clone')
    .description("fetch the repository's current snapshot and history into this project folder (never writes to the repository)")
    .option('--dest-path <dir>', 'project folder holding .dsgconfig.yml (default: this one)')
    .action(
      action(async ({ out, progress }, o: { destPath?: string }) => {
        const r = await clone({ cwd: o.destPath, progress });
        out.result(r);
        printTransaction(out, r);
        out.say(`Working copy at ${r.previousSnapshot ?? 'no snapshot'}.`);
      }),
    );
  examples(cmd, ['git clone server:lab/survey && cd survey && dsg clone', 'dsg clone --dest-path ~/work/survey']);
}
