import type { Command } from 'commander';
import { listFiles } from '../../api/listFiles.js';
import { formatBytes } from '../output.js';
import { action, examples } from '../run.js';

export function registerListFiles(program: Command): void {
  const cmd = program
    .command('list-files')
    .description('tracked files with size, hash, user and mtime')
    .option('--path <dir>', 'only files under this folder (relative to the project root)')
    .option('--all', 'also list ignored and skipped files')
    .action(
      action(async ({ out }, o: { path?: string; all?: boolean }) => {
        const r = await listFiles({ path: o.path, all: o.all });
        out.result(r);
        for (const e of r.files) {
          if (e.type === 'file') out.say(`${formatBytes(e.filesize).padStart(10)}  ${e.hash}  ${e.mtime}  ${e.user.padEnd(22)} ${e.path}`);
          else out.say(`${'link'.padStart(10)}  ${''.padEnd(16)}  ${''.padEnd(25)}  ${e.user.padEnd(22)} ${e.path} -> ${e.reference}`);
        }
        for (const p of r.ignored ?? []) out.say(`   ignored  ${p}`);
        for (const s of r.skipped ?? []) out.say(`   skipped  ${s.path} (${s.reason})`);
      }),
    );
  examples(cmd, ['dsg list-files', 'dsg list-files --path task1/input --json', 'dsg list-files --all']);
}
