import type { Command } from 'commander';
import { DsgError } from '../../errors/DsgError.js';
import { action } from '../run.js';

/**
 * Commands of SPEC §5 that this version does not provide yet. They exist so `--help` shows the
 * whole command set, and they say plainly that they are not available (exit 1).
 */
const PENDING: [string, string][] = [
];

export function registerPending(program: Command): void {
  for (const [spec, description] of PENDING) {
    const name = spec.split(' ')[0];
    program
      .command(spec)
      .description(`${description} (not available in this version)`)
      .allowUnknownOption(true)
      .action(
        action(async () => {
          throw new DsgError('NOT_IMPLEMENTED', `"dsg ${name}" is not available in this version of dsg yet.`);
        }),
      );
  }
}
