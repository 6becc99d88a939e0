import type { Command } from 'commander';
import { DsgError } from '../../errors/DsgError.js';
import { action } from '../run.js';

/**
 * Commands of SPEC §5 that this version does not provide yet. They exist so `--help` shows the
 * whole command set, and they say plainly that they are not available (exit 1).
 */
const PENDING: [string, string][] = [
  ['blame <file>', 'snapshots where FILE was added, modified or deleted'],
  ['snapfetch <file>', 'write FILE as it was in a snapshot'],
  ['snapmount', 'make a snapshot browsable read-only'],
  ['validate-config', 'check .dsgconfig.yml and dsg.yml'],
  ['validate-file <file>', "recompute a file's hash and compare"],
  ['validate-snapshot', "check a snapshot's manifest (and content with --deep)"],
  ['validate-chain', 'check every snapshot link and hash'],
  ['clean', "remove dsg's leftovers"],
  ['list-repos', 'repositories under the configured host and path'],
  ['recover', 'finish or undo an interrupted sync'],
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
