import type { Command } from 'commander';
import { snapmount, snapunmount } from '../../api/snapmount.js';
import { formatBytes } from '../output.js';
import { action, examples } from '../run.js';

export function registerSnapmount(program: Command): void {
  const cmd = program
    .command('snapmount')
    .description('make snapshot sN browsable, read-only (ZFS: mounts @sN; other repositories: a verified copy)')
    .requiredOption('-n, --snapshot <sN>', 'the snapshot, e.g. s3 (see "dsg log")')
    .option('--mountpoint <dir>', 'an empty or new folder outside the working copy; default <project folder>-snapshot-<sN> beside the project')
    .action(
      action(async ({ out, progress }, o: { snapshot: string; mountpoint?: string }) => {
        const r = await snapmount({ snapshot: o.snapshot, mountpoint: o.mountpoint, progress });
        out.result(r);
        if (r.method === 'mounted') {
          out.say(`Snapshot ${r.snapshot} is mounted read-only at ${r.mountpoint}: ${r.files} files (${formatBytes(r.bytes)}), ${r.links} links.`);
          out.say(`To unmount it: dsg snapunmount ${r.mountpoint}`);
        } else {
          out.say(`Snapshot ${r.snapshot} is in ${r.mountpoint}: ${r.files} files (${formatBytes(r.bytes)}), ${r.links} links, all verified, read-only.`);
          out.say(`To remove it: chmod -R u+w ${r.mountpoint} && rm -rf ${r.mountpoint}`);
        }
      }),
    );
  examples(cmd, ['dsg snapmount -n s2', 'dsg snapmount -n s2 --mountpoint /tmp/proj-s2']);

  const un = program
    .command('snapunmount')
    .description('unmount a snapshot that snapmount mounted (ZFS repositories)')
    .argument('<dir>', 'the folder snapmount mounted the snapshot at')
    .action(
      action(async ({ out }, dir: string) => {
        const r = await snapunmount({ mountpoint: dir });
        out.result(r);
        out.say(`Unmounted ${r.mountpoint}.`);
      }),
    );
  examples(un, ['dsg snapunmount ../proj-snapshot-s2']);
}
