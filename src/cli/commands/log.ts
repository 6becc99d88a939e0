import type { Command } from 'commander';
import { log } from '../../api/log.js';
import { DsgError } from '../../errors/DsgError.js';
import { printable } from '../printable.js';
import { action, examples } from '../run.js';

export function registerLog(program: Command): void {
  const cmd = program
    .command('log')
    .description("the repository's snapshots, newest first")
    .option('-n, --max-count <n>', 'show at most n snapshots')
    .option('--since <date>', 'only snapshots at or after this date (e.g. 2025-06-01)')
    .option('--author <text>', 'only snapshots by users matching this text')
    .action(
      action(async ({ out }, o: { maxCount?: string; since?: string; author?: string }) => {
        const limit = o.maxCount === undefined ? undefined : Number(o.maxCount);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new DsgError('USAGE', `log: -n takes a whole number, not "${o.maxCount}".`, { exitCode: 2 });
        if (o.since !== undefined && Number.isNaN(Date.parse(o.since))) throw new DsgError('USAGE', `log: --since takes a date like 2025-06-01, not "${o.since}".`, { exitCode: 2 });
        const entries = await log({ limit, since: o.since, author: o.author });
        out.result(entries);
        for (const e of entries) out.say(`${e.id.padEnd(6)} ${e.created_at}  ${printable(e.user ?? '-').padEnd(24)} ${String(e.files).padStart(7)} files  ${printable(e.message || '(no message)')}`);
        if (entries.length === 0) out.say('No snapshots.');
      }),
    );
  examples(cmd, ['dsg log -n 5', 'dsg log --author ana --since 2025-06-01', 'dsg log --json']);
}
