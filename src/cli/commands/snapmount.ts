import type { Command } from 'commander';
import { snapmount } from '../../api/snapmount.js';
import { formatBytes } from '../output.js';
import { action, examples } from '../run.js';

export function registerSnapmount(program: Command): void {
  const cmd = program
    .command('snapmount')
    .description('make snapshot sN browsable, read-only (materialised into a folder)')
    .requiredOption('-n, --snapshot <sN>', 'the snapshot, e.g. s3 (see "dsg log")')
    .option('--mountpoint <dir>', 'an empty or new folder outside the working copy; default <project folder>-snapshot-<sN> beside the project')
    .action(
      action(async ({ out, progress }, o: { snapshot: string; mountpoint?: string }) => {
        const r = await snapmount({ snapshot: o.snapshot, mountpoint: o.mountpoint, progress });
        out.result(r);
        out.say(`Snapshot ${r.snapshot} is in ${r.mountpoint}: ${r.files} files (${formatBytes(r.bytes)}), ${r.links} links, all verified, read-only.`);
        out.say(`To remove it: chmod -R u+w ${r.mountpoint} && rm -rf ${r.mountpoint}`);
      }),
    );
  examples(cmd, ['dsg snapmount -n s2', 'dsg snapmount -n s2 --mountpoint /tmp/proj-s2']);
}
